/**
 * The workload a benchmark (or the simulator) replays: what to send and when. Plain data, built
 * by pure code from a seed, so `flotilla bench` and `flotilla sim` replay the same requests.
 */

/** One chat message of a prompt; its content is token ids in the target's vocabulary. */
export interface PromptMessage {
  readonly role: "system" | "user" | "assistant";
  readonly tokenIds: readonly number[];
}

/** The conversation a request belongs to: turn `turn` (0-based) resends turns 0..turn-1. */
export interface SessionRef {
  readonly sessionId: number;
  readonly turn: number;
  readonly numTurns: number;
}

/** What a dataset yields: content and lengths, no arrival time yet. */
export interface DatasetItem {
  /**
   * The whole prompt as token ids in the target's vocabulary; its length is the exact prompt
   * length (before any BOS or chat template the server adds).
   */
  readonly promptTokenIds: readonly number[];
  /** The same prompt cut into chat messages (multi-turn); absent means one user message. */
  readonly messages?: readonly PromptMessage[];
  /** Tokens to generate (`max_tokens`). Always >= 1. */
  readonly outputTokens: number;
  /** Requests with the same group share a prompt prefix (shared-prefix dataset). */
  readonly prefixGroup?: number;
  readonly session?: SessionRef;
  /** Follow-up turns only: the user's pause after the previous turn's answer. */
  readonly thinkTimeMs?: number;
  /** Trace datasets only: the row's arrival, in ms after the trace's first row. */
  readonly traceTimeMs?: number;
  /**
   * Where the prompt's tokens come from (trace datasets): consecutive pieces, each the first
   * `length` tokens of one seeded token stream. Equal pieces are equal tokens and different
   * streams differ, so a consumer that needs only which prompts share which prefixes (the
   * simulator) can use these instead of the tokens.
   */
  readonly promptSegments?: readonly PromptSegment[];
}

/** `length` tokens from the start of the token stream (`stream`, `id`) of the workload's seed (see rng.ts). */
export interface PromptSegment {
  readonly stream: number;
  readonly id: number;
  readonly length: number;
}

/**
 * When a request is sent: at a time after the run starts, or (a later turn of a conversation)
 * a pause after the previous turn of its session has finished.
 */
export type Arrival =
  | { readonly kind: "at"; readonly timeMs: number }
  | { readonly kind: "after-previous-turn"; readonly thinkTimeMs: number };

export interface WorkloadItem extends DatasetItem {
  /** 0-based position in the workload; unique within a run. */
  readonly index: number;
  readonly arrival: Arrival;
}
