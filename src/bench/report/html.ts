import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RequestRecord } from "../client/record.js";
import { latencySamples } from "../metrics/samples.js";
import { cdfPointsOf } from "../metrics/stats.js";
import { concurrencySteps, niceBucketMs, outputThroughputSeries } from "../metrics/timeseries.js";
import { describeArrivals } from "../workload/arrivals.js";
import { REPORT_FILE } from "./files.js";
import { headlineRows, LATENCIES, type LatencyKey, latencyCells, STAT_COLUMNS } from "./rows.js";
import { escapeXml, fmt, lineChart, PALETTE, type Series } from "./svg.js";
import { type BenchSummary, rateLabel, type RunSummary, type SweepSummary } from "./summary.js";

/** A run (with its per-request records) or a sweep (summaries only) to draw. */
export interface ReportEntry {
  readonly summary: BenchSummary;
  readonly records: readonly RequestRecord[];
}

export function writeHtmlReport(dir: string, entries: readonly ReportEntry[], title?: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, REPORT_FILE);
  writeFileSync(path, renderHtmlReport(entries, title));
  return path;
}

/**
 * One self-contained page: settings and headline numbers side by side, latency CDFs, output
 * throughput and concurrency over time for runs, and latency-throughput curves for sweeps.
 */
export function renderHtmlReport(entries: readonly ReportEntry[], title?: string): string {
  const runs = entries.filter((e): e is { summary: RunSummary; records: readonly RequestRecord[] } => e.summary.kind === "run");
  const sweeps = entries.map((e) => e.summary).filter((s): s is SweepSummary => s.kind === "sweep");
  const heading = title ?? `flotilla bench: ${entries.map((e) => e.summary.label).join(" vs ")}`;
  const body: string[] = [];
  body.push(`<h1>${escapeXml(heading)}</h1>`);
  if (runs.length > 0) {
    body.push(`<h2>Runs</h2>`, settingsTable(runs.map((r) => r.summary)), headlineTable(runs.map((r) => r.summary)), latencyTable(runs.map((r) => r.summary)));
    body.push(`<h2>Latency distributions</h2><div class="charts">`);
    for (const [key, name] of LATENCIES) body.push(cdfChart(runs, key, name));
    body.push(`</div><h2>Over time</h2><div class="charts">`, throughputChart(runs), concurrencyChart(runs), `</div>`);
    body.push(failuresTable(runs.map((r) => r.summary)));
  }
  for (const [i, s] of sweeps.entries()) body.push(sweepSection(s, i));
  if (sweeps.length > 1) body.push(`<h2>Sweeps compared</h2><div class="charts">${sweepCharts(sweeps)}</div>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(heading)}</title>
<meta name="generator" content="flotilla bench">
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1300px}
h1{font-size:20px}h2{font-size:16px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;margin:10px 0;font-size:13px}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:right;vertical-align:top}
td:first-child,th:first-child{text-align:left}
th{background:#f6f6f6}
.charts{display:flex;flex-wrap:wrap;gap:12px}
.swatch{display:inline-block;width:10px;height:10px;margin-right:5px}
.note{color:#666;font-size:12px}
</style></head><body>
${body.join("\n")}
<p class="note">Latencies are measured by the client from sending a request: TTFT to the first chunk with text, ITL between text chunks, TPOT = (E2E − TTFT) / (output tokens − 1), E2E to the end of the stream. Percentiles interpolate linearly between ranks.</p>
</body></html>
`;
}

function swatch(i: number): string {
  return `<span class="swatch" style="background:${PALETTE[i % PALETTE.length]}"></span>`;
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const th = head.map((h, i) => `<th>${i > 0 ? h : escapeXml(h)}</th>`).join("");
  const tr = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeXml(c)}</td>`).join("")}</tr>`).join("\n");
  return `<table><tr>${th}</tr>\n${tr}</table>`;
}

function runHead(runs: readonly RunSummary[]): string[] {
  return ["", ...runs.map((r, i) => `${swatch(i)}${escapeXml(r.label)}`)];
}

function settingsTable(runs: readonly RunSummary[]): string {
  const rows: Array<[string, (r: RunSummary) => string]> = [
    ["Target", (r) => `${r.target.baseUrl} (${r.target.endpoint})`],
    ["Model", (r) => r.target.model],
    ["Dataset", (r) => r.workload.dataset],
    ["Arrivals", (r) => describeArrivals(r.arrivals)],
    ["Prompts sent as", (r) => `${r.target.promptFormat} (tokenizer: ${r.target.tokenizer})`],
    ["Seed", (r) => String(r.workload.seed)],
    ["ignore_eos / temperature", (r) => `${r.workload.ignoreEos} / ${r.workload.temperature}`],
    ["Started", (r) => r.startedAt],
  ];
  return table(runHead(runs), rows.map(([k, f]) => [k, ...runs.map(f)]));
}

function headlineTable(runs: readonly RunSummary[]): string {
  const keys = [...new Set(runs.flatMap((r) => headlineRows(r).map(([k]) => k)))];
  const maps = runs.map((r) => new Map(headlineRows(r)));
  return table(runHead(runs), keys.map((k) => [k, ...maps.map((m) => m.get(k) ?? "–")]));
}

