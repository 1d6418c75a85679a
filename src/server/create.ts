import { Engine, type EngineConfig } from "../engine/engine.js";
import type { LoadedModel } from "../engine/model/model.js";
import { type App, createApp } from "./app.js";
import { ChatTemplate } from "./chat-template.js";
import { Lifecycle, type ServerContext, type ServerOptions } from "./context.js";
import { ServingMetrics } from "./metrics.js";

export interface Serving {
  readonly app: App;
  readonly engine: Engine;
  readonly context: ServerContext;
}

/** Builds the engine and the HTTP app around a loaded model. */
export function createServing(model: LoadedModel, engineConfig: Partial<EngineConfig>, options: ServerOptions): Serving {
  if (options.servedModelNames.length === 0) throw new Error("at least one served model name is needed");
  const chatTemplate = ChatTemplate.forModel(model.chatTemplate, model.tokenizer);
  // The metrics' token histograms need maxModelLen, which needs the engine's KV size: use the
  // model's context for the buckets (an upper bound either way).
  const metrics = new ServingMetrics(options.servedModelNames[0]!, model.config.contextLength);
  const engine = new Engine(model, engineConfig);
  metrics.bindEngine(engine);
  const kvTokens = engine.kv.numBlocks * engine.kv.blockSize;
  const context: ServerContext = {
    engine,
    model,
    options,
    maxModelLen: Math.min(model.config.contextLength, kvTokens),
    chatTemplate,
    metrics,
    lifecycle: new Lifecycle(),
    startedAt: Math.floor(Date.now() / 1000),
  };
  return { app: createApp(context), engine, context };
}
