import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Engine, OutputDelta } from "../engine/engine.js";

/**
 * Prometheus metrics under vLLM's names and labels (`model_name`, `engine`), so dashboards,
 * autoscalers and routers written for vLLM read a Flotilla server unchanged. Engine-wide values
 * (queue lengths, KV usage, token and prefix-cache counters) are read from the engine at scrape
 * time; per-request latencies are observed as requests progress.
 *
 * Times follow vLLM v1: TTFT and end-to-end latency run from arrival at the server; queue time is
 * the engine's (from being queued to the first step that computes the request, reported on the
 * final delta); prefill runs from then to the first token; decode from the first token to the last.
 */

// vLLM's bucket boundaries (vllm/v1/metrics/loggers.py).
const TTFT_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80, 160, 640, 2560];
const ITL_BUCKETS = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80];
const REQUEST_LATENCY_BUCKETS = [0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680];

/** 1, 2, 5, 10, 20, 50, ... up to `max` (vLLM's build_1_2_5_buckets). */
export function buckets125(max: number): number[] {
  const out: number[] = [];
  for (let scale = 1; ; scale *= 10) {
    for (const m of [1, 2, 5]) {
      if (m * scale > max) return out;
      out.push(m * scale);
    }
  }
}

interface RequestTiming {
  /** When the HTTP request arrived. */
  readonly arrivalMs: number;
  /** When the engine queued it (the origin of the engine's queueTimeMs). */
  readonly queuedMs: number;
  readonly numPromptTokens: number;
  firstTokenMs?: number;
  lastTokenMs?: number;
}

export class ServingMetrics {
  readonly registry = new Registry();
  private engine: Engine | null = null;
  private readonly timings = new Map<string, RequestTiming>();
  private readonly ttft: Histogram;
  private readonly itl: Histogram;
  private readonly e2e: Histogram;
  private readonly queueTime: Histogram;
  private readonly prefillTime: Histogram;
  private readonly decodeTime: Histogram;
  private readonly inferenceTime: Histogram;
  private readonly promptTokens: Histogram;
  private readonly generationTokens: Histogram;
  private readonly success: Counter;

