import type { GpuSpec } from "../hardware/gpu.js";
import { findBuiltinGpu } from "../hardware/builtin-gpus.js";
import { numParams } from "../model/architecture.js";
import { findBuiltinModel } from "../model/builtin-models.js";
import { deploymentCosts } from "../perf/deployment.js";
import { RooflineStepTime } from "../perf/roofline.js";
import { predictProfilePoint, type ProfilePrediction } from "../perf/profile.js";
import { mean, percentile, sortedCopy } from "../stats.js";
import { SPLITWISE_HARDWARE, SPLITWISE_MODELS, type SplitwiseRow } from "./profile.js";

/** Absolute percentage errors summarised. */
export interface ErrorSummary {
  readonly count: number;
  /** Mean absolute percentage error. */
  readonly mapePct: number;
  readonly medianApePct: number;
  readonly p90ApePct: number;
  /** Mean signed percentage error: positive when predictions run high. */
  readonly biasPct: number;
}

export interface MetricErrors {
  readonly prompt: ErrorSummary;
  readonly token: ErrorSummary;
  readonly e2e: ErrorSummary;
}

export interface RowResult {
  readonly row: SplitwiseRow;
  readonly predicted: ProfilePrediction;
  readonly powerCapped: boolean;
  /**
   * False when the measured prefill would need more than the GPUs' peak FLOP/s (2 x params x
   * prompt tokens / time > tp x peak): a failed or truncated measurement, not a slow GPU.
   */
  readonly plausible: boolean;
  /**
   * The row's e2e agrees with its own prompt + (tokens - 1) x token time within 10%. Long
   * generations often do not (the profiler stopped at EOS), so e2e is compared on these rows only.
   */
  readonly e2eConsistent: boolean;
}

export interface SplitwiseComparison {
  readonly rows: readonly RowResult[];
  /** Every row (e2e: consistent rows only). */
  readonly all: MetricErrors;
  /** Plausible rows of uncapped GPUs: what the model is meant to predict. */
  readonly clean: MetricErrors;
  /** Per model / hardware / tp. */
  readonly groups: ReadonlyArray<{ readonly key: string; readonly errors: MetricErrors }>;
}

/** GPU spec for a Splitwise hardware name; default: the built-in it maps to. */
export type GpuLookup = (splitwiseHardware: string) => GpuSpec;

export const builtinGpuLookup: GpuLookup = (hw) => {
  const mapped = SPLITWISE_HARDWARE.get(hw);
  const gpu = mapped && findBuiltinGpu(mapped.gpu);
  if (!gpu) throw new Error(`no GPU for Splitwise hardware ${hw}`);
  return gpu;
};

/** Rows whose model and hardware the simulator knows (all of the shipped file). */
export function coveredRows(rows: readonly SplitwiseRow[]): SplitwiseRow[] {
  return rows.filter((r) => SPLITWISE_MODELS.has(r.model) && SPLITWISE_HARDWARE.has(r.hardware));
}

/** Predicts every row with the roofline model (configurations measured several times are predicted once). */
export function compareWithSplitwise(rows: readonly SplitwiseRow[], gpuFor: GpuLookup = builtinGpuLookup): SplitwiseComparison {
  const cache = new Map<string, ProfilePrediction>();
  const results: RowResult[] = [];
  for (const row of coveredRows(rows)) {
    const key = `${row.model}|${row.hardware}|${row.tensorParallel}|${row.promptSize}|${row.batchSize}|${row.tokenSize}`;
    let predicted = cache.get(key);
    if (predicted === undefined) {
      const model = findBuiltinModel(SPLITWISE_MODELS.get(row.model)!)!;
      const costs = deploymentCosts({ model, tp: row.tensorParallel, weightBytesPerParam: 2, kvBytesPerElement: 2 });
      predicted = predictProfilePoint(new RooflineStepTime(gpuFor(row.hardware), costs), row);
      cache.set(key, predicted);
    }
    const gpu = gpuFor(row.hardware);
    const model = findBuiltinModel(SPLITWISE_MODELS.get(row.model)!)!;
    const achievedFlopsPerSec = (2 * numParams(model) * row.promptSize * row.batchSize) / (row.promptTimeMs / 1000);
    const selfE2e = row.promptTimeMs + (row.tokenSize - 1) * row.tokenTimeMs;
    results.push({
      row,
      predicted,
      powerCapped: SPLITWISE_HARDWARE.get(row.hardware)!.powerCapped,
      plausible: achievedFlopsPerSec <= row.tensorParallel * gpu.matmulFlopsPerSec,
      e2eConsistent: Math.abs(selfE2e - row.e2eTimeMs) <= 0.1 * row.e2eTimeMs,
    });
  }
  const groups = new Map<string, RowResult[]>();
  for (const r of results) {
    const key = `${r.row.model} ${r.row.hardware} tp${r.row.tensorParallel}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return {
    rows: results,
    all: metricErrors(results),
    clean: metricErrors(results.filter((r) => !r.powerCapped && r.plausible)),
    groups: [...groups].map(([key, rs]) => ({ key, errors: metricErrors(rs) })),
  };
}

export function metricErrors(results: readonly RowResult[]): MetricErrors {
  return {
    prompt: errorSummary(results.map((r) => [r.predicted.promptTimeMs, r.row.promptTimeMs])),
    token: errorSummary(results.map((r) => [r.predicted.tokenTimeMs, r.row.tokenTimeMs])),
    e2e: errorSummary(results.filter((r) => r.e2eConsistent).map((r) => [r.predicted.e2eTimeMs, r.row.e2eTimeMs])),
  };
}

export function errorSummary(pairs: ReadonlyArray<readonly [predicted: number, measured: number]>): ErrorSummary {
  const signed = pairs.map(([p, m]) => (100 * (p - m)) / m);
  const abs = sortedCopy(signed.map(Math.abs));
  return { count: pairs.length, mapePct: mean(abs), medianApePct: percentile(abs, 50), p90ApePct: percentile(abs, 90), biasPct: mean(signed) };
}
