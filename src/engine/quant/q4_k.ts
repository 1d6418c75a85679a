/**
 * Q4_K (ggml-common.h `block_q4_K`): 256 weights in 144 bytes, 8 sub-blocks of 32.
 *   bytes 0..1     d       f16 super-block scale for the sub-block scales
 *   bytes 2..3     dmin    f16 super-block scale for the sub-block mins
 *   bytes 4..15    scales  8 six-bit scales + 8 six-bit mins (packing: see `scaleMin`)
 *   bytes 16..143  qs      nibbles: for chunk c (64 weights, c = 0..3) byte qs[32c + l] holds
 *                          weight 64c + l in its low nibble and weight 64c + 32 + l in its high one
 * value = d * sc[s] * q - dmin * m[s], s = sub-block (weight / 32).
 * Reference quantizer: `quantize_row_q4_K_ref` (make_qkx2_quants per sub-block, 6-bit scales).
 */
import { F16_TO_F32, f32ToF16 } from "./half.js";
import { makeQkx2Quants } from "./k-search.js";
import { nearestInt } from "./rounding.js";
import type { WeightFormat } from "./format.js";

const QK_K = 256;
const BLOCK_BYTES = 144;
const SCALES = 4;
const QS = 16;
const fround = Math.fround;

/**
 * ggml's `get_scale_min_k4`: sub-block j's 6-bit scale (`which` = 0) or min (`which` = 1) from the
 * 12 scale bytes at `p`. j < 4: low 6 bits of bytes j (scale) and j+4 (min). j >= 4: low nibble
 * (scale) / high nibble (min) of byte j+4, with the top 2 bits taken from bits 6..7 of bytes j-4
 * (scale) and j (min).
 */
function scaleMin(bytes: Uint8Array, p: number, j: number, which: 0 | 1): number {
  if (j < 4) return bytes[p + j + 4 * which]! & 63;
  if (which === 0) return (bytes[p + j + 4]! & 0x0f) | ((bytes[p + j - 4]! >>> 6) << 4);
  return (bytes[p + j + 4]! >>> 4) | ((bytes[p + j]! >>> 6) << 4);
}

// quantizer scratch (module-level: quantization is synchronous and not re-entrant)
const L = new Uint8Array(QK_K);
const laux = new Uint8Array(32);
const weights = new Float32Array(32);
const mins = new Float32Array(8);
const scales = new Float32Array(8);

function quantizeBlock(x: Float32Array, xo: number, dst: Uint8Array, b: number): void {
  let maxScale = 0;
  let maxMin = 0;
  for (let j = 0; j < 8; j++) {
    const s = xo + 32 * j;
    let sumX2 = 0;
    for (let l = 0; l < 32; l++) sumX2 = fround(sumX2 + fround(x[s + l]! * x[s + l]!));
    const avX = fround(Math.sqrt(fround(sumX2 / 32)));
    for (let l = 0; l < 32; l++) weights[l] = fround(avX + Math.abs(x[s + l]!));
    const scale = makeQkx2Quants(32, 15, x, s, weights, L, 32 * j, mins, j, laux, -1, 0.1, 20, false);
    scales[j] = scale;
    if (scale > maxScale) maxScale = scale;
    const mn = mins[j]!;
    if (mn > maxMin) maxMin = mn;
  }
  const invScale = maxScale > 0 ? fround(63 / maxScale) : 0;
  const invMin = maxMin > 0 ? fround(63 / maxMin) : 0;
  const sp = b + SCALES;
  for (let j = 0; j < 8; j++) {
    // C stores nearest_int into a uint8_t before clamping to 63
    const ls = Math.min(63, nearestInt(fround(invScale * scales[j]!)) & 0xff);
    const lm = Math.min(63, nearestInt(fround(invMin * mins[j]!)) & 0xff);
    if (j < 4) {
      dst[sp + j] = ls;
      dst[sp + j + 4] = lm;
    } else {
      dst[sp + j + 4] = (ls & 0x0f) | ((lm & 0x0f) << 4);
      dst[sp + j - 4]! |= (ls >>> 4) << 6;
      dst[sp + j]! |= (lm >>> 4) << 6;
    }
  }
  const hd = f32ToF16(fround(maxScale / 63));
  const hm = f32ToF16(fround(maxMin / 63));
  dst[b] = hd & 0xff;
  dst[b + 1] = hd >>> 8;
  dst[b + 2] = hm & 0xff;
  dst[b + 3] = hm >>> 8;
  const dAll = F16_TO_F32[hd]!;
  const mAll = F16_TO_F32[hm]!;
  for (let j = 0; j < 8; j++) {
    const d = fround(dAll * scaleMin(dst, sp, j, 0));
    if (d === 0) continue;
    const dm = fround(mAll * scaleMin(dst, sp, j, 1));
    const s = xo + 32 * j;
    for (let i = 0; i < 32; i++) {
      const l = nearestInt(fround(fround(x[s + i]! + dm) / d));
      L[32 * j + i] = Math.max(0, Math.min(15, l));
    }
  }
  for (let c = 0; c < 4; c++) {
    const q = b + QS + 32 * c;
    for (let l = 0; l < 32; l++) dst[q + l] = L[64 * c + l]! | (L[64 * c + 32 + l]! << 4);
  }
}

