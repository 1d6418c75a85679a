/** Metric math on hand-made timings, and Prometheus parsing. */
import { Counter, Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import type { FailedRecord, OkRecord, RequestRecord } from "../../src/bench/client/record.js";
import { histogram, histogramQuantile, parsePrometheus, sumSamples } from "../../src/bench/metrics/prometheus.js";
import { meetsSlo, parseSlo, tpotMs } from "../../src/bench/metrics/request-metrics.js";
import { runMetrics } from "../../src/bench/metrics/run-metrics.js";
import { serverMetricsDelta } from "../../src/bench/metrics/server-metrics.js";
import { orderStatistics } from "../../src/bench/metrics/order-statistics.js";
import { latencySamples } from "../../src/bench/metrics/samples.js";
import { cdfPoints, latencyStats, percentile } from "../../src/bench/metrics/stats.js";
import { concurrencySteps, outputThroughputSeries } from "../../src/bench/metrics/timeseries.js";

function ok(p: { index: number; startMs: number; ttftMs: number; itlMs: number[]; e2eMs: number; outputTokens: number; promptTokens: number }): OkRecord {
  return {
    status: "ok",
    scheduledMs: p.startMs,
    maxTokens: p.outputTokens,
    outputTokensFrom: "usage",
    serverPromptTokens: p.promptTokens + 1,
    cachedPromptTokens: 0,
    finishReason: "length",
    outputChars: 0,
    ...p,
  };
}

function failed(index: number, startMs: number, elapsedMs: number, error: FailedRecord["error"]): FailedRecord {
  return { status: "failed", index, startMs, scheduledMs: startMs, elapsedMs, error, promptTokens: 5, maxTokens: 5, chunksReceived: 0 };
}

const A = ok({ index: 0, startMs: 0, ttftMs: 100, itlMs: [20, 30, 10], e2eMs: 160, outputTokens: 4, promptTokens: 10 });
const B = ok({ index: 1, startMs: 50, ttftMs: 200, itlMs: [40], e2eMs: 240, outputTokens: 2, promptTokens: 20 });
const C = ok({ index: 2, startMs: 100, ttftMs: 50, itlMs: [], e2eMs: 50, outputTokens: 1, promptTokens: 30 });
const D = failed(3, 10, 5, { kind: "http", status: 400, message: "400: prompt too long" });
const E = failed(4, 20, 1000, { kind: "timeout", message: "no complete answer within 1000 ms" });
const RECORDS: RequestRecord[] = [A, B, C, D, E];

describe("order statistics of many samples", () => {
  it("gives the values a full sort puts at the ranks asked for, special values and skew included", () => {
    let seed = 7;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const specials = [0, -0, NaN, Infinity, -Infinity, 5e-324, -5e-324, 1e-310, -1e-310, Number.MAX_VALUE, -Number.MAX_VALUE];
    // Past the size where it stops sorting (65,536): latencies, wide ranges, special values, a
    // heavy cluster with one far outlier (buckets within buckets), all equal, zeros of both signs.
    const cases = [
      Float64Array.from({ length: 100_000 }, () => 20 + next() * 5),
      Float64Array.from({ length: 100_000 }, () => (next() - 0.5) * 1e9),
      Float64Array.from({ length: 70_000 }, (_, i) => (i % 5 === 0 ? specials[i % specials.length]! : Math.round((next() - 0.5) * 100))),
      Float64Array.from({ length: 80_000 }, (_, i) => (i === 0 ? 1e12 : 20 + next() * 1e-6)),
      new Float64Array(70_000).fill(3.5),
      Float64Array.from({ length: 70_000 }, (_, i) => (i % 3 === 0 ? -0 : 0)),
      Float64Array.from({ length: 10 }, (_, i) => specials[i]!),
    ];
    for (const a of cases) {
      const before = a.slice();
      const sorted = a.slice().sort();
      const n = a.length;
      const ranks = [0, n - 1, ...Array.from({ length: 300 }, () => Math.floor(next() * n)), Math.floor(n / 2), Math.floor(n / 3)];
      const got = orderStatistics(a, ranks);
      let mismatches = 0;
      ranks.forEach((r, k) => {
        if (!Object.is(got[k], sorted[r])) mismatches++;
      });
      expect(mismatches).toBe(0);
      expect(a).toEqual(before);
    }
    expect(() => orderStatistics(new Float64Array(3), [3])).toThrow(/out of/);
  });

  it("latencySamples gathers each latency of a run once, in record order", () => {
    expect([...latencySamples(RECORDS, "itl")]).toEqual([20, 30, 10, 40]);
    expect([...latencySamples(RECORDS, "ttft")]).toEqual([100, 200, 50]);
    expect([...latencySamples(RECORDS, "tpot")]).toEqual([20, 40]);
    expect([...latencySamples(RECORDS, "queue")]).toEqual([0, 0, 0, 0, 0]);
    expect(latencySamples(RECORDS, "itl")).toBe(latencySamples(RECORDS, "itl"));
  });

  it("stats of a million gaps match those of a full sort", () => {
    let seed = 3;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const gaps = Float64Array.from({ length: 1_000_000 }, () => 15 + 10 * next() ** 3);
    const s = latencyStats(gaps)!;
    const sorted = gaps.slice().sort();
    expect([s.min, s.max, s.median, s.p90, s.p99]).toEqual([sorted[0], sorted[999_999], percentile(sorted, 50), percentile(sorted, 90), percentile(sorted, 99)]);
    const cdf = cdfPoints(gaps, 100);
    expect(cdf[49]).toEqual([sorted[499_999], 0.5]);
  });
});

describe("percentiles and stats", () => {
  it("interpolate linearly between ranks, as numpy does", () => {
    expect(percentile([50, 100, 200], 90)).toBeCloseTo(180, 10);
    expect(percentile([10, 20, 30, 40], 50)).toBe(25);
    expect(percentile([7], 99)).toBe(7);
    const s = latencyStats([3, 1, 2, 4])!;
    expect(s).toMatchObject({ count: 4, mean: 2.5, median: 2.5, min: 1, max: 4 });
    expect(s.std).toBeCloseTo(Math.sqrt(1.25), 12);
    expect(latencyStats([])).toBeNull();
  });

  it("CDF points end at 1 and are thinned for many samples", () => {
    expect(cdfPoints([3, 1, 2])).toEqual([
      [1, 1 / 3],
      [2, 2 / 3],
      [3, 1],
    ]);
    const many = cdfPoints(Array.from({ length: 10_000 }, (_, i) => i), 100);
    expect(many.length).toBe(100);
    expect(many[99]).toEqual([9999, 1]);
  });
});

describe("per-request metrics", () => {
  it("TPOT = (E2E - TTFT) / (output tokens - 1), none for one token", () => {
    expect(tpotMs(A)).toBe(20);
    expect(tpotMs(B)).toBe(40);
    expect(tpotMs(C)).toBeNull();
  });

  it("goodput counts a request only if it meets every objective; one token meets any TPOT", () => {
    const slo = parseSlo("ttft=150,tpot=30");
    expect(slo).toEqual({ ttftMs: 150, tpotMs: 30 });
    expect([A, B, C].map((r) => meetsSlo(r, slo))).toEqual([true, false, true]);
    expect(meetsSlo(A, { e2eMs: 150 })).toBe(false);
    expect(() => parseSlo("ttft=abc")).toThrow(/--slo/);
    expect(() => parseSlo("latency=5")).toThrow(/--slo/);
  });
});

describe("run metrics", () => {
  const m = runMetrics(RECORDS, 1020, 2, { ttftMs: 150, tpotMs: 30 });

  it("counts completed and failed requests by reason, none dropped", () => {
    expect(m.requests).toMatchObject({ sent: 5, completed: 3, failed: 2, notSent: 2, failuresByReason: { "http 400": 1, timeout: 1 } });
    expect(m.requests.failureExamples["http 400"]).toContain("prompt too long");
  });

  it("computes throughputs over the run's duration", () => {
    expect(m.durationS).toBe(1.02);
    expect(m.tokens).toEqual({ input: 60, serverInput: 63, cachedInput: 0, output: 7, outputFromUsage: 3 });
    expect(m.throughput.requestsPerS).toBeCloseTo(3 / 1.02, 10);
    expect(m.throughput.outputTokensPerS).toBeCloseTo(7 / 1.02, 10);
    expect(m.throughput.totalTokensPerS).toBeCloseTo(67 / 1.02, 10);
    // All 7 tokens arrive within the first second.
    expect(m.throughput.peakOutputTokensPerS).toBe(7);
    expect(m.goodput).toMatchObject({ goodRequests: 2, fraction: 0.4 });
    expect(m.goodput!.requestsPerS).toBeCloseTo(2 / 1.02, 10);
  });

  it("computes TTFT, TPOT, ITL and E2E statistics", () => {
    expect(m.latencyMs.ttft).toMatchObject({ count: 3, median: 100, min: 50, max: 200 });
    expect(m.latencyMs.ttft!.mean).toBeCloseTo(350 / 3, 10);
    expect(m.latencyMs.ttft!.p90).toBeCloseTo(180, 10);
    expect(m.latencyMs.ttft!.p99).toBeCloseTo(198, 10);
    expect(m.latencyMs.tpot).toMatchObject({ count: 2, mean: 30, median: 30 });
    expect(m.latencyMs.tpot!.p90).toBeCloseTo(38, 10);
    expect(m.latencyMs.itl).toMatchObject({ count: 4, mean: 25, median: 25 });
    expect(m.latencyMs.itl!.p90).toBeCloseTo(37, 10);
    expect(m.latencyMs.itl!.p99).toBeCloseTo(39.7, 10);
    expect(m.latencyMs.e2e).toMatchObject({ count: 3, mean: 150, median: 160 });
  });

  it("tracks requests in flight over time", () => {
    expect(m.concurrency.peak).toBe(4);
    // 10x1 + 5x2 + 5x1 + 30x2 + 50x3 + 50x4 + 10x3 + 130x2 + 730x1 = 1455 request-ms.
    expect(m.concurrency.mean).toBeCloseTo(1455 / 1020, 10);
    expect(concurrencySteps([A, B])).toEqual([
      [0, 1],
      [50, 2],
      [160, 1],
      [290, 0],
    ]);
  });

  it("spreads a request's tokens over its chunks in the throughput series", () => {
    expect(outputThroughputSeries([A, B], 400, 100)).toEqual([0, 40, 20, 0]);
  });

  it("has no goodput without objectives and no latency without completions", () => {
    const none = runMetrics([D], 5, 0, null);
    expect(none.goodput).toBeNull();
    expect(none.latencyMs.ttft).toBeNull();
    expect(none.tokens.serverInput).toBeNull();
  });
});

describe("Prometheus text", () => {
  const text = [
    "# HELP vllm:prefix_cache_queries_total Prefix cache queries, in tokens.",
    "# TYPE vllm:prefix_cache_queries_total counter",
    'vllm:prefix_cache_queries_total{engine="0",model_name="m"} 1200',
    'vllm:prefix_cache_queries_total{engine="1",model_name="m"} 800',
    "# TYPE vllm:prefix_cache_hits_total counter",
    'vllm:prefix_cache_hits_total{model_name="m"} 500.0',
    'weird_labels{path="C:\\\\dir",msg="say \\"hi\\"\\nbye",} 1 1712345678000',
    "# TYPE vllm:time_to_first_token_seconds histogram",
    'vllm:time_to_first_token_seconds_bucket{le="0.1",model_name="m"} 2',
    'vllm:time_to_first_token_seconds_bucket{le="0.5",model_name="m"} 6',
    'vllm:time_to_first_token_seconds_bucket{le="+Inf",model_name="m"} 8',
    'vllm:time_to_first_token_seconds_sum{model_name="m"} 3.2',
    'vllm:time_to_first_token_seconds_count{model_name="m"} 8',
    "",
  ].join("\n");
  const scrape = parsePrometheus(text);

  it("parses samples, labels with escapes, and types", () => {
    expect(sumSamples(scrape, "vllm:prefix_cache_queries_total")).toBe(2000);
    expect(sumSamples(scrape, "vllm:prefix_cache_queries_total", (l) => l.engine === "1")).toBe(800);
    expect(sumSamples(scrape, "absent_total")).toBeNull();
    expect(scrape.samples.find((s) => s.name === "weird_labels")!.labels).toEqual({ path: "C:\\dir", msg: 'say "hi"\nbye' });
    expect(scrape.types.get("vllm:time_to_first_token_seconds")).toBe("histogram");
    expect(() => parsePrometheus('x{a="1} 2')).toThrow(/line 1/);
  });

  it("estimates histogram quantiles as histogram_quantile does", () => {
    const h = histogram(scrape, "vllm:time_to_first_token_seconds")!;
    expect(h.count).toBe(8);
    // rank 4 of 8 lies in (0.1, 0.5] which holds ranks 3..6: 0.1 + 0.4 x (4 - 2) / 4.
    expect(histogramQuantile(h, 0.5)).toBeCloseTo(0.3, 12);
    expect(histogramQuantile(h, 0.1)).toBeCloseTo(0.04, 12);
    // Ranks in the +Inf bucket answer the highest finite bound.
    expect(histogramQuantile(h, 0.99)).toBe(0.5);
  });

  it("takes the run's change between two scrapes", () => {
    const before = parsePrometheus(text);
    const after = parsePrometheus(
      text
        .replace('engine="0",model_name="m"} 1200', 'engine="0",model_name="m"} 2200')
        .replace("hits_total{model_name=\"m\"} 500.0", 'hits_total{model_name="m"} 1250')
        .replace('le="0.1",model_name="m"} 2', 'le="0.1",model_name="m"} 4')
        .replace('le="0.5",model_name="m"} 6', 'le="0.5",model_name="m"} 8')
        .replace('le="+Inf",model_name="m"} 8', 'le="+Inf",model_name="m"} 10')
        .replace("_sum{model_name=\"m\"} 3.2", '_sum{model_name="m"} 3.3')
        .replace("_count{model_name=\"m\"} 8", '_count{model_name="m"} 10'),
    );
    const d = serverMetricsDelta(before, after);
    expect(d.prefixCacheQueries).toBe(1000);
    expect(d.prefixCacheHits).toBe(750);
    expect(d.prefixCacheHitRate).toBe(0.75);
    expect(d.preemptions).toBeNull();
    expect(d.ttftMs!.count).toBe(2);
    expect(d.ttftMs!.mean).toBeCloseTo(50, 9);
    // Both new observations fall in (0, 0.1]: the median is interpolated to its middle.
    expect(d.ttftMs!.p50).toBeCloseTo(50, 9);
  });

  it("reads what prom-client writes", async () => {
    const registry = new Registry();
    registry.setDefaultLabels({ model_name: "x" });
    new Counter({ name: "vllm:num_preemptions_total", help: "h", registers: [registry] }).inc(3);
    const h = new Histogram({ name: "vllm:time_to_first_token_seconds", help: "h", buckets: [0.01, 0.1], registers: [registry] });
    h.observe(0.005);
    h.observe(0.05);
    h.observe(5);
    const s = parsePrometheus(await registry.metrics());
    expect(sumSamples(s, "vllm:num_preemptions_total")).toBe(3);
    expect(histogram(s, "vllm:time_to_first_token_seconds")).toEqual({
      buckets: [
        { le: 0.01, count: 1 },
        { le: 0.1, count: 2 },
        { le: Infinity, count: 3 },
      ],
      sum: 5.055,
      count: 3,
    });
  });
});
