import { REPORT_FILE } from "../../bench/report/files.js";
import { FLEET_CHANNELS, REPLICA_CHANNELS, type FleetResult } from "../fleet/simulation.js";
import type { SimRunSummary } from "./summary.js";
import { escapeHtml, lineChart, type Series } from "./svg.js";

export const FLEET_REPORT_FILE = "fleet.html";

function fmt(v: number | null, digits = 3): string {
  return v !== null && Number.isFinite(v) ? `${+v.toPrecision(digits)}` : "-";
}

/** Bin centres in seconds. */
function binTimesS(binWidthMs: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => ((i + 0.5) * binWidthMs) / 1000);
}

/** Per-replica series of one channel as time averages (the bins hold integrals over time). */
function replicaSeries(result: FleetResult, channel: number): Series[] {
  return result.replicaTimeline.map((t, r) => {
    const values = t.channels[channel]!;
    return { name: `replica ${r}`, xs: binTimesS(t.binWidthMs, values.length), ys: Array.from(values, (v) => v / t.binWidthMs) };
  });
}

/**
 * The fleet page of a simulation, next to bench's report.html (latencies and throughput): what
 * only a simulator sees: per-replica utilisation, KV usage and queue length over time, prefix-cache
 * hit rate, preemptions, GPU-hours and cost per million tokens. Self-contained.
 */
export function renderFleetReport(summary: SimRunSummary, result: FleetResult): string {
  const s = summary.sim;
  const fleet = result.fleetTimeline;
  const perSecond = 1000 / fleet.binWidthMs;
  const times = binTimesS(fleet.binWidthMs, fleet.channels[0]!.length);
  const rows: Array<[string, string]> = [
    ["model / GPU", `${s.model} on ${s.gpu}, tensor parallel ${s.tensorParallel}, ${s.replicas} replicas, router ${s.router}`],
    ["step-time model", s.stepTimeModel],
    ["workload", summary.workload.dataset],
    ["requests completed / failed", `${summary.metrics.requests.completed} / ${summary.metrics.requests.failed}`],
    ["duration (simulated)", `${fmt(summary.metrics.durationS, 4)} s`],
    ["output throughput", `${fmt(summary.metrics.throughput.outputTokensPerS)} tokens/s`],
    ["prefix-cache hit rate", s.prefixCacheHitRate === null ? "-" : `${fmt(100 * s.prefixCacheHitRate)}% of prompt tokens`],
    ["preemptions", `${s.preemptions}`],
    ["KV cache per replica", `${s.kvBlocksPerReplica} blocks of ${s.blockSize} tokens`],
    ["GPU-hours / cost", `${fmt(s.gpuHours)} GPU-h x $${fmt(s.pricePerGpuHourUsd)} = $${fmt(s.costUsd)}`],
    ["cost per million tokens", `$${fmt(s.costPerMillionOutputTokensUsd)} per output token million, $${fmt(s.costPerMillionTokensUsd)} per input + output million`],
    ["replica utilisation", s.replicaUtilisation.map((u) => `${fmt(100 * u, 2)}%`).join(", ")],
    ["requests per replica", s.replicaRequests.join(", ")],
  ];
  const failures = summary.metrics.requests.failuresByReason;
  if (Object.keys(failures).length > 0) {
    const examples = summary.metrics.requests.failureExamples;
    rows.push(["failures", Object.entries(failures).map(([k, v]) => `${v} x ${k} (${examples[k] ?? ""})`).join("; ")]);
  }
  const charts = [
    lineChart(
      [
        { name: "output tok/s", xs: times, ys: Array.from(fleet.channels[FLEET_CHANNELS.outputTokens]!, (v) => v * perSecond) },
      ],
      { title: "Fleet output throughput", xLabel: "time (s)", yLabel: "tokens/s" },
    ),
    lineChart(
      [
        { name: "arrivals/s", xs: times, ys: Array.from(fleet.channels[FLEET_CHANNELS.arrivals]!, (v) => v * perSecond) },
        { name: "finished/s", xs: times, ys: Array.from(fleet.channels[FLEET_CHANNELS.finished]!, (v) => v * perSecond) },
      ],
      { title: "Requests", xLabel: "time (s)", yLabel: "requests/s" },
    ),
    lineChart(replicaSeries(result, REPLICA_CHANNELS.busyMs), { title: "Replica utilisation (busy fraction)", xLabel: "time (s)", yLabel: "fraction", yMax: 1 }),
    lineChart(replicaSeries(result, REPLICA_CHANNELS.kvUsage), { title: "KV cache usage", xLabel: "time (s)", yLabel: "fraction of blocks", yMax: 1 }),
    lineChart(replicaSeries(result, REPLICA_CHANNELS.numWaiting), { title: "Queue length (waiting requests)", xLabel: "time (s)", yLabel: "requests" }),
    lineChart(replicaSeries(result, REPLICA_CHANNELS.numRunning), { title: "Running requests (batch)", xLabel: "time (s)", yLabel: "requests" }),
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>flotilla sim fleet: ${escapeHtml(s.model)} on ${escapeHtml(s.gpu)}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:1400px}table{border-collapse:collapse}td{border-bottom:1px solid #ddd;padding:3px 10px;vertical-align:top}
.charts{display:flex;flex-wrap:wrap;gap:12px}</style></head><body>
<h1>flotilla sim: fleet</h1>
<p>Simulated with the engine's own scheduler and KV-cache manager; step times from ${escapeHtml(s.stepTimeModel)}.
Latency distributions and throughput are in <a href="${REPORT_FILE}">${REPORT_FILE}</a>. Values over time are averages over bins of ${fmt(fleet.binWidthMs / 1000)} s; a replica's state is sampled when each step starts.</p>
<table>${rows.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(v)}</td></tr>`).join("")}</table>
<div class="charts">${charts.join("\n")}</div>
</body></html>
`;
}
