/** What happened to one request in a simulation (times in simulated ms). */
export interface RequestRecord {
  readonly index: number;
  readonly id: string;
  /** When the workload said to send it. */
  readonly scheduledMs: number;
  /** When it was sent (later than scheduledMs when --max-concurrency held it back). */
  readonly sentMs: number;
  readonly sessionId?: number;
  readonly turn?: number;
  readonly prefixGroup?: number;
  readonly numPromptTokens: number;
  /** max_tokens as the engine saw it (the dataset's output length, capped by the context). */
  readonly maxTokens: number;
  readonly replica: number;
  numCachedPromptTokens: number;
  numOutputTokens: number;
  numPreemptions: number;
  /**
   * Gaps between consecutive tokens (ms), one per output token after the first. Filled in place
   * during the run (room for maxTokens - 1 gaps: no growth copies of millions of gaps), cut to
   * numOutputTokens - 1 when the simulation ends.
   */
  itlMs: Float64Array;
  firstTokenMs?: number;
  lastTokenMs?: number;
  finishMs?: number;
  /** Set when the request could not be served (never admitted), with the engine's reason. */
  failure?: string;
}
