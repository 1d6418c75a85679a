/**
 * Server-sent events as OpenAI streams them: one `data: <json>` event per chunk, and a final
 * `data: [DONE]`. An error mid-stream is an event whose JSON has an `error` member (the SDKs
 * raise it as an APIError), still followed by `[DONE]`.
 */
const encoder = new TextEncoder();

export function sseEvent(data: unknown): Uint8Array {
  return encoder.encode(`data: ${JSON.stringify(data)}\n\n`);
}

export const SSE_DONE: Uint8Array = encoder.encode("data: [DONE]\n\n");

export const SSE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  // Proxies (nginx) must not buffer a token stream.
  "x-accel-buffering": "no",
};
