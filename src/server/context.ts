import type { Engine } from "../engine/engine.js";
import type { LoadedModel } from "../engine/model/model.js";
import type { ChatTemplate } from "./chat-template.js";
import type { ServingMetrics } from "./metrics.js";

/** How the HTTP layer behaves; everything comes from flags, nothing from the environment. */
export interface ServerOptions {
  /** Names clients may use in `model`; the first is the one responses report. */
  readonly servedModelNames: readonly string[];
  /** When set, `/v1/*` needs `Authorization: Bearer <apiKey>` (as vLLM: other routes stay open). */
  readonly apiKey?: string;
  /** Larger request bodies get 413. */
  readonly maxBodyBytes: number;
  /** New requests get 429 while this many (or more) wait for the engine. Undefined: no limit. */
  readonly maxQueuedRequests?: number;
  /** Seconds a client told 429 should wait (Retry-After). */
  readonly retryAfterSeconds: number;
  /** One line per notable event (e.g. an engine fault); the CLI writes it to stderr. */
  readonly log?: (line: string) => void;
}

export const DEFAULT_MAX_BODY_BYTES = 8 * 2 ** 20;

/**
 * Whether the server takes new work. Draining starts on SIGTERM: in-flight requests go on, new
 * ones get 503, /health reports 503 so load balancers stop sending.
 */
export class Lifecycle {
  private draining = false;

  get isDraining(): boolean {
    return this.draining;
  }

  startDraining(): void {
    this.draining = true;
  }
}

/** Everything a route handler needs, passed explicitly. */
export interface ServerContext {
  readonly engine: Engine;
  readonly model: LoadedModel;
  readonly options: ServerOptions;
  /**
   * Longest prompt + completion a request may ask for: the model's context, or less when the KV
   * cache cannot hold that many tokens (a request that could never fit would stall the engine).
   */
  readonly maxModelLen: number;
  readonly chatTemplate: ChatTemplate;
  readonly metrics: ServingMetrics;
  readonly lifecycle: Lifecycle;
  /** Unix seconds at start (the `created` of /v1/models). */
  readonly startedAt: number;
}
