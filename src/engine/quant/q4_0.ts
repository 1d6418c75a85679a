/**
 * Q4_0 (ggml-common.h `block_q4_0`): 32 weights in 18 bytes.
 *   bytes 0..1   d   f16 scale
 *   bytes 2..17  qs  nibbles: qs[j] low nibble is weight j, high nibble is weight j+16
 * value = (nibble - 8) * d
 * Reference quantizer (`quantize_row_q4_0_ref`): d = max / -8 where max is the signed value of
 * largest magnitude, q = min(15, trunc(x/d + 8.5)).
 */
import { F16_TO_F32, f32ToF16 } from "./half.js";
import type { WeightFormat } from "./format.js";

const QK = 32;
const HALF = 16;
const BLOCK_BYTES = 18;
const fround = Math.fround;

export const Q4_0_FORMAT: WeightFormat = {
  name: "Q4_0",
  blockSize: QK,
  typeSize: BLOCK_BYTES,

  dequantize(src, srcOff, out, outOff, n) {
    for (let b = srcOff, o = outOff, end = outOff + n; o < end; b += BLOCK_BYTES, o += QK) {
      const d = F16_TO_F32[src[b]! | (src[b + 1]! << 8)]!;
      for (let j = 0; j < HALF; j++) {
        const q = src[b + 2 + j]!;
        out[o + j] = ((q & 0x0f) - 8) * d;
        out[o + j + HALF] = ((q >>> 4) - 8) * d;
      }
    }
  },

  quantize(src, srcOff, n, dst, dstOff) {
    for (let i = srcOff, b = dstOff, end = srcOff + n; i < end; i += QK, b += BLOCK_BYTES) {
      let amax = 0;
      let max = 0;
      for (let j = 0; j < QK; j++) {
        const v = src[i + j]!;
        if (amax < Math.abs(v)) {
          amax = Math.abs(v);
          max = v;
        }
      }
      const d = fround(max / -8);
      const id = d !== 0 ? fround(1 / d) : 0;
      const h = f32ToF16(d);
      dst[b] = h & 0xff;
      dst[b + 1] = h >>> 8;
      for (let j = 0; j < HALF; j++) {
        // C: MIN(15, (int8_t)(x*id + 8.5f)); the sum is in [0.5, 16.5] so truncation is floor
        const x0 = Math.min(15, Math.trunc(fround(fround(src[i + j]! * id) + 8.5)));
        const x1 = Math.min(15, Math.trunc(fround(fround(src[i + j + HALF]! * id) + 8.5)));
        dst[b + 2 + j] = x0 | (x1 << 4);
      }
    }
  },

  dot(w, wOff, x, xOff, n) {
    let acc = 0;
    for (let b = wOff, o = xOff, end = xOff + n; o < end; b += BLOCK_BYTES, o += QK) {
      const d = F16_TO_F32[w[b]! | (w[b + 1]! << 8)]!;
      let s0 = 0, s1 = 0;
      for (let j = 0; j < HALF; j++) {
        const q = w[b + 2 + j]!;
        s0 += ((q & 0x0f) - 8) * x[o + j]!;
        s1 += ((q >>> 4) - 8) * x[o + j + HALF]!;
      }
      acc += d * (s0 + s1);
    }
    return acc;
  },
};
