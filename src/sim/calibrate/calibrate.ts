import type { DeploymentCosts } from "../perf/deployment.js";
import { LINEAR_FEATURES, linearFeatures, type FitQuality, type LinearCoefficients, type LinearStepModel } from "../perf/linear-model.js";
import type { MeasuredStep } from "./step-log.js";
import { nnls } from "./nnls.js";

export interface CalibrationOptions {
  /** Model name and tensor parallelism the fitted model will be used for. */
  readonly model: string;
  readonly tp: number;
  /** Steps dropped at the start of the log (JIT warm-up, first allocations). */
  readonly skipFirstSteps: number;
}

/** Huber's tuning constant: 95% efficiency on Gaussian residuals. */
const HUBER_K = 1.345;
const ROBUST_ITERATIONS = 8;

/**
 * Fits the linear step-time model (`perf/linear-model.ts`) to measured steps: non-negative least
 * squares on relative residuals ((predicted - measured) / measured), so the many short decode
 * steps count as much as the few long prefills and no coefficient comes out negative (every
 * feature can only add time). Robust: iteratively reweighted with Huber weights (scale from the
 * residuals' median absolute deviation), so steps slowed by something else on the machine (a
 * busy core, a GC pause) pull the fit far less than in plain least squares. Finally the
 * coefficients are scaled so that the predicted total time equals the measured total: the robust
 * fit finds the shape (typical steps), the scale puts the slow ones back in on average, which is
 * what throughput and queueing in a simulation depend on.
 */
export function calibrate(steps: readonly MeasuredStep[], costs: DeploymentCosts, options: CalibrationOptions): LinearStepModel {
  const used = steps.slice(options.skipFirstSteps).filter((s) => s.sequences.length > 0 && s.durationMs > 0);
  if (used.length < LINEAR_FEATURES.length) throw new Error(`need at least ${LINEAR_FEATURES.length} steps with work to fit, the log has ${used.length}`);
  const features = used.map((s) => linearFeatures(costs, s.sequences));
  const rows = features.map((f, i) => f.map((v) => v / used[i]!.durationMs));
  const weights = new Float64Array(used.length).fill(1);
  let x: Float64Array = new Float64Array(LINEAR_FEATURES.length);
  for (let iter = 0; iter < ROBUST_ITERATIONS; iter++) {
    const sqrtW = Array.from(weights, Math.sqrt);
    x = nnls(rows.map((r, i) => r.map((v) => v * sqrtW[i]!)), sqrtW);
    const residuals = rows.map((r) => r.reduce((sum, v, j) => sum + v * x[j]!, 0) - 1);
    const centre = median(residuals);
    const scale = 1.4826 * median(residuals.map((r) => Math.abs(r - centre)));
    if (!(scale > 0)) break;
    residuals.forEach((r, i) => (weights[i] = Math.abs(r) <= HUBER_K * scale ? 1 : (HUBER_K * scale) / Math.abs(r)));
  }
  let measuredTotal = 0;
  let predictedTotal = 0;
  features.forEach((f, i) => {
    measuredTotal += used[i]!.durationMs;
    for (let j = 0; j < f.length; j++) predictedTotal += f[j]! * x[j]!;
  });
  if (predictedTotal > 0) x = x.map((v) => (v * measuredTotal) / predictedTotal);
  const coefficients = Object.fromEntries(LINEAR_FEATURES.map((name, j) => [name, x[j]!])) as LinearCoefficients;
  return { kind: "linear", coefficients, fittedFor: { model: options.model, tp: options.tp }, quality: fitQuality(features, used, x) };
}

function fitQuality(features: readonly Float64Array[], steps: readonly MeasuredStep[], x: Float64Array): FitQuality {
  let se = 0;
  let ape = 0;
  let mean = 0;
  for (const s of steps) mean += s.durationMs;
  mean /= steps.length;
  let ss = 0;
  features.forEach((f, i) => {
    let predicted = 0;
    for (let j = 0; j < f.length; j++) predicted += f[j]! * x[j]!;
    const measured = steps[i]!.durationMs;
    se += (predicted - measured) ** 2;
    ss += (measured - mean) ** 2;
    ape += Math.abs(predicted - measured) / measured;
  });
  return { numSteps: steps.length, rmseMs: Math.sqrt(se / steps.length), r2: ss === 0 ? 1 : 1 - se / ss, meanAbsPctError: (100 * ape) / steps.length };
}

function median(values: readonly number[]): number {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  return n === 0 ? Number.NaN : n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
}
