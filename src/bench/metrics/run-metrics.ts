import { failureReason, type OkRecord, type RequestRecord } from "../client/record.js";
import { meetsSlo, type Slo } from "./request-metrics.js";
import { latencySamples } from "./samples.js";
import { latencyStatsOf, type LatencyStats } from "./stats.js";
import { concurrencyStats, peakOutputThroughput } from "./timeseries.js";

/** The client-side measurements of one run (the `metrics` of summary.json). */
export interface RunMetrics {
  readonly requests: {
    /** Sent requests: completed + failed. */
    readonly sent: number;
    readonly completed: number;
    readonly failed: number;
    /** Failures by reason ("http 400", "timeout", "disconnect", ...). */
    readonly failuresByReason: Readonly<Record<string, number>>;
    /** The first message seen for each reason. */
    readonly failureExamples: Readonly<Record<string, string>>;
    /** In the workload but never sent (`--duration` ran out). */
    readonly notSent: number;
  };
  /** First send to last answer. */
  readonly durationS: number;
  readonly tokens: {
    /** Prompt content tokens of completed requests, by the target's tokenizer. */
    readonly input: number;
    /** Completed requests' `usage.prompt_tokens` sum (with BOS / chat template), null without usage. */
    readonly serverInput: number | null;
    /** `usage.prompt_tokens_details.cached_tokens` sum, null when the server does not report it. */
    readonly cachedInput: number | null;
    readonly output: number;
    /** Completed requests whose output count came from `usage` (the rest counted chunks). */
    readonly outputFromUsage: number;
  };
  readonly throughput: {
    readonly requestsPerS: number;
    readonly outputTokensPerS: number;
    /** (input + output) / duration. */
    readonly totalTokensPerS: number;
    /** The most output tokens in any one-second window of the run. */
    readonly peakOutputTokensPerS: number;
  };
  /** Completed requests that met every objective, per second of the run; null without `--slo`. */
  readonly goodput: { readonly slo: Slo; readonly goodRequests: number; readonly requestsPerS: number; readonly fraction: number } | null;
  /** Milliseconds; null when no request produced a sample. */
  readonly latencyMs: {
    readonly ttft: LatencyStats | null;
    /** Per request, excluding the first token. */
    readonly tpot: LatencyStats | null;
    /** Every gap between text chunks of every request. */
    readonly itl: LatencyStats | null;
    readonly e2e: LatencyStats | null;
    /** Client-side wait for a `--max-concurrency` slot (start - scheduled). */
    readonly queue: LatencyStats | null;
  };
  readonly concurrency: { readonly peak: number; readonly mean: number };
}

export function runMetrics(records: readonly RequestRecord[], durationMs: number, notSent: number, slo: Slo | null): RunMetrics {
  const ok = records.filter((r): r is OkRecord => r.status === "ok");
  const failuresByReason: Record<string, number> = {};
  const failureExamples: Record<string, string> = {};
  for (const r of records) {
    if (r.status !== "failed") continue;
    const reason = failureReason(r.error);
    failuresByReason[reason] = (failuresByReason[reason] ?? 0) + 1;
    failureExamples[reason] ??= r.error.message;
  }
  const durationS = durationMs / 1000;
  const per = (x: number): number => (durationS > 0 ? x / durationS : 0);
  const input = sum(ok.map((r) => r.promptTokens));
  const output = sum(ok.map((r) => r.outputTokens));
  const serverInputs = ok.map((r) => r.serverPromptTokens);
  const cached = ok.map((r) => r.cachedPromptTokens);
  const good = slo ? ok.filter((r) => meetsSlo(r, slo)).length : 0;
  return {
    requests: {
      sent: records.length,
      completed: ok.length,
      failed: records.length - ok.length,
      failuresByReason,
      failureExamples,
      notSent,
    },
    durationS,
    tokens: {
      input,
      serverInput: ok.length > 0 && serverInputs.every((x) => x !== null) ? sum(serverInputs as number[]) : null,
      cachedInput: ok.length > 0 && cached.every((x) => x !== null) ? sum(cached as number[]) : null,
      output,
      outputFromUsage: ok.filter((r) => r.outputTokensFrom === "usage").length,
    },
    throughput: {
      requestsPerS: per(ok.length),
      outputTokensPerS: per(output),
      totalTokensPerS: per(input + output),
      peakOutputTokensPerS: peakOutputThroughput(records, durationMs),
    },
    goodput: slo ? { slo, goodRequests: good, requestsPerS: per(good), fraction: records.length > 0 ? good / records.length : 0 } : null,
    latencyMs: {
      ttft: latencyStatsOf(latencySamples(records, "ttft")),
      tpot: latencyStatsOf(latencySamples(records, "tpot")),
      itl: latencyStatsOf(latencySamples(records, "itl")),
      e2e: latencyStatsOf(latencySamples(records, "e2e")),
      queue: latencyStatsOf(latencySamples(records, "queue")),
    },
    concurrency: concurrencyStats(records, durationMs),
  };
}

function sum(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}

