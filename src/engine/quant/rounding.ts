/**
 * The C rounding helpers ggml's reference quantizers rely on, reproduced on JS numbers.
 * Callers pass values already rounded to f32 (Math.fround) where ggml computes in `float`.
 */

const MAGIC = 12582912; // 1.5 * 2^23

/**
 * ggml's `nearest_int`: round to nearest, ties to even, via adding 1.5*2^23 in f32.
 * Valid for |v| <= 4194303 like the original.
 */
export function nearestInt(v: number): number {
  return Math.fround(v + MAGIC) - MAGIC;
}

/** C `roundf`: round half away from zero. */
export function roundAway(v: number): number {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}
