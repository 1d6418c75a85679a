import type { PromptFormat } from "../client/prepare.js";
import type { EndpointKind } from "../client/wire.js";
import type { Slo } from "../metrics/request-metrics.js";
import type { DatasetSpec } from "../workload/spec.js";

/** Everything `flotilla bench` needs, as typed values (the CLI fills it from flags). */
export interface BenchConfig {
  readonly baseUrl: string;
  readonly endpoint: EndpointKind;
  /** Served model name; the first of GET /v1/models when absent. */
  readonly model?: string;
  readonly apiKey?: string;
  /** GGUF whose tokenizer is used when the server has no /tokenize. */
  readonly tokenizerPath?: string;
  /** Default: ids for completions, text for chat. */
  readonly promptFormat?: PromptFormat;
  readonly dataset: DatasetSpec;
  readonly seed: number;
  /** Requests in the workload (every turn counts); null = the whole dataset. */
  readonly numRequests: number | null;
  /** Stop sending after this long; null = no limit. */
  readonly durationMs: number | null;
  /** Requests per second (Infinity = all at once), or the trace's own timestamps. */
  readonly requestRate: number | "trace";
  /** Gamma shape of inter-arrival gaps (1 = Poisson). */
  readonly burstiness: number;
  /** Trace times are multiplied by this. */
  readonly timeScale: number;
  /** Request rates to sweep (one run each); replaces `requestRate`. */
  readonly sweep: readonly number[] | null;
  /** null = unbounded. */
  readonly maxConcurrency: number | null;
  readonly ignoreEos: boolean;
  readonly temperature: number;
  readonly extraBody: Readonly<Record<string, unknown>>;
  readonly requestTimeoutMs: number;
  readonly slo: Slo | null;
  readonly label?: string;
  readonly outDir: string;
  /** Send one short request first and stop with its error if it fails. */
  readonly checkFirst: boolean;
  /** Pause between sweep points (lets the server drain). */
  readonly sweepPauseMs: number;
}

/** Datasets whose size is fixed by their parameters (random is unbounded). */
export function datasetSize(spec: DatasetSpec): number | null {
  switch (spec.kind) {
    case "random":
      return null;
    case "shared-prefix":
      return spec.params.numGroups * spec.params.promptsPerGroup;
    case "multi-turn":
      return spec.params.numConversations * spec.params.turnsPerConversation;
    case "trace":
      return spec.rows.length;
  }
}
