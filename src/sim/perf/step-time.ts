import type { ScheduledRequest } from "../../engine/scheduler/step-plan.js";

/** What a step-time model needs of one sequence in a step: the scheduler's own plan entry. */
export type SequenceWork = Pick<ScheduledRequest, "numComputedTokens" | "numScheduledTokens" | "sample">;

/** Predicts how long one engine step takes from what the scheduler put in it. Pure. */
export interface StepTimeModel {
  readonly description: string;
  stepTimeMs(sequences: readonly SequenceWork[]): number;
}
