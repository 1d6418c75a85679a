import type { IncomingMessage } from "node:http";
import { type Connection, readText, send } from "./http.js";
import type { Failure, FailedRecord, OkRecord } from "./record.js";
import { SseParser } from "./sse.js";
import { ENDPOINT_PATHS, type EndpointKind } from "./wire.js";

/** What one streamed request measured; the runner adds the workload's fields. */
export type StreamOutcome = Omit<OkRecord, keyof RecordFields> | Omit<FailedRecord, keyof RecordFields>;
type RecordFields = Pick<OkRecord, "index" | "sessionId" | "turn" | "prefixGroup" | "scheduledMs" | "startMs" | "promptTokens" | "maxTokens">;

export interface StreamRequestOptions {
  readonly endpoint: EndpointKind;
  readonly timeoutMs: number;
  /** Monotonic ms (performance.now()); every timing is a difference of two readings. */
  readonly now: () => number;
}

class RequestFailed extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message);
  }
}

/**
 * Sends one streaming completion and times it: TTFT at the first network chunk that carried
 * generated text, one ITL per later text chunk, E2E at the end of the stream. Never throws: every
 * way a request can go wrong becomes a failed outcome with its reason.
 */
export async function streamRequest(conn: Connection, body: Record<string, unknown>, opts: StreamRequestOptions): Promise<StreamOutcome> {
  const t0 = opts.now();
  const state = new StreamState(opts.endpoint);
  const abort = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    abort.abort();
  }, opts.timeoutMs);
  try {
    let res: IncomingMessage;
    try {
      res = await send(conn, "POST", ENDPOINT_PATHS[opts.endpoint], body, abort.signal);
    } catch (e) {
      throw new RequestFailed(timedOut ? timeoutFailure(opts.timeoutMs) : { kind: "connect", message: errorMessage(e) });
    }
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      const text = await readText(res, 4096).catch(() => "");
      throw new RequestFailed({ kind: "http", status, message: httpErrorMessage(status, text) });
    }
    const type = String(res.headers["content-type"] ?? "");
    if (!type.includes("text/event-stream")) {
      const text = await readText(res, 512).catch(() => "");
      throw new RequestFailed({ kind: "protocol", message: `expected an SSE stream (text/event-stream), got ${type || "no content type"}: ${text.slice(0, 200)}` });
    }
    res.setEncoding("utf8");
    const parser = new SseParser();
    try {
      for await (const piece of res) {
        const t = opts.now();
        for (const data of parser.push(piece as string)) state.event(data, t - t0);
      }
    } catch (e) {
      if (e instanceof RequestFailed) throw e;
      throw new RequestFailed(timedOut ? timeoutFailure(opts.timeoutMs) : { kind: "disconnect", message: `stream broke: ${errorMessage(e)}` });
    }
    const tEnd = opts.now();
    for (const data of parser.end()) state.event(data, tEnd - t0);
    if (timedOut) throw new RequestFailed(timeoutFailure(opts.timeoutMs));
    return state.finish(tEnd - t0);
  } catch (e) {
    const failure = e instanceof RequestFailed ? e.failure : { kind: "protocol" as const, message: errorMessage(e) };
    return { status: "failed", error: failure, elapsedMs: opts.now() - t0, chunksReceived: state.textChunks };
  } finally {
    clearTimeout(timer);
  }
}

/** Folds a stream's events into timings and counts. */
class StreamState {
  textChunks = 0;
  private ttftMs: number | null = null;
  private lastChunkMs = 0;
  private readonly itlMs: number[] = [];
  private finishReason: string | null = null;
  private done = false;
  private outputChars = 0;
  private usage: { prompt: number | null; completion: number | null; cached: number | null } | null = null;

  constructor(private readonly endpoint: EndpointKind) {}

  event(data: string, atMs: number): void {
    if (data === "[DONE]") {
      this.done = true;
      return;
    }
    let chunk: unknown;
    try {
      chunk = JSON.parse(data);
    } catch {
      throw new RequestFailed({ kind: "protocol", message: `SSE data is not JSON: ${data.slice(0, 200)}` });
    }
    if (!isObject(chunk)) throw new RequestFailed({ kind: "protocol", message: `SSE data is not a JSON object: ${data.slice(0, 200)}` });
    if (chunk.error !== undefined && chunk.error !== null) {
      throw new RequestFailed({ kind: "stream-error", message: `error in stream: ${describeError(chunk.error)}` });
    }
    if (isObject(chunk.usage)) {
      const u = chunk.usage;
      const details = isObject(u.prompt_tokens_details) ? u.prompt_tokens_details : {};
      this.usage = { prompt: numberOrNull(u.prompt_tokens), completion: numberOrNull(u.completion_tokens), cached: numberOrNull(details.cached_tokens) };
    }
    const choice = Array.isArray(chunk.choices) && isObject(chunk.choices[0]) ? chunk.choices[0] : null;
    if (!choice) return;
    const text = this.endpoint === "completions" ? choice.text : isObject(choice.delta) ? (choice.delta.content ?? choice.delta.reasoning_content) : undefined;
    if (typeof text === "string" && text.length > 0) {
      this.textChunks++;
      this.outputChars += text.length;
      if (this.ttftMs === null) this.ttftMs = atMs;
      else this.itlMs.push(atMs - this.lastChunkMs);
      this.lastChunkMs = atMs;
    }
    if (typeof choice.finish_reason === "string") this.finishReason = choice.finish_reason;
  }

  finish(e2eMs: number): StreamOutcome {
    if (!this.done && this.finishReason === null) {
      throw new RequestFailed({ kind: "disconnect", message: `stream ended after ${this.textChunks} text chunks without a finish_reason or [DONE]` });
    }
    const completion = this.usage?.completion ?? null;
    if (this.ttftMs === null && (completion ?? 0) > 0) {
      throw new RequestFailed({ kind: "protocol", message: `usage reports ${completion} tokens but no chunk carried text` });
    }
    return {
      status: "ok",
      // A request that generated nothing visible (e.g. EOS at once) has its first "token" at the end.
      ttftMs: this.ttftMs ?? e2eMs,
      itlMs: this.itlMs,
      e2eMs,
      outputTokens: completion ?? this.textChunks,
      outputTokensFrom: completion !== null ? "usage" : "chunks",
      serverPromptTokens: this.usage?.prompt ?? null,
      cachedPromptTokens: this.usage?.cached ?? null,
      finishReason: this.finishReason,
      outputChars: this.outputChars,
    };
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function numberOrNull(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

function timeoutFailure(timeoutMs: number): Failure {
  return { kind: "timeout", message: `no complete answer within ${timeoutMs} ms` };
}

function errorMessage(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return typeof code === "string" && !e.message.includes(code) ? `${code}: ${e.message}` : e.message;
  }
  return String(e);
}

function describeError(err: unknown): string {
  if (isObject(err) && typeof err.message === "string") return err.message;
  return JSON.stringify(err).slice(0, 300);
}

/** The message of an OpenAI error envelope, or the start of whatever the body was. */
function httpErrorMessage(status: number, text: string): string {
  try {
    const body: unknown = JSON.parse(text);
    if (isObject(body) && body.error !== undefined) return `${status}: ${describeError(body.error)}`;
  } catch {
    // not JSON: keep the raw text
  }
  return `${status}: ${text.slice(0, 300)}`;
}
