import OpenAI from "openai";
import { RefBackend } from "../../src/engine/backend/ref/ref-backend.js";
import type { EngineConfig } from "../../src/engine/engine.js";
import { type LoadedModel, loadModel } from "../../src/engine/model/model.js";
import { DEFAULT_MAX_BODY_BYTES, type ServerOptions } from "../../src/server/context.js";
import { createServing, type Serving } from "../../src/server/create.js";
import { listen, type RunningServer } from "../../src/server/http-server.js";
import { generateOne } from "../../src/engine/generate.js";
import { STORIES_260K } from "../helpers/paths.js";

export const MODEL_NAME = "stories260K";

let cached: LoadedModel | null = null;
/** stories260K: real trained weights and a real SentencePiece vocabulary, loaded once per file. */
export function stories(): LoadedModel {
  cached ??= loadModel(STORIES_260K, { backend: new RefBackend() });
  return cached;
}

export interface TestServer {
  readonly serving: Serving;
  readonly running: RunningServer;
  readonly client: OpenAI;
  readonly url: string;
  close(): Promise<void>;
}

export function servingOptions(over: Partial<ServerOptions> = {}): ServerOptions {
  return { servedModelNames: [MODEL_NAME], maxBodyBytes: DEFAULT_MAX_BODY_BYTES, retryAfterSeconds: 1, ...over };
}

/** An in-process engine + app, without a socket. */
export function inProcess(engine: Partial<EngineConfig> = {}, server: Partial<ServerOptions> = {}, model: LoadedModel = stories()): Serving {
  return createServing(model, { maxNumSeqs: 8, ...engine }, servingOptions(server));
}

/** The same, listening on 127.0.0.1 at a free port, with an official OpenAI client pointed at it. */
export async function startServer(engine: Partial<EngineConfig> = {}, server: Partial<ServerOptions> = {}, model?: LoadedModel): Promise<TestServer> {
  const serving = inProcess(engine, server, model);
  const running = await listen(serving, { host: "127.0.0.1", port: 0 });
  const client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: server.apiKey ?? "unused", maxRetries: 0, timeout: 30_000 });
  return { serving, running, client, url: running.url, close: () => running.shutdown(0) };
}

/** Polls until `cond` holds (engine state settles a tick after a socket closes). */
export async function eventually(cond: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** True when no KV block is held by any request (cached-evictable blocks count as free). */
export function kvIsWhole(serving: Serving): boolean {
  const kv = serving.engine.kv;
  return kv.numFreeBlocks === kv.numBlocks && kv.numRequests === 0;
}

/** Reads one sample value from Prometheus text, e.g. metric("vllm:num_requests_running"). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const m = /^([^\s{]+)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const lbls = m[2] ?? "";
    if (Object.entries(labels).every(([k, v]) => lbls.includes(`${k}="${v}"`))) return Number(m[3]);
  }
  return undefined;
}

/** Greedy continuation by the single-sequence reference loop (no scheduler, no server). */
export function referenceGreedy(promptIds: readonly number[], maxTokens: number): number[] {
  const model = stories();
  const ids: number[] = [];
  const argmax = (l: Float32Array) => ({ tokenId: l.reduce((b, x, i) => (x > l[b]! ? i : b), 0) });
  for (const ev of generateOne(model, promptIds, argmax, { maxTokens })) {
    if (ev.kind === "token") {
      ids.push(ev.sample.tokenId);
      if (model.tokenizer.isEog(ev.sample.tokenId)) break;
    }
  }
  return ids;
}

/** Server-sent events of a raw streaming response, as parsed JSON (and "[DONE]"). */
export async function readSse(res: Response): Promise<unknown[]> {
  const text = await res.text();
  return text
    .split("\n\n")
    .filter((e) => e.startsWith("data: "))
    .map((e) => e.slice(6))
    .map((d) => (d === "[DONE]" ? d : JSON.parse(d)));
}

export function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) });
}

export interface ErrorEnvelope {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** The `error` member of an error response. */
export async function errorOf(res: Response): Promise<ErrorEnvelope["error"]> {
  return ((await res.json()) as ErrorEnvelope).error;
}
