import type { RequestRecord } from "../client/record.js";

/**
 * Output tokens per second in consecutive buckets of `bucketMs` from 0 to `durationMs`. Each
 * completed request's output tokens are spread evenly over its text chunks (the first at TTFT,
 * then one per inter-chunk gap), since a chunk may carry several tokens and the stream does not
 * say how many. Allocates nothing per chunk: a simulated run has millions.
 */
export function outputThroughputSeries(records: readonly RequestRecord[], durationMs: number, bucketMs: number): number[] {
  const n = Math.max(1, Math.ceil(durationMs / bucketMs));
  const tokens = new Float64Array(n);
  const bucketOf = (atMs: number): number => Math.min(n - 1, Math.floor(atMs / bucketMs));
  for (const r of records) {
    if (r.status !== "ok" || r.outputTokens === 0) continue;
    const gaps = r.itlMs;
    const per = r.outputTokens / (gaps.length + 1);
    let t = r.startMs + r.ttftMs;
    tokens[bucketOf(t)]! += per;
    for (let i = 0; i < gaps.length; i++) {
      t += gaps[i]!;
      tokens[bucketOf(t)]! += per;
    }
  }
  return Array.from(tokens, (t) => t / (bucketMs / 1000));
}

/** The highest output-token rate over any whole bucket (vLLM's peak output throughput uses 1 s). */
export function peakOutputThroughput(records: readonly RequestRecord[], durationMs: number, bucketMs = 1000): number {
  return Math.max(0, ...outputThroughputSeries(records, durationMs, bucketMs));
}

function endMs(r: RequestRecord): number {
  return r.startMs + (r.status === "ok" ? r.e2eMs : r.elapsedMs);
}

/**
 * Requests in flight over time as a step function: [time ms, in flight from then on], one point
 * per change. Ends are applied before starts at equal times.
 */
export function concurrencySteps(records: readonly RequestRecord[]): Array<[number, number]> {
  const events: Array<[number, number]> = [];
  for (const r of records) {
    events.push([r.startMs, +1], [endMs(r), -1]);
  }
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const steps: Array<[number, number]> = [[0, 0]];
  let level = 0;
  for (const [t, d] of events) {
    level += d;
    const last = steps[steps.length - 1]!;
    if (last[0] === t) last[1] = level;
    else steps.push([t, level]);
  }
  return steps;
}

/** Peak and time-averaged concurrency over [0, durationMs]. */
export function concurrencyStats(records: readonly RequestRecord[], durationMs: number): { peak: number; mean: number } {
  const steps = concurrencySteps(records);
  let peak = 0;
  let area = 0;
  for (let i = 0; i < steps.length; i++) {
    const [t, level] = steps[i]!;
    const next = i + 1 < steps.length ? steps[i + 1]![0] : Math.max(t, durationMs);
    peak = Math.max(peak, level);
    area += level * (next - t);
  }
  return { peak, mean: durationMs > 0 ? area / durationMs : 0 };
}

/** A bucket width giving about `targetBuckets` buckets: 1, 2 or 5 times a power of ten, >= 10 ms. */
export function niceBucketMs(durationMs: number, targetBuckets = 60): number {
  const raw = Math.max(10, durationMs / targetBuckets);
  const pow = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const m of [1, 2, 5, 10]) if (m * pow >= raw) return m * pow;
  return 10 * pow;
}
