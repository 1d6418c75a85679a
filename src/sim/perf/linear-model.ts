import { attentionPairs, type DeploymentCosts } from "./deployment.js";
import type { SequenceWork, StepTimeModel } from "./step-time.js";

/**
 * The features of a step a fitted model is linear in, each in the unit its coefficient divides:
 * time_ms = overhead + perSequence x sequences + perLinearGflop x linear GFLOP
 *         + perAttentionGflop x attention GFLOP + perKvGb x KV GB read.
 * Weight reads are the same every step, so they fall into the overhead: a fitted model belongs to
 * the model and tensor parallelism it was fitted on.
 */
export const LINEAR_FEATURES = ["overheadMs", "msPerSequence", "msPerLinearGflop", "msPerAttentionGflop", "msPerKvGb"] as const;
export type LinearFeature = (typeof LINEAR_FEATURES)[number];

export type LinearCoefficients = Readonly<Record<LinearFeature, number>>;

/** Quality of a fit, on the steps it was fitted to. */
export interface FitQuality {
  readonly numSteps: number;
  readonly rmseMs: number;
  /** Coefficient of determination of the step durations. */
  readonly r2: number;
  /** Mean of |predicted - measured| / measured over steps, in percent. */
  readonly meanAbsPctError: number;
}

export interface LinearStepModel {
  readonly kind: "linear";
  readonly coefficients: LinearCoefficients;
  /** The model (by name) and tensor parallelism the fit belongs to. */
  readonly fittedFor: { readonly model: string; readonly tp: number };
  readonly quality?: FitQuality;
}

/** The feature values of a step (same order as LINEAR_FEATURES), written into `out`. */
export function linearFeatures(costs: DeploymentCosts, sequences: readonly SequenceWork[], out: Float64Array = new Float64Array(LINEAR_FEATURES.length)): Float64Array {
  let numTokens = 0;
  let numLogits = 0;
  let pairs = 0;
  let contextTokens = 0;
  for (const s of sequences) {
    numTokens += s.numScheduledTokens;
    if (s.sample) numLogits++;
    pairs += attentionPairs(s.numComputedTokens, s.numScheduledTokens);
    contextTokens += s.numComputedTokens + s.numScheduledTokens;
  }
  out[0] = sequences.length === 0 ? 0 : 1;
  out[1] = sequences.length;
  out[2] = (numTokens * costs.linearFlopsPerToken + numLogits * costs.headFlopsPerLogit) / 1e9;
  out[3] = (pairs * costs.attentionFlopsPerPair) / 1e9;
  out[4] = (contextTokens * costs.kvBytesPerToken) / 1e9;
  return out;
}

export class LinearStepTime implements StepTimeModel {
  readonly description: string;
  /** Every feature of a decode step is affine in its contexts. */
  readonly decodeTimeIsAffine = true;
  private readonly weights: Float64Array;
  private readonly scratch = new Float64Array(LINEAR_FEATURES.length);

  constructor(
    readonly model: LinearStepModel,
    readonly costs: DeploymentCosts,
  ) {
    this.weights = Float64Array.from(LINEAR_FEATURES, (f) => model.coefficients[f]);
    this.description = `fitted linear model (${model.fittedFor.model}, tp ${model.fittedFor.tp})`;
  }

  stepTimeMs(sequences: readonly SequenceWork[]): number {
    const x = linearFeatures(this.costs, sequences, this.scratch);
    let t = 0;
    for (let i = 0; i < x.length; i++) t += this.weights[i]! * x[i]!;
    return t;
  }
}
