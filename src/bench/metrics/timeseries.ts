import type { RequestRecord } from "../client/record.js";

/**
 * When each text chunk of a completed request arrived (ms after the run started) and how many
 * tokens it stands for: the request's output tokens spread evenly over its chunks, since a chunk
 * may carry several tokens and the stream does not say how many.
 */
export function chunkArrivals(r: RequestRecord): Array<{ atMs: number; tokens: number }> {
  if (r.status !== "ok" || r.outputTokens === 0) return [];
  const chunks = r.itlMs.length + 1;
  const per = r.outputTokens / chunks;
  const out = [{ atMs: r.startMs + r.ttftMs, tokens: per }];
  let t = r.startMs + r.ttftMs;
  for (const gap of r.itlMs) {
    t += gap;
    out.push({ atMs: t, tokens: per });
  }
  return out;
}

/** Output tokens per second in consecutive buckets of `bucketMs` from 0 to `durationMs`. */
export function outputThroughputSeries(records: readonly RequestRecord[], durationMs: number, bucketMs: number): number[] {
  const n = Math.max(1, Math.ceil(durationMs / bucketMs));
  const tokens = new Array<number>(n).fill(0);
  for (const r of records) {
    for (const c of chunkArrivals(r)) tokens[Math.min(n - 1, Math.floor(c.atMs / bucketMs))]! += c.tokens;
  }
  return tokens.map((t) => t / (bucketMs / 1000));
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
