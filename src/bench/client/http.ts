import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

/**
 * One keep-alive connection pool per benchmark target. `maxSockets` must be at least the run's
 * concurrency, or requests would queue inside the client and the measured latency would include
 * that wait.
 */
export interface Connection {
  readonly baseUrl: URL;
  readonly agent: HttpAgent;
  readonly headers: Readonly<Record<string, string>>;
}

export function openConnection(baseUrl: string, opts: { maxSockets?: number; apiKey?: string } = {}): Connection {
  const url = new URL(baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`);
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(`--base-url must be http(s), got ${baseUrl}`);
  const agentOpts = { keepAlive: true, maxSockets: opts.maxSockets ?? Infinity };
  const agent = url.protocol === "https:" ? new HttpsAgent(agentOpts) : new HttpAgent(agentOpts);
  const headers: Record<string, string> = opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {};
  return { baseUrl: url, agent, headers };
}

export function closeConnection(conn: Connection): void {
  conn.agent.destroy();
}

/** `path` relative to the base URL ("v1/completions" under "http://h/x/" is "http://h/x/v1/completions"). */
export function urlFor(conn: Connection, path: string): URL {
  return new URL(path.replace(/^\//, ""), conn.baseUrl);
}

/**
 * Starts a request and resolves with the response head; the caller reads (or discards) the body.
 * `signal` aborts it at any point (timeouts).
 */
export function send(conn: Connection, method: "GET" | "POST", path: string, body: unknown, signal?: AbortSignal): Promise<IncomingMessage> {
  const url = urlFor(conn, path);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = { ...conn.headers, accept: "*/*" };
  if (payload !== undefined) {
    headers["content-type"] = "application/json";
    headers["content-length"] = String(Buffer.byteLength(payload));
  }
  const requestFn = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = requestFn(url, { method, headers, agent: conn.agent, ...(signal ? { signal } : {}) }, resolve);
    req.on("error", reject);
    req.end(payload);
  });
}

/** Reads a whole body as text (at most `maxBytes`; the rest is discarded). */
export async function readText(res: IncomingMessage, maxBytes = 16 << 20): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res) {
    const b = chunk as Buffer;
    if (size < maxBytes) chunks.push(b.subarray(0, maxBytes - size));
    size += b.length;
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** A request whose response is read whole: JSON APIs (/tokenize, /v1/models) and /metrics. */
export async function fetchText(conn: Connection, method: "GET" | "POST", path: string, body?: unknown, timeoutMs = 30_000): Promise<{ status: number; text: string }> {
  const signal = AbortSignal.timeout(timeoutMs);
  const res = await send(conn, method, path, body, signal);
  return { status: res.statusCode ?? 0, text: await readText(res) };
}
