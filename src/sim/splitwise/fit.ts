import type { GpuSpec, RooflineCoefficients } from "../hardware/gpu.js";
import { findBuiltinModel } from "../model/builtin-models.js";
import { deploymentCosts } from "../perf/deployment.js";
import { RooflineStepTime } from "../perf/roofline.js";
import { predictProfilePoint } from "../perf/profile.js";
import { SPLITWISE_MODELS, type SplitwiseRow } from "./profile.js";

type CoefficientName = keyof RooflineCoefficients;
const NAMES: readonly CoefficientName[] = [
  "matmulEfficiency",
  "attentionEfficiency",
  "memoryEfficiency",
  "interconnectEfficiency",
  "stepOverheadMs",
  "layerOverheadUs",
  "allReduceHopLatencyUs",
];
const IS_FRACTION: ReadonlySet<CoefficientName> = new Set(["matmulEfficiency", "attentionEfficiency", "memoryEfficiency", "interconnectEfficiency"]);
/** Efficiencies stay physical: no kernel sustains more than ~90% of a data-sheet peak. */
const MAX_EFFICIENCY = 0.9;

export interface RooflineFit {
  readonly coefficients: RooflineCoefficients;
  /** Mean over rows of |ln(predicted / measured)|, prompt and token time weighted equally. */
  readonly meanAbsLogError: number;
}

/**
 * Tunes one GPU's roofline coefficients to measured rows (all of that GPU) by coordinate descent
 * on the mean absolute log error of prompt and token time: each coefficient in turn is scaled by
 * the best of a set of factors, the factors shrink when nothing improves. Robust to the few wild
 * rows (absolute log error, not squared), deterministic, and cheap enough to run in a test.
 */
export function fitRooflineCoefficients(gpu: GpuSpec, rows: readonly SplitwiseRow[], maxRounds = 40): RooflineFit {
  // One evaluation per distinct configuration, weighted by its number of measurements.
  const points = new Map<string, { row: SplitwiseRow; weight: number; logPrompt: number; logToken: number }>();
  for (const row of rows) {
    const key = `${row.model}|${row.tensorParallel}|${row.promptSize}|${row.batchSize}|${row.tokenSize}`;
    const p = points.get(key);
    if (p === undefined) points.set(key, { row, weight: 1, logPrompt: Math.log(row.promptTimeMs), logToken: Math.log(row.tokenTimeMs) });
    else {
      // Average the logs of repeated measurements: the geometric mean is what |log error| centres on.
      p.logPrompt = (p.logPrompt * p.weight + Math.log(row.promptTimeMs)) / (p.weight + 1);
      p.logToken = (p.logToken * p.weight + Math.log(row.tokenTimeMs)) / (p.weight + 1);
      p.weight++;
    }
  }
  const costsByKey = new Map<string, ReturnType<typeof deploymentCosts>>();
  const costsOf = (row: SplitwiseRow) => {
    const key = `${row.model}|${row.tensorParallel}`;
    let costs = costsByKey.get(key);
    if (costs === undefined) {
      const model = findBuiltinModel(SPLITWISE_MODELS.get(row.model) ?? row.model);
      if (model === undefined) throw new Error(`no built-in model for ${row.model}`);
      costs = deploymentCosts({ model, tp: row.tensorParallel, weightBytesPerParam: 2, kvBytesPerElement: 2 });
      costsByKey.set(key, costs);
    }
    return costs;
  };
  const objective = (c: RooflineCoefficients): number => {
    const candidate: GpuSpec = { ...gpu, coefficients: c, fitted: undefined };
    let sum = 0;
    let weight = 0;
    for (const p of points.values()) {
      const predicted = predictProfilePoint(new RooflineStepTime(candidate, costsOf(p.row)), p.row);
      sum += p.weight * (Math.abs(Math.log(predicted.promptTimeMs) - p.logPrompt) + Math.abs(Math.log(predicted.tokenTimeMs) - p.logToken));
      weight += 2 * p.weight;
    }
    return sum / weight;
  };

  let best = { ...gpu.coefficients };
  for (const name of IS_FRACTION) best[name] = Math.min(MAX_EFFICIENCY, best[name]);
  let bestScore = objective(best);
  let spread = 0.5;
  for (let round = 0; round < maxRounds && spread > 0.01; round++) {
    let improved = false;
    for (const name of NAMES) {
      for (const factor of [1 - spread, 1 / (1 - spread), 1 - spread / 4, 1 / (1 - spread / 4)]) {
        let value = best[name] * factor;
        if (best[name] === 0) value = factor > 1 ? 1e-3 : 0;
        if (IS_FRACTION.has(name)) value = Math.min(MAX_EFFICIENCY, value);
        if (value === best[name]) continue;
        const candidate = { ...best, [name]: value };
        const score = objective(candidate);
        if (score < bestScore - 1e-9) {
          best = candidate;
          bestScore = score;
          improved = true;
        }
      }
    }
    if (!improved) spread /= 2;
  }
  return { coefficients: best, meanAbsLogError: bestScore };
}