function latencyTable(runs: readonly RunSummary[]): string {
  const rows: string[][] = [];
  for (const [key, name] of LATENCIES) {
    for (const [i, c] of STAT_COLUMNS.entries()) rows.push([`${name} ${c} (ms)`, ...runs.map((r) => latencyCells(r.metrics.latencyMs[key])[i]!)]);
  }
  return table(runHead(runs), rows);
}

function failuresTable(runs: readonly RunSummary[]): string {
  const rows: string[][] = [];
  runs.forEach((r) => {
    for (const [reason, n] of Object.entries(r.metrics.requests.failuresByReason)) rows.push([r.label, reason, String(n), r.metrics.requests.failureExamples[reason] ?? ""]);
  });
  if (rows.length === 0) return `<h2>Failures</h2><p>None.</p>`;
  return `<h2>Failures</h2>${table(["Run", "Reason", "Count", "First message"], rows)}`;
}

function cdfChart(runs: readonly ReportEntry[], key: LatencyKey, name: string): string {
  const series: Series[] = runs.map((r, i) => ({ name: r.summary.label, points: cdfPointsOf(latencySamples(r.records, key)), step: true, colorIndex: i }));
  return lineChart({ title: `${name} CDF`, xLabel: `${name} (ms)`, yLabel: "fraction of samples", series, yMax: 1 });
}

function throughputChart(runs: readonly ReportEntry[]): string {
  const longest = Math.max(...runs.map((r) => (r.summary as RunSummary).metrics.durationS * 1000), 1);
  const bucketMs = niceBucketMs(longest);
  const series: Series[] = runs.map((r, i) => {
    const values = outputThroughputSeries(r.records, (r.summary as RunSummary).metrics.durationS * 1000, bucketMs);
    return { name: r.summary.label, points: values.map((v, k) => [((k + 0.5) * bucketMs) / 1000, v] as const), colorIndex: i };
  });
  return lineChart({ title: `Output throughput (${fmt(bucketMs / 1000)} s buckets)`, xLabel: "time since start (s)", yLabel: "tokens/s", series });
}

function concurrencyChart(runs: readonly ReportEntry[]): string {
  const series: Series[] = runs.map((r, i) => ({
    name: r.summary.label,
    points: concurrencySteps(r.records).map(([t, n]) => [t / 1000, n] as const),
    step: true,
    colorIndex: i,
  }));
  return lineChart({ title: "Requests in flight", xLabel: "time since start (s)", yLabel: "requests", series });
}

function sweepSection(s: SweepSummary, index: number): string {
  const rows = s.points.map(({ summary: p }) => [
    rateLabel(p.requestRate),
    fmt(p.metrics.throughput.requestsPerS),
    fmt(p.metrics.throughput.outputTokensPerS),
    fmt(p.metrics.latencyMs.ttft?.median),
    fmt(p.metrics.latencyMs.ttft?.p99),
    fmt(p.metrics.latencyMs.tpot?.median),
    fmt(p.metrics.latencyMs.tpot?.p99),
    fmt(p.metrics.latencyMs.e2e?.median),
    p.metrics.goodput ? fmt(p.metrics.goodput.requestsPerS) : "–",
    String(p.metrics.requests.failed),
    p.server?.prefixCacheHitRate != null ? `${fmt(p.server.prefixCacheHitRate * 100)}%` : "–",
  ]);
  const head = ["rate", "req/s", "out tok/s", "TTFT p50", "TTFT p99", "TPOT p50", "TPOT p99", "E2E p50", "goodput", "failed", "prefix hit"];
  return `<h2>${swatch(index)}Sweep: ${escapeXml(s.label)}</h2><p>${escapeXml(s.workload.dataset)}; latencies in ms.</p>${table(head, rows)}<div class="charts">${sweepCharts([s])}</div>`;
}

/** Latency against achieved output throughput, one curve per sweep and percentile (p50 solid, p99 dashed). */
function sweepCharts(sweeps: readonly SweepSummary[]): string {
  const charts: string[] = [];
  for (const [key, name] of LATENCIES) {
    const series: Series[] = sweeps.flatMap((s, i) =>
      (["median", "p99"] as const).map((stat) => ({
        name: `${s.label} ${stat === "median" ? "p50" : "p99"}`,
        points: s.points
          .map(({ summary: p }) => [p.metrics.throughput.outputTokensPerS, p.metrics.latencyMs[key]?.[stat] ?? NaN] as const)
          .filter(([, y]) => Number.isFinite(y))
          .sort((a, b) => a[0] - b[0]),
        markers: true,
        dashed: stat === "p99",
        colorIndex: i,
      })),
    );
    charts.push(lineChart({ title: `${name} vs throughput`, xLabel: "output throughput (tokens/s)", yLabel: `${name} (ms)`, series }));
  }
  const offered: Series[] = sweeps.map((s, i) => ({
    name: s.label,
    points: s.points.filter(({ summary: p }) => typeof p.requestRate === "number" && Number.isFinite(p.requestRate)).map(({ summary: p }) => [p.requestRate as number, p.metrics.throughput.requestsPerS] as const),
    markers: true,
    colorIndex: i,
  }));
  charts.push(lineChart({ title: "Achieved vs offered load", xLabel: "offered request rate (req/s)", yLabel: "completed requests/s", series: offered }));
  return charts.join("\n");
}
