import { splitmix64, Xoshiro128StarStar } from "../../engine/sampler/rng.js";

/**
 * Seeded randomness for workloads. Every random choice of a workload comes from a stream derived
 * from (seed, stream id), so an item's content does not depend on how many items came before it
 * or in which order they were drawn: truncating or re-ordering a workload keeps each item intact.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  nextDouble(): number;
}

/** Stream ids used by the built-in datasets; one per kind of draw, so draws never alias. */
export const STREAM = {
  lengths: 1,
  content: 2,
  arrivals: 3,
  shuffle: 4,
  prefix: 5,
  block: 6,
} as const;

const MASK64 = (1n << 64n) - 1n;

/**
 * An independent generator for (seed, ...path): the path is hashed with splitmix64 so nearby
 * seeds and stream ids give unrelated streams.
 */
export function rngFor(seed: number, ...path: readonly number[]): Rng {
  let state = BigInt.asUintN(64, BigInt(seed));
  let out = splitmix64(state);
  for (const p of path) {
    state = (out.value ^ BigInt.asUintN(64, BigInt(p))) & MASK64;
    out = splitmix64(state);
  }
  // 53 bits are a safe integer; xoshiro re-expands them with splitmix64.
  return new Xoshiro128StarStar(Number(out.value >> 11n));
}

/** Uniform integer in [lo, hi] (inclusive). */
export function uniformInt(rng: Rng, lo: number, hi: number): number {
  if (hi < lo) throw new RangeError(`empty range [${lo}, ${hi}]`);
  return lo + Math.floor(rng.nextDouble() * (hi - lo + 1));
}

/** Exponential with the given rate (mean 1 / rate). */
export function exponential(rng: Rng, rate: number): number {
  return -Math.log(1 - rng.nextDouble()) / rate;
}

/** Standard normal (Box-Muller; one of the pair is discarded to keep the draw count fixed). */
export function standardNormal(rng: Rng): number {
  const u1 = 1 - rng.nextDouble(); // (0, 1]: log stays finite
  const u2 = rng.nextDouble();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/**
 * Gamma(shape, scale), mean shape * scale (Marsaglia & Tsang 2000; shape < 1 via the
 * Gamma(shape + 1) * U^(1/shape) boost).
 */
export function gamma(rng: Rng, shape: number, scale: number): number {
  if (!(shape > 0) || !(scale > 0)) throw new RangeError(`gamma needs shape > 0 and scale > 0, got ${shape}, ${scale}`);
  if (shape < 1) {
    const u = 1 - rng.nextDouble();
    return gamma(rng, shape + 1, scale) * Math.pow(u, 1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = standardNormal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.nextDouble();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v * scale;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v * scale;
  }
}

/** Fisher-Yates shuffle into a new array. */
export function shuffled<T>(rng: Rng, items: readonly T[]): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng.nextDouble() * (i + 1));
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}
