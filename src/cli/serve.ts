import { addBackendFlags, backendFromFlags, type BackendFlags } from "./backend-flags.js";
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { parseByteSize } from "../engine/kv/memory.js";
import { loadModel } from "../engine/model/model.js";
import { DEFAULT_MAX_BODY_BYTES } from "../server/context.js";
import { createServing } from "../server/create.js";
import { listen } from "../server/http-server.js";
import { addEngineFlags, type EngineFlags, engineConfigFromFlags } from "./engine-flags.js";
import { action, num } from "./errors.js";
import { modelSourceEnv, resolveModel } from "./model-source.js";
import { progressReporter } from "./progress.js";

interface ServeFlags extends EngineFlags, BackendFlags {
  model?: string;
  host: string;
  port: number;
  servedModelName?: string[];
  maxQueuedRequests?: number;
  apiKey?: string;
  maxBodySize: number;
  shutdownGrace: number;
  accessLog?: boolean;
}

/** Under Kubernetes' default 30 s termination grace, so we finish before SIGKILL. */
const DEFAULT_SHUTDOWN_GRACE_S = 25;

export function registerServe(program: Command): void {
  const cmd = program
    .command("serve")
    .description("serve a model over an OpenAI-compatible HTTP API (/v1/completions, /v1/chat/completions, /metrics, ...)")
    .option("--model <model>", "GGUF file path, or hf:OWNER/REPO/FILE.gguf to download; none serves a small built-in demo model")
    .option("--host <address>", "address to listen on", "127.0.0.1")
    .option("--port <n>", "port to listen on (0 = any free port)", num("--port", { int: true, min: 0, max: 65535 }), 8000)
    .option("--served-model-name <names...>", "model name(s) clients use; the first is reported (default: the --model argument)")
    .option("--max-queued-requests <n>", "answer 429 with Retry-After while this many requests wait (default: no limit)", num("--max-queued-requests", { int: true, min: 1 }))
    .option("--api-key <key>", "require 'Authorization: Bearer KEY' on /v1 routes (or set FLOTILLA_API_KEY)")
    .option("--max-body-size <size>", "largest request body accepted (larger ones get 413)", sizeFlag, DEFAULT_MAX_BODY_BYTES)
    .option("--shutdown-grace <seconds>", "on SIGTERM, time given to in-flight requests before they are aborted", num("--shutdown-grace", { min: 0 }), DEFAULT_SHUTDOWN_GRACE_S)
    .option("--access-log", "log one line per HTTP request to stderr");
  addBackendFlags(addEngineFlags(cmd));
  cmd.action(action(async (flags: ServeFlags) => runServe(flags)));
}

function sizeFlag(value: string): number {
  try {
    return parseByteSize(value);
  } catch (e) {
    throw new InvalidArgumentError(e instanceof Error ? e.message : String(e));
  }
}

function log(line: string): void {
  process.stderr.write(`flotilla: ${line}\n`);
}

async function runServe(flags: ServeFlags): Promise<void> {
  const source = await resolveModel(flags.model, modelSourceEnv(), log);
  const t0 = performance.now();
  const progress = progressReporter("loading model");
  const { backend, description } = backendFromFlags(flags);
  const model = loadModel(source.path, { backend, onProgress: (p) => progress(p.loadedBytes, p.totalBytes) });
  progress.done();
  log(description);
  const apiKey = flags.apiKey ?? (process.env.FLOTILLA_API_KEY || undefined);
  const serving = createServing(model, engineConfigFromFlags(flags), {
    servedModelNames: flags.servedModelName ?? [source.name],
    ...(apiKey !== undefined ? { apiKey } : {}),
    maxBodyBytes: flags.maxBodySize,
    ...(flags.maxQueuedRequests !== undefined ? { maxQueuedRequests: flags.maxQueuedRequests } : {}),
    retryAfterSeconds: 1,
    log,
  });
  const { engine, context } = serving;
  const c = model.config;
  log(
    `loaded ${source.path} (${c.architecture}, ${c.numLayers} layers, dim ${c.dim}, vocab ${c.vocabSize}, context ${c.contextLength}) in ${((performance.now() - t0) / 1000).toFixed(2)} s; ` +
      `KV cache: ${engine.kv.numBlocks} blocks of ${engine.kv.blockSize} tokens (${(engine.kvCacheBytes / 2 ** 20).toFixed(1)} MiB); chat template: ${context.chatTemplate.source}`,
  );
  if (context.maxModelLen < c.contextLength) log(`the KV cache holds ${context.maxModelLen} tokens, less than the model's context: requests are limited to ${context.maxModelLen} tokens`);

  const running = await listen(serving, {
    host: flags.host,
    port: flags.port,
    ...(flags.accessLog ? { onResponse: (r: { method: string; path: string; status: number; durationMs: number }) => log(`${r.method} ${r.path} ${r.status} ${r.durationMs.toFixed(1)} ms`) } : {}),
  });
  log(`serving '${context.options.servedModelNames[0]}' at ${running.url}/v1 (listening on ${running.url})`);

  await new Promise<void>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      signals++;
      // A second signal means "now": in-flight requests are aborted at once.
      const graceMs = signals === 1 ? flags.shutdownGrace * 1000 : 0;
      log(`${signal}: ${signals === 1 ? `shutting down; ${running.numActiveRequests} requests in flight get up to ${flags.shutdownGrace} s` : "aborting in-flight requests"}`);
      void running.shutdown(graceMs).then(resolve);
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
  log("stopped");
  // Nothing is left to finish; do not wait on timers or handles of libraries.
  process.exit(0);
}
