/** Why a request failed; every failed request carries one, and none is dropped from a run. */
export type FailureKind =
  /** The server answered with a non-2xx status (the body's message is kept). */
  | "http"
  /** The request took longer than `--request-timeout`. */
  | "timeout"
  /** The connection could not be made (refused, reset before a response, DNS). */
  | "connect"
  /** The response stream ended or broke before the answer was finished. */
  | "disconnect"
  /** The stream carried an error object instead of (or after) tokens. */
  | "stream-error"
  /** The response was not the SSE stream an OpenAI-compatible server sends. */
  | "protocol";

export interface Failure {
  readonly kind: FailureKind;
  /** HTTP status for "http" failures. */
  readonly status?: number;
  readonly message: string;
}

interface RecordBase {
  /** The workload item's index. */
  readonly index: number;
  readonly sessionId?: number;
  readonly turn?: number;
  readonly prefixGroup?: number;
  /** When the workload said to send it, ms after the run started. */
  readonly scheduledMs: number;
  /**
   * When it was sent, ms after the run started; later than `scheduledMs` when `--max-concurrency`
   * held it back. Latencies count from here, as vLLM's and SGLang's benchmarks do.
   */
  readonly startMs: number;
  /** Prompt tokens the workload asked for (content, before BOS or chat template). */
  readonly promptTokens: number;
  /** `max_tokens` sent. */
  readonly maxTokens: number;
}

export interface OkRecord extends RecordBase {
  readonly status: "ok";
  /** Time to the first chunk that carried generated text. */
  readonly ttftMs: number;
  /**
   * Gaps between successive text chunks (one chunk may carry several tokens). A simulation's
   * records hold millions of gaps and pass them as a Float64Array; requests.jsonl writes either
   * as a JSON array.
   */
  readonly itlMs: readonly number[] | Float64Array;
  /** Send to the end of the stream. */
  readonly e2eMs: number;
  /** Generated tokens: `usage.completion_tokens`, or the number of text chunks without usage. */
  readonly outputTokens: number;
  readonly outputTokensFrom: "usage" | "chunks";
  /** The server's `usage.prompt_tokens` (includes BOS / chat template), when it reported usage. */
  readonly serverPromptTokens: number | null;
  /** `usage.prompt_tokens_details.cached_tokens`, when reported. */
  readonly cachedPromptTokens: number | null;
  readonly finishReason: string | null;
  readonly outputChars: number;
}

export interface FailedRecord extends RecordBase {
  readonly status: "failed";
  readonly error: Failure;
  /** Time until the failure was seen. */
  readonly elapsedMs: number;
  /** Text chunks received before it failed. */
  readonly chunksReceived: number;
}

/** One line of requests.jsonl. */
export type RequestRecord = OkRecord | FailedRecord;

/** Groups failures by kind and status: "http 400", "timeout", ... */
export function failureReason(f: Failure): string {
  return f.kind === "http" && f.status !== undefined ? `http ${f.status}` : f.kind;
}
