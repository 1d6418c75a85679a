/** Summary statistics of one latency, in the unit of the samples (ms everywhere in bench). */
export interface LatencyStats {
  readonly count: number;
  readonly mean: number;
  readonly median: number;
  readonly p90: number;
  readonly p95: number;
  readonly p99: number;
  readonly min: number;
  readonly max: number;
  /** Population standard deviation (numpy's default, as vLLM reports it). */
  readonly std: number;
}

/**
 * The q-th percentile (0..100) of ascending `sorted`, interpolating linearly between the two
 * nearest ranks (numpy's default method, which vLLM and SGLang use).
 */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) throw new RangeError("percentile of no samples");
  const pos = ((sorted.length - 1) * q) / 100;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Stats of `samples`, or null when there are none (e.g. TPOT when every answer is one token). */
export function latencyStats(samples: ArrayLike<number>): LatencyStats | null {
  return latencyStatsOfSorted(Float64Array.from(samples).sort());
}

/** `latencyStats` of samples already in ascending order (see `sortedSamples`). */
export function latencyStatsOfSorted(arr: Float64Array): LatencyStats | null {
  if (arr.length === 0) return null;
  let sum = 0;
  for (const x of arr) sum += x;
  const mean = sum / arr.length;
  let sq = 0;
  for (const x of arr) sq += (x - mean) * (x - mean);
  return {
    count: arr.length,
    mean,
    median: percentile(arr, 50),
    p90: percentile(arr, 90),
    p95: percentile(arr, 95),
    p99: percentile(arr, 99),
    min: arr[0]!,
    max: arr[arr.length - 1]!,
    std: Math.sqrt(sq / arr.length),
  };
}

/**
 * Points of the empirical CDF, at most `maxPoints` of them (evenly spaced in probability), for
 * plotting: [value, fraction of samples <= value].
 */
export function cdfPoints(samples: ArrayLike<number>, maxPoints = 400): Array<[number, number]> {
  return cdfPointsOfSorted(Float64Array.from(samples).sort(), maxPoints);
}

/** `cdfPoints` of samples already in ascending order. */
export function cdfPointsOfSorted(sorted: Float64Array, maxPoints = 400): Array<[number, number]> {
  const n = sorted.length;
  if (n === 0) return [];
  if (n <= maxPoints) return Array.from(sorted, (v, i): [number, number] => [v, (i + 1) / n]);
  const out: Array<[number, number]> = [];
  for (let k = 1; k <= maxPoints; k++) {
    const i = Math.ceil((k / maxPoints) * n) - 1;
    out.push([sorted[i]!, (i + 1) / n]);
  }
  return out;
}
