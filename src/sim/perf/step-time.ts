import type { ScheduledRequest } from "../../engine/scheduler/step-plan.js";

/** What a step-time model needs of one sequence in a step: the scheduler's own plan entry. */
export type SequenceWork = Pick<ScheduledRequest, "numComputedTokens" | "numScheduledTokens" | "sample">;

/** Predicts how long one engine step takes from what the scheduler put in it. Pure. */
export interface StepTimeModel {
  readonly description: string;
  stepTimeMs(sequences: readonly SequenceWork[]): number;
  /**
   * True when a pure-decode step's time is affine in a uniform shift of the contexts (each step of
   * a decode run adds one token to every sequence), so the times of a whole run follow from two
   * steps. Absent or false: every step of a run is evaluated.
   */
  readonly decodeTimeIsAffine?: boolean;
}

/**
 * The duration of step j of a decode run of one batch, where step j computes one token of every
 * sequence at position contexts[i] + j. For an affine model that is first + j x slope (two model
 * evaluations for the whole run); otherwise every step is evaluated.
 */
export function decodeRunTimer(model: StepTimeModel, contexts: readonly number[]): (step: number) => number {
  const at = (j: number): number => model.stepTimeMs(contexts.map((c) => ({ numComputedTokens: c + j, numScheduledTokens: 1, sample: true })));
  if (model.decodeTimeIsAffine !== true) return at;
  const first = at(0);
  const slope = at(1) - first;
  return (j) => first + j * slope;
}
