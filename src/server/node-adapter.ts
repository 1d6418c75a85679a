import type { IncomingMessage, ServerResponse } from "node:http";
import { ApiError } from "../api/errors.js";
import type { App } from "./app.js";
import { bodyTooLarge } from "./body.js";
import { errorResponse } from "./responses.js";

export interface NodeAdapterOptions {
  /** Bodies over this size get 413 without being buffered. */
  readonly maxBodyBytes: number;
}

/**
 * Serves a fetch-style app over node:http. The body is buffered up to the limit before the app
 * runs; a client that goes away aborts the request's signal and cancels the response body, which
 * is how the app learns to abort the engine requests (and free their KV blocks) at once.
 */
export function toNodeHandler(app: App, opts: NodeAdapterOptions): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void handle(app, opts, req, res).catch(() => res.destroy());
  };
}

async function handle(app: App, opts: NodeAdapterOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const controller = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) controller.abort();
  });
  const method = req.method ?? "GET";
  let body: Buffer | undefined;
  if (method !== "GET" && method !== "HEAD") {
    const read = await readBody(req, opts.maxBodyBytes);
    if (read === null) {
      // Node discards the unread rest of the body after the response, keeping the connection
      // usable, so the client reads the 413 instead of a reset.
      await writeResponse(errorResponse(bodyTooLarge(opts.maxBodyBytes)), res);
      return;
    }
    body = read;
  }
  let request: Request;
  try {
    const headers = new Headers();
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
    request = new Request(new URL(req.url ?? "/", "http://localhost"), { method, headers, body: body ?? null, signal: controller.signal });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    await writeResponse(errorResponse(new ApiError("invalid_request", `Malformed HTTP request: ${msg}`)), res);
    return;
  }
  await writeResponse(await app.fetch(request), res);
}

/** The body, or null when it exceeds `maxBytes` (the rest is left unread). */
async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | null> {
  if (Number(req.headers["content-length"] ?? 0) > maxBytes) return null;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

async function writeResponse(response: Response, res: ServerResponse): Promise<void> {
  res.statusCode = response.status;
  response.headers.forEach((value, key) => res.setHeader(key, value));
  if (response.body === null) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  const cancel = (): void => {
    void reader.cancel().catch(() => {});
  };
  res.on("close", cancel);
  // Streams show their status and headers at once, before the first token.
  if (response.headers.get("content-type")?.startsWith("text/event-stream")) res.flushHeaders();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) return;
      if (!res.write(value)) await drained(res);
    }
    res.end();
  } finally {
    res.off("close", cancel);
  }
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}
