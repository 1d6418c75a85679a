import type { RunSummary } from "../../bench/report/summary.js";
import type { GpuSpec } from "../hardware/gpu.js";
import type { LinearStepModel } from "../perf/linear-model.js";
import type { MeasuredStep, StepLogLine } from "./step-log.js";

export interface CalibratedSpecOptions {
  readonly name: string;
  /** Copy peaks, memory, link and price from this spec (the GPU the log came from). */
  readonly base?: GpuSpec;
  /** Memory the engine's KV cache and weights share (this machine's RAM for a CPU engine). */
  readonly memoryBytes?: number;
  readonly pricePerHourUsd?: number;
  /** Client-to-engine latency per request, ms (see `requestLatencyFromBench`). */
  readonly requestLatencyMs?: number;
}

/**
 * The `--gpu` JSON that `sim calibrate` writes: the fitted model, plus the numbers the simulator
 * still needs (memory for KV sizing, price). Without a base GPU the peaks are the fit's effective
 * rates (FLOP/s from the linear-layer coefficient, bytes/s from the KV-read one): informational,
 * since the fitted model replaces the roofline for the model it was fitted on.
 */
export function calibratedGpuSpec(fit: LinearStepModel, o: CalibratedSpecOptions): GpuSpec {
  const c = fit.coefficients;
  const effectiveFlops = c.msPerLinearGflop > 0 ? 1e12 / c.msPerLinearGflop : 1e12;
  const effectiveBandwidth = c.msPerKvGb > 0 ? 1e12 / c.msPerKvGb : 1e11;
  const base = o.base;
  return {
    name: o.name,
    matmulFlopsPerSec: base?.matmulFlopsPerSec ?? effectiveFlops,
    memoryBandwidthBytesPerSec: base?.memoryBandwidthBytesPerSec ?? effectiveBandwidth,
    memoryBytes: o.memoryBytes ?? base?.memoryBytes ?? 16 * 2 ** 30,
    interconnectBytesPerSec: base?.interconnectBytesPerSec ?? 1e10,
    pricePerHourUsd: o.pricePerHourUsd ?? base?.pricePerHourUsd ?? 0,
    coefficients: base?.coefficients ?? {
      matmulEfficiency: 0.9,
      attentionEfficiency: 0.9,
      memoryEfficiency: 0.9,
      interconnectEfficiency: 0.9,
      stepOverheadMs: c.overheadMs,
      layerOverheadUs: 0,
      allReduceHopLatencyUs: 0,
    },
    fitted: fit,
    ...(o.requestLatencyMs !== undefined ? { requestLatencyMs: o.requestLatencyMs } : {}),
    source: base ? `calibrated from a step log; peaks from ${base.name}` : "calibrated from a step log; peaks are the fit's effective rates",
  };
}

/**
 * The latency a client adds to every request, from a `flotilla bench` run of the logged server:
 * mean client-side TTFT minus the mean of the server's own TTFT histogram (engine arrival to first
 * token), less `meanStepWaitMs`: part of that difference is the wait for the step the engine was
 * computing when the request came (its event loop reads the request only after the step), and
 * the simulator models that wait itself (a request is planned at the next step boundary). What is
 * left: network, HTTP parsing, streaming the first chunk back. Null when the run has no server
 * TTFT (its /metrics lacked it).
 */
export function requestLatencyFromBench(summary: RunSummary, meanStepWaitMs = 0): number | null {
  const client = summary.metrics.latencyMs.ttft?.mean;
  const server = summary.server?.ttftMs?.mean;
  if (client === undefined || server === undefined || server === null) return null;
  return Math.max(0, client - server - meanStepWaitMs);
}

/**
 * The mean time a request arriving at a random moment of the logged run waits for the step in
 * progress to end: sum of step periods squared / (2 x the log's span), the mean residual of the
 * steps (0 while idle). 0 when the log has no start times.
 */
export function meanStepWaitMs(lines: readonly StepLogLine[], steps: readonly MeasuredStep[]): number {
  const first = lines[0];
  const last = lines[lines.length - 1];
  if (first?.time_ms === undefined || last?.time_ms === undefined) return 0;
  const spanMs = last.time_ms + last.duration_ms - first.time_ms;
  if (!(spanMs > 0)) return 0;
  let sumSquares = 0;
  for (const s of steps) sumSquares += s.durationMs * s.durationMs;
  return sumSquares / (2 * spanMs);
}
