import { headlineRows, LATENCIES, latencyCells, STAT_COLUMNS } from "./rows.js";
import { fmt } from "./svg.js";
import { rateLabel, type RunSummary, type SweepSummary } from "./summary.js";

/** vLLM-style result block for the terminal. */
export function formatRunTable(s: RunSummary): string {
  const lines: string[] = [];
  const width = 62;
  lines.push(center(" Serving Benchmark Result ", width, "="));
  lines.push(`${s.label} — ${s.workload.dataset}`);
  for (const [k, v] of headlineRows(s)) lines.push(`${`${k}:`.padEnd(40)} ${v}`);
  lines.push(center(" Latency (ms) ", width, "-"));
  lines.push(["".padEnd(8), ...STAT_COLUMNS.map((c) => c.padStart(12))].join(""));
  for (const [key, name] of LATENCIES) {
    lines.push([name.padEnd(8), ...latencyCells(s.metrics.latencyMs[key]).map((c) => c.padStart(12))].join(""));
  }
  lines.push("=".repeat(width));
  return lines.join("\n");
}

/** One row per request rate: the latency-throughput curve as numbers. */
export function formatSweepTable(s: SweepSummary): string {
  const head = ["rate", "req/s", "out tok/s", "TTFT p50", "TTFT p99", "TPOT p50", "TPOT p99", "E2E p50", "failed"];
  const rows = s.points.map(({ summary: p }) => {
    const m = p.metrics;
    return [
      rateLabel(p.requestRate),
      fmt(m.throughput.requestsPerS),
      fmt(m.throughput.outputTokensPerS),
      fmt(m.latencyMs.ttft?.median),
      fmt(m.latencyMs.ttft?.p99),
      fmt(m.latencyMs.tpot?.median),
      fmt(m.latencyMs.tpot?.p99),
      fmt(m.latencyMs.e2e?.median),
      String(m.requests.failed),
    ];
  });
  return `${s.label} — ${s.workload.dataset} (latencies in ms)\n${grid([head, ...rows])}`;
}

/** Runs side by side: one column per run. */
export function formatCompareTable(runs: readonly RunSummary[]): string {
  const names = runs.map((r) => r.label);
  const keys = headlineRows(runs[0]!).map(([k]) => k);
  const byRun = runs.map((r) => new Map(headlineRows(r)));
  const rows: string[][] = [["", ...names]];
  for (const k of keys) rows.push([k, ...byRun.map((m) => m.get(k) ?? "–")]);
  for (const [key, name] of LATENCIES) {
    for (const [i, c] of STAT_COLUMNS.entries()) rows.push([`${name} ${c} (ms)`, ...runs.map((r) => latencyCells(r.metrics.latencyMs[key])[i]!)]);
  }
  return grid(rows);
}

function grid(rows: readonly string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ")).join("\n");
}

function center(text: string, width: number, fill: string): string {
  const left = Math.max(0, Math.floor((width - text.length) / 2));
  return `${fill.repeat(left)}${text}${fill.repeat(Math.max(0, width - text.length - left))}`;
}
