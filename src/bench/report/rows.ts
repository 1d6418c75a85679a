import type { LatencyStats } from "../metrics/stats.js";
import { fmt } from "./svg.js";
import { rateLabel, type RunSummary } from "./summary.js";

/** The headline numbers of a run as (name, value) rows, shared by the terminal and HTML tables. */
export function headlineRows(s: RunSummary): Array<[string, string]> {
  const m = s.metrics;
  const failures = Object.entries(m.requests.failuresByReason)
    .map(([k, v]) => `${k}: ${v}`)
    .join(", ");
  const rows: Array<[string, string]> = [
    ["Request rate", rateLabel(s.requestRate)],
    ["Max concurrency", s.workload.maxConcurrency === null ? "unbounded" : String(s.workload.maxConcurrency)],
    ["Successful requests", String(m.requests.completed)],
    ["Failed requests", m.requests.failed > 0 ? `${m.requests.failed} (${failures})` : "0"],
  ];
  if (m.requests.notSent > 0) rows.push(["Not sent (duration over)", String(m.requests.notSent)]);
  rows.push(
    ["Benchmark duration (s)", fmt(m.durationS, 4)],
    ["Total input tokens", String(m.tokens.input)],
    ["Total generated tokens", String(m.tokens.output)],
    ["Request throughput (req/s)", fmt(m.throughput.requestsPerS, 4)],
    ["Output token throughput (tok/s)", fmt(m.throughput.outputTokensPerS, 4)],
    ["Peak output token throughput (tok/s)", fmt(m.throughput.peakOutputTokensPerS, 4)],
    ["Total token throughput (tok/s)", fmt(m.throughput.totalTokensPerS, 4)],
  );
  if (m.goodput) {
    const slo = Object.entries(m.goodput.slo)
      .map(([k, v]) => `${k.replace(/Ms$/, "")} ≤ ${v} ms`)
      .join(", ");
    rows.push([`Request goodput (req/s) [${slo}]`, `${fmt(m.goodput.requestsPerS, 4)} (${fmt(m.goodput.fraction * 100, 3)}% of requests)`]);
  }
  rows.push(["Concurrency (peak / mean)", `${m.concurrency.peak} / ${fmt(m.concurrency.mean)}`]);
  if (m.tokens.cachedInput !== null) rows.push(["Cached prompt tokens (usage)", String(m.tokens.cachedInput)]);
  const sv = s.server;
  if (sv) {
    rows.push(["Prefix cache hit rate (server)", sv.prefixCacheHitRate === null ? "–" : `${fmt(sv.prefixCacheHitRate * 100, 3)}% (${sv.prefixCacheHits} / ${sv.prefixCacheQueries} tokens)`]);
    rows.push(["Preemptions (server)", sv.preemptions === null ? "–" : String(sv.preemptions)]);
    if (sv.ttftMs) rows.push(["TTFT mean, server histogram (ms)", `${fmt(sv.ttftMs.mean, 4)} over ${sv.ttftMs.count} requests`]);
  } else if (s.serverNote) {
    rows.push(["Server metrics", s.serverNote]);
  }
  return rows;
}

export const LATENCIES = [
  ["ttft", "TTFT"],
  ["tpot", "TPOT"],
  ["itl", "ITL"],
  ["e2e", "E2E"],
] as const;

export type LatencyKey = (typeof LATENCIES)[number][0];

export const STAT_COLUMNS = ["mean", "median", "p90", "p99"] as const;

export function latencyCells(stats: LatencyStats | null): string[] {
  return STAT_COLUMNS.map((c) => (stats ? fmt(stats[c], 4) : "–"));
}
