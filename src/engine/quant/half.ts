/**
 * IEEE binary16 (f16) and bfloat16 (bf16) <-> binary32 conversions, bit-exact with ggml:
 * f16 -> f32 is a 65536-entry table (like ggml's `ggml_table_f32_f16`), f32 -> f16 rounds to
 * nearest even (overflow to inf, subnormals kept, NaN stays NaN), f32 -> bf16 rounds to nearest
 * even exactly like `ggml_compute_fp32_to_bf16` (NaN is quieted by setting bit 6, never rounded).
 */

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

function buildF16Table(): Float32Array {
  const table = new Float32Array(65536);
  const bits = new Uint32Array(table.buffer);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) {
      // zero or subnormal: mant * 2^-24, exact in f32
      const v = mant * 5.960464477539063e-8;
      table[h] = sign !== 0 ? -v : v;
    } else if (exp === 31) {
      // inf or NaN; keep the payload (shifted into the f32 mantissa)
      bits[h] = (sign | 0x7f800000 | (mant << 13)) >>> 0;
    } else {
      bits[h] = (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
    }
  }
  return table;
}

/** f16 bit pattern -> f32 value. Index with a 16-bit unsigned integer. */
export const F16_TO_F32: Float32Array = buildF16Table();

/** The same table as f32 bit patterns (for writing decoded values through a Uint32Array). */
export const F16_TO_F32_BITS: Uint32Array = new Uint32Array(F16_TO_F32.buffer);

/** Converts an f16 bit pattern (0..65535) to its f32 value. */
export function f16ToF32(h: number): number {
  return F16_TO_F32[h & 0xffff]!;
}

/** Converts a number to the nearest f16 (round to nearest, ties to even) and returns its bits. */
export function f32ToF16(value: number): number {
  f32Scratch[0] = value; // the f64 -> f32 rounding ggml's callers get from their `float` argument
  const u = u32Scratch[0]!;
  const sign = (u >>> 16) & 0x8000;
  const a = u & 0x7fffffff;
  if (a >= 0x7f800000) {
    if (a === 0x7f800000) return sign | 0x7c00;
    // NaN: quiet it and keep the top payload bits
    return sign | 0x7e00 | ((a >>> 13) & 0x3ff);
  }
  if (a >= 0x477ff000) return sign | 0x7c00; // >= 65520 rounds to inf
  if (a < 0x38800000) {
    // below the smallest normal f16 (2^-14): result is an f16 subnormal (or zero)
    const e = a >>> 23;
    const shift = 126 - e; // value = m * 2^(e-150); f16 subnormal unit is 2^-24
    if (shift > 24) return sign;
    const m = (a & 0x7fffff) | 0x800000;
    let q = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (q & 1) !== 0)) q++;
    return sign | q; // q may become 0x400, the smallest normal, which is the right encoding
  }
  let h = (((a >>> 23) - 112) << 10) | ((a >>> 13) & 0x3ff);
  const rem = a & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) !== 0)) h++; // carry into the exponent is right
  return sign | h;
}

/** bf16 bit pattern -> f32 value. */
export function bf16ToF32(b: number): number {
  u32Scratch[0] = (b & 0xffff) << 16;
  return f32Scratch[0]!;
}

/** Converts a number to bf16 bits the way ggml does (round to nearest even, NaN quieted). */
export function f32ToBf16(value: number): number {
  f32Scratch[0] = value;
  const u = u32Scratch[0]!;
  if ((u & 0x7fffffff) > 0x7f800000) return ((u >>> 16) | 64) & 0xffff;
  return ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16) & 0xffff;
}

/** Rounds a number to the nearest f32 then f16, returning the f16's value (convenience for tests). */
export function roundToF16(value: number): number {
  return F16_TO_F32[f32ToF16(value)]!;
}
