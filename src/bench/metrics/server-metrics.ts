import { histogram, histogramDelta, histogramQuantile, type PromScrape, sumSamples } from "./prometheus.js";

/** What the server's own /metrics said about the run: the change between two scrapes. */
export interface ServerMetrics {
  /** Prompt tokens looked up in the prefix cache during the run (vLLM counts tokens). */
  readonly prefixCacheQueries: number | null;
  readonly prefixCacheHits: number | null;
  /** hits / queries; null when the server exposes neither or looked nothing up. */
  readonly prefixCacheHitRate: number | null;
  readonly preemptions: number | null;
  readonly promptTokens: number | null;
  readonly generationTokens: number | null;
  /** The server's time-to-first-token histogram over the run, in ms. */
  readonly ttftMs: ServerLatency | null;
  readonly e2eMs: ServerLatency | null;
  readonly queueMs: ServerLatency | null;
}

export interface ServerLatency {
  readonly count: number;
  readonly mean: number;
  /** Estimated from buckets, as Prometheus' histogram_quantile does (coarse: bucket resolution). */
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
}

/** vLLM's metric names, which Flotilla serves too (and SGLang in its vLLM-compatible mode). */
export const VLLM_METRICS = {
  prefixCacheQueries: "vllm:prefix_cache_queries_total",
  prefixCacheHits: "vllm:prefix_cache_hits_total",
  preemptions: "vllm:num_preemptions_total",
  promptTokens: "vllm:prompt_tokens_total",
  generationTokens: "vllm:generation_tokens_total",
  ttft: "vllm:time_to_first_token_seconds",
  e2e: "vllm:e2e_request_latency_seconds",
  queue: "vllm:request_queue_time_seconds",
} as const;

/** The run's change in the server's counters and histograms between `before` and `after`. */
export function serverMetricsDelta(before: PromScrape | null, after: PromScrape): ServerMetrics {
  const counter = (name: string): number | null => {
    const a = sumSamples(after, name);
    if (a === null) return null;
    return a - ((before && sumSamples(before, name)) ?? 0);
  };
  const latency = (family: string): ServerLatency | null => {
    const a = histogram(after, family);
    if (!a) return null;
    const d = histogramDelta(a, before ? histogram(before, family) : null);
    if (d.count <= 0) return { count: 0, mean: 0, p50: null, p90: null, p99: null };
    const ms = (x: number | null): number | null => (x === null ? null : x * 1000);
    return {
      count: d.count,
      mean: (d.sum / d.count) * 1000,
      p50: ms(histogramQuantile(d, 0.5)),
      p90: ms(histogramQuantile(d, 0.9)),
      p99: ms(histogramQuantile(d, 0.99)),
    };
  };
  const queries = counter(VLLM_METRICS.prefixCacheQueries);
  const hits = counter(VLLM_METRICS.prefixCacheHits);
  return {
    prefixCacheQueries: queries,
    prefixCacheHits: hits,
    prefixCacheHitRate: queries !== null && hits !== null && queries > 0 ? hits / queries : null,
    preemptions: counter(VLLM_METRICS.preemptions),
    promptTokens: counter(VLLM_METRICS.promptTokens),
    generationTokens: counter(VLLM_METRICS.generationTokens),
    ttftMs: latency(VLLM_METRICS.ttft),
    e2eMs: latency(VLLM_METRICS.e2e),
    queueMs: latency(VLLM_METRICS.queue),
  };
}
