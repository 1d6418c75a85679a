/** One request's share of a step. */
export interface ScheduledRequest {
  readonly requestId: string;
  /** Tokens whose K/V were already cached before this step (the first new token's position). */
  readonly numComputedTokens: number;
  /** New tokens computed this step: a prompt chunk, a whole prompt, or 1 for a decode. */
  readonly numScheduledTokens: number;
  /** True when this step reaches the end of the request's tokens, so its logits are sampled. */
  readonly sample: boolean;
}

/**
 * The scheduler's decision for one step, as plain data: loggable, serialisable, replayable.
 * Deterministic for the same requests, arrivals and times.
 */
export interface StepPlan {
  readonly stepId: number;
  /** The caller's clock when planned (ms). */
  readonly now: number;
  readonly scheduled: readonly ScheduledRequest[];
  readonly numBatchedTokens: number;
  /** Requests preempted while planning this step (their blocks were freed). */
  readonly preempted: readonly string[];
}

export interface RequestOutput {
  readonly requestId: string;
  /** Token appended this step (absent for a prompt chunk that did not reach the end). */
  readonly newTokenId?: number;
  readonly finishReason?: "stop" | "length";
}