export const Q4_K_FORMAT: WeightFormat = {
  name: "Q4_K",
  blockSize: QK_K,
  typeSize: BLOCK_BYTES,

  dequantize(src, srcOff, out, outOff, n) {
    for (let b = srcOff, o = outOff, end = outOff + n; o < end; b += BLOCK_BYTES, o += QK_K) {
      const d = F16_TO_F32[src[b]! | (src[b + 1]! << 8)]!;
      const dmin = F16_TO_F32[src[b + 2]! | (src[b + 3]! << 8)]!;
      const sp = b + SCALES;
      for (let c = 0; c < 4; c++) {
        // products of an f16 and a 6-bit integer are exact in f32, so no rounding is lost here
        const d1 = d * scaleMin(src, sp, 2 * c, 0);
        const m1 = dmin * scaleMin(src, sp, 2 * c, 1);
        const d2 = d * scaleMin(src, sp, 2 * c + 1, 0);
        const m2 = dmin * scaleMin(src, sp, 2 * c + 1, 1);
        const q = b + QS + 32 * c;
        const y = o + 64 * c;
        for (let l = 0; l < 32; l++) {
          const byte = src[q + l]!;
          out[y + l] = d1 * (byte & 0x0f) - m1;
          out[y + 32 + l] = d2 * (byte >>> 4) - m2;
        }
      }
    }
  },

  quantize(src, srcOff, n, dst, dstOff) {
    for (let i = srcOff, b = dstOff, end = srcOff + n; i < end; i += QK_K, b += BLOCK_BYTES) {
      dst.fill(0, b, b + BLOCK_BYTES);
      quantizeBlock(src, i, dst, b);
    }
  },

  dot(w, wOff, x, xOff, n) {
    let acc = 0;
    for (let b = wOff, o = xOff, end = xOff + n; o < end; b += BLOCK_BYTES, o += QK_K) {
      const d = F16_TO_F32[w[b]! | (w[b + 1]! << 8)]!;
      const dmin = F16_TO_F32[w[b + 2]! | (w[b + 3]! << 8)]!;
      const sp = b + SCALES;
      let sumQ = 0; // sum over sub-blocks of sc * sum(q * x)
      let sumM = 0; // sum over sub-blocks of m * sum(x)
      for (let c = 0; c < 4; c++) {
        const q = b + QS + 32 * c;
        const y = o + 64 * c;
        let q1 = 0, q2 = 0, x1 = 0, x2 = 0;
        for (let l = 0; l < 32; l++) {
          const byte = w[q + l]!;
          const xa = x[y + l]!;
          const xb = x[y + 32 + l]!;
          q1 += (byte & 0x0f) * xa;
          q2 += (byte >>> 4) * xb;
          x1 += xa;
          x2 += xb;
        }
        sumQ += scaleMin(w, sp, 2 * c, 0) * q1 + scaleMin(w, sp, 2 * c + 1, 0) * q2;
        sumM += scaleMin(w, sp, 2 * c, 1) * x1 + scaleMin(w, sp, 2 * c + 1, 1) * x2;
      }
      acc += d * sumQ - dmin * sumM;
    }
    return acc;
  },
};
