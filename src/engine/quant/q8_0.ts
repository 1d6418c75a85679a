/**
 * Q8_0 (ggml-common.h `block_q8_0`): 32 weights in 34 bytes.
 *   bytes 0..1   d   f16 scale
 *   bytes 2..33  qs  int8 quants
 * value[j] = qs[j] * d
 * Reference quantizer (`quantize_row_q8_0_ref`): d = amax/127, qs = roundf(x / d).
 */
import { F16_TO_F32, f32ToF16 } from "./half.js";
import { roundAway } from "./rounding.js";
import type { WeightFormat } from "./format.js";

const QK = 32;
const BLOCK_BYTES = 34;
const fround = Math.fround;

export const Q8_0_FORMAT: WeightFormat = {
  name: "Q8_0",
  blockSize: QK,
  typeSize: BLOCK_BYTES,

  dequantize(src, srcOff, out, outOff, n) {
    for (let b = srcOff, o = outOff, end = outOff + n; o < end; b += BLOCK_BYTES, o += QK) {
      const d = F16_TO_F32[src[b]! | (src[b + 1]! << 8)]!;
      for (let j = 0; j < QK; j++) out[o + j] = ((src[b + 2 + j]! << 24) >> 24) * d;
    }
  },

  quantize(src, srcOff, n, dst, dstOff) {
    for (let i = srcOff, b = dstOff, end = srcOff + n; i < end; i += QK, b += BLOCK_BYTES) {
      let amax = 0;
      for (let j = 0; j < QK; j++) {
        const a = Math.abs(src[i + j]!);
        if (a > amax) amax = a;
      }
      const d = fround(amax / 127);
      const id = d !== 0 ? fround(1 / d) : 0;
      const h = f32ToF16(d);
      dst[b] = h & 0xff;
      dst[b + 1] = h >>> 8;
      for (let j = 0; j < QK; j++) dst[b + 2 + j] = roundAway(fround(src[i + j]! * id)) & 0xff;
    }
  },

  dot(w, wOff, x, xOff, n) {
    let acc = 0;
    for (let b = wOff, o = xOff, end = xOff + n; o < end; b += BLOCK_BYTES, o += QK) {
      const d = F16_TO_F32[w[b]! | (w[b + 1]! << 8)]!;
      let s0 = 0, s1 = 0;
      for (let j = 0, q = b + 2; j < QK; j += 2, q += 2) {
        s0 += ((w[q]! << 24) >> 24) * x[o + j]!;
        s1 += ((w[q + 1]! << 24) >> 24) * x[o + j + 1]!;
      }
      acc += d * (s0 + s1);
    }
    return acc;
  },
};
