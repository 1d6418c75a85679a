import type { EndpointKind } from "../client/wire.js";
import type { PromptFormat } from "../client/prepare.js";
import type { RunMetrics } from "../metrics/run-metrics.js";
import type { ServerMetrics } from "../metrics/server-metrics.js";
import type { ArrivalProcess } from "../workload/arrivals.js";

/** Version tag of summary.json; bump on incompatible changes. */
export const SUMMARY_SCHEMA = "flotilla.bench.summary/v1";

/** What was measured against what (the same for every point of a sweep). */
export interface TargetInfo {
  readonly baseUrl: string;
  readonly endpoint: EndpointKind;
  readonly model: string;
  /** "server" (its /tokenize) or "local PATH". */
  readonly tokenizer: string;
  readonly promptFormat: PromptFormat;
}

export interface WorkloadInfo {
  /** Human-readable, e.g. "shared-prefix (8 groups x 8, system 256, question 32, out 64)". */
  readonly dataset: string;
  readonly datasetKind: "random" | "shared-prefix" | "multi-turn" | "trace";
  /** The dataset's parameters (trace rows left out). */
  readonly datasetParams: Readonly<Record<string, unknown>>;
  readonly seed: number;
  readonly numRequests: number | null;
  readonly durationS: number | null;
  readonly maxConcurrency: number | null;
  readonly ignoreEos: boolean;
  readonly temperature: number;
  readonly requestTimeoutS: number;
}

/** summary.json of one run (or one point of a sweep). */
export interface RunSummary {
  readonly schema: typeof SUMMARY_SCHEMA;
  readonly kind: "run";
  /** Legend name in reports (`--label`, default the model name). */
  readonly label: string;
  /** Wall-clock start, ISO 8601. */
  readonly startedAt: string;
  readonly target: TargetInfo;
  readonly workload: WorkloadInfo;
  readonly arrivals: ArrivalProcess;
  /** Requests per second asked for; "inf" = all at once; "trace" = the trace's timestamps. */
  readonly requestRate: number | "inf" | "trace";
  readonly metrics: RunMetrics;
  /** Change of the server's /metrics over the run; null when it has no usable /metrics. */
  readonly server: ServerMetrics | null;
  /** Why `server` is null, or notes on what was missing. */
  readonly serverNote: string | null;
  /** Prompt texts whose token count could not be made exact (text mode), 0 in ids mode. */
  readonly inexactPrompts: number;
}

/** summary.json of a `--sweep`: one full run summary per request rate, each also in its own folder. */
export interface SweepSummary {
  readonly schema: typeof SUMMARY_SCHEMA;
  readonly kind: "sweep";
  readonly label: string;
  readonly startedAt: string;
  readonly target: TargetInfo;
  readonly workload: WorkloadInfo;
  readonly points: ReadonlyArray<{ readonly dir: string; readonly summary: RunSummary }>;
}

export type BenchSummary = RunSummary | SweepSummary;

/** "inf", "trace" or "4 req/s". */
export function rateLabel(rate: RunSummary["requestRate"]): string {
  return typeof rate === "number" ? `${rate} req/s` : rate === "inf" ? "all at once" : "trace times";
}