  constructor(
    readonly modelName: string,
    maxModelLen: number,
    /** Clock in ms; injectable for tests. */
    private readonly now: () => number = () => performance.now(),
  ) {
    const labelNames = ["model_name", "engine"] as const;
    this.registry.setDefaultLabels({ model_name: modelName, engine: "0" });
    const registers = [this.registry];
    const self = this;
    const gauge = (name: string, help: string, read: (e: Engine) => number): void => {
      new Gauge({
        name,
        help,
        labelNames,
        registers,
        collect() {
          if (self.engine) this.set(read(self.engine));
        },
      });
    };
    /** A counter mirroring a monotonic engine total. */
    const total = (name: string, help: string, read: (e: Engine) => number): void => {
      let seen = 0;
      new Counter({
        name,
        help,
        labelNames,
        registers,
        collect() {
          if (!self.engine) return;
          const v = read(self.engine);
          // inc(0) still writes the sample: a counter at zero must be visible to rate().
          this.inc(Math.max(0, v - seen));
          seen = Math.max(seen, v);
        },
      });
    };
    const histogram = (name: string, help: string, buckets: number[]): Histogram =>
      new Histogram({ name, help, labelNames, registers, buckets });

    gauge("vllm:num_requests_running", "Number of requests in model execution batches.", (e) => e.numRunning);
    gauge("vllm:num_requests_waiting", "Number of requests waiting to be processed.", (e) => e.numWaiting);
    gauge("vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.", (e) => e.kv.usage);
    total("vllm:num_preemptions_total", "Cumulative number of preemption from the engine.", (e) => e.numPreemptions);
    total("vllm:prompt_tokens_total", "Number of prefill tokens processed.", (e) => e.tokenCounts.prompt);
    total("vllm:generation_tokens_total", "Number of generation tokens processed.", (e) => e.tokenCounts.generation);
    total("vllm:prefix_cache_queries_total", "Prefix cache queries, in terms of number of queried tokens.", (e) => e.kv.prefixCacheStats.numQueriedTokens);
    total("vllm:prefix_cache_hits_total", "Prefix cache hits, in terms of number of cached tokens.", (e) => e.kv.prefixCacheStats.numHitTokens);
    this.success = new Counter({
      name: "vllm:request_success_total",
      help: "Count of successfully processed requests.",
      labelNames: [...labelNames, "finished_reason"],
      registers,
    });
    // Every finish reason is shown from the start, at 0, as vLLM does.
    for (const reason of ["stop", "length", "abort"]) this.success.inc({ finished_reason: reason }, 0);
    this.ttft = histogram("vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.", TTFT_BUCKETS);
    this.itl = histogram("vllm:inter_token_latency_seconds", "Histogram of inter-token latency in seconds.", ITL_BUCKETS);
    this.e2e = histogram("vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.", REQUEST_LATENCY_BUCKETS);
    this.queueTime = histogram("vllm:request_queue_time_seconds", "Histogram of time spent in WAITING phase for request.", REQUEST_LATENCY_BUCKETS);
    this.prefillTime = histogram("vllm:request_prefill_time_seconds", "Histogram of time spent in PREFILL phase for request.", REQUEST_LATENCY_BUCKETS);
    this.decodeTime = histogram("vllm:request_decode_time_seconds", "Histogram of time spent in DECODE phase for request.", REQUEST_LATENCY_BUCKETS);
    this.inferenceTime = histogram("vllm:request_inference_time_seconds", "Histogram of time spent in RUNNING phase for request.", REQUEST_LATENCY_BUCKETS);
    this.promptTokens = histogram("vllm:request_prompt_tokens", "Number of prefill tokens processed.", buckets125(maxModelLen));
    this.generationTokens = histogram("vllm:request_generation_tokens", "Number of generation tokens processed.", buckets125(maxModelLen));
    // Process metrics (resident memory, event-loop lag, GC), as vLLM exports Python's.
    collectDefaultMetrics({ register: this.registry });
  }

  /** The engine whose gauges and totals are reported (set once it exists). */
  bindEngine(engine: Engine): void {
    this.engine = engine;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  async render(): Promise<string> {
    return this.registry.metrics();
  }

  requestAdded(id: string, numPromptTokens: number, arrivalMs: number): void {
    this.timings.set(id, { arrivalMs, queuedMs: this.now(), numPromptTokens });
  }

  onDelta(id: string, delta: OutputDelta): void {
    const t = this.timings.get(id);
    if (t === undefined) return;
    const now = this.now();
    if (delta.tokenIds.length > 0) {
      if (t.firstTokenMs === undefined) {
        t.firstTokenMs = now;
        this.ttft.observe(seconds(now - t.arrivalMs));
      } else {
        this.itl.observe(seconds(now - t.lastTokenMs!));
      }
      t.lastTokenMs = now;
    }
    if (delta.finishReason === undefined) return;
    this.timings.delete(id);
    this.success.inc({ finished_reason: delta.finishReason });
    this.e2e.observe(seconds(now - t.arrivalMs));
    this.promptTokens.observe(t.numPromptTokens);
    this.generationTokens.observe(delta.numOutputTokens);
    if (delta.queueTimeMs == null) return; // never scheduled (aborted while waiting)
    this.queueTime.observe(seconds(delta.queueTimeMs));
    if (t.firstTokenMs !== undefined) {
      const scheduledMs = t.queuedMs + delta.queueTimeMs;
      this.prefillTime.observe(seconds(t.firstTokenMs - scheduledMs));
      this.decodeTime.observe(seconds(t.lastTokenMs! - t.firstTokenMs));
      this.inferenceTime.observe(seconds(t.lastTokenMs! - scheduledMs));
    }
  }

  /** Requests being timed (tests check that finished ones are forgotten). */
  get numTracked(): number {
    return this.timings.size;
  }
}

function seconds(ms: number): number {
  return Math.max(0, ms) / 1000;
}
