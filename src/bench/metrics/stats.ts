import { orderStatistics } from "./order-statistics.js";

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
  return latencyStatsOf(Float64Array.from(samples));
}

const PERCENTILES = [50, 90, 95, 99] as const;

/**
 * `latencyStats` of samples in any order, by order statistics rather than a full sort (millions
 * of gaps between tokens in a simulation): the percentiles interpolate between the same ranks.
 */
export function latencyStatsOf(samples: Float64Array): LatencyStats | null {
  const n = samples.length;
  if (n === 0) return null;
  const positions = PERCENTILES.map((q) => ((n - 1) * q) / 100);
  const ranks = [0, n - 1, ...positions.flatMap((pos) => [Math.floor(pos), Math.min(Math.floor(pos) + 1, n - 1)])];
  const v = orderStatistics(samples, ranks);
  const at = (k: number): number => {
    const lo = v[2 + 2 * k]!;
    const hi = v[3 + 2 * k]!;
    const pos = positions[k]!;
    return lo + (hi - lo) * (pos - Math.floor(pos));
  };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += samples[i]!;
  const mean = sum / n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (samples[i]! - mean) * (samples[i]! - mean);
  return { count: n, mean, median: at(0), p90: at(1), p95: at(2), p99: at(3), min: v[0]!, max: v[1]!, std: Math.sqrt(sq / n) };
}

/**
 * Points of the empirical CDF, at most `maxPoints` of them (evenly spaced in probability), for
 * plotting: [value, fraction of samples <= value].
 */
export function cdfPoints(samples: ArrayLike<number>, maxPoints = 400): Array<[number, number]> {
  return cdfPointsOf(Float64Array.from(samples), maxPoints);
}

/** `cdfPoints` of samples in any order (order statistics, not a full sort). */
export function cdfPointsOf(samples: Float64Array, maxPoints = 400): Array<[number, number]> {
  const n = samples.length;
  if (n === 0) return [];
  if (n <= maxPoints) return Array.from(samples.slice().sort(), (v, i): [number, number] => [v, (i + 1) / n]);
  const ranks = Array.from({ length: maxPoints }, (_, k) => Math.ceil(((k + 1) / maxPoints) * n) - 1);
  const v = orderStatistics(samples, ranks);
  return ranks.map((i, k): [number, number] => [v[k]!, (i + 1) / n]);
}
