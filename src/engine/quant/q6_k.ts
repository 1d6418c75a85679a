/**
 * Q6_K (ggml-common.h `block_q6_K`): 256 weights in 210 bytes, 16 sub-blocks of 16.
 *   bytes 0..127    ql      low 4 bits of the quants
 *   bytes 128..191  qh      high 2 bits of the quants
 *   bytes 192..207  scales  int8 sub-block scales
 *   bytes 208..209  d       f16 super-block scale
 * Within each 128-weight half h (ql += 64h, qh += 32h, scales += 8h) and l = 0..31:
 *   q(l)      = (ql[l]    & 0xF) | ((qh[l] >> 0) & 3) << 4    scale index l/16
 *   q(l + 32) = (ql[l+32] & 0xF) | ((qh[l] >> 2) & 3) << 4    scale index l/16 + 2
 *   q(l + 64) = (ql[l]    >> 4)  | ((qh[l] >> 4) & 3) << 4    scale index l/16 + 4
 *   q(l + 96) = (ql[l+32] >> 4)  | ((qh[l] >> 6) & 3) << 4    scale index l/16 + 6
 * value = d * scale * (q - 32)
 * Reference quantizer: `quantize_row_q6_K_ref` (make_qx_quants per sub-block, int8 scales).
 */
import { F16_TO_F32, f32ToF16 } from "./half.js";
import { makeQxQuants } from "./k-search.js";
import { nearestInt } from "./rounding.js";
import type { WeightFormat } from "./format.js";

const QK_K = 256;
const BLOCK_BYTES = 210;
const QH = 128;
const SC = 192;
const D = 208;
const GROUP_MAX_EPS = 1e-15;
const fround = Math.fround;

const L = new Uint8Array(QK_K);
const scales = new Float32Array(16);

function quantizeBlock(x: Float32Array, xo: number, dst: Uint8Array, b: number): void {
  let maxScale = 0;
  let maxAbsScale = 0;
  for (let ib = 0; ib < 16; ib++) {
    const scale = makeQxQuants(16, 32, x, xo + 16 * ib, L, 16 * ib);
    scales[ib] = scale;
    const a = Math.abs(scale);
    if (a > maxAbsScale) {
      maxAbsScale = a;
      maxScale = scale;
    }
  }
  dst.fill(0, b, b + BLOCK_BYTES);
  if (maxAbsScale < GROUP_MAX_EPS) return; // all-zero block, d = +0
  const iscale = fround(-128 / maxScale);
  const h = f32ToF16(fround(1 / iscale));
  dst[b + D] = h & 0xff;
  dst[b + D + 1] = h >>> 8;
  for (let ib = 0; ib < 16; ib++) {
    dst[b + SC + ib] = Math.min(127, nearestInt(fround(iscale * scales[ib]!))) & 0xff;
  }
  const dAll = F16_TO_F32[h]!;
  for (let j = 0; j < 16; j++) {
    const d = fround(dAll * ((dst[b + SC + j]! << 24) >> 24));
    if (d === 0) continue;
    for (let i = 0; i < 16; i++) {
      const l = nearestInt(fround(x[xo + 16 * j + i]! / d));
      L[16 * j + i] = Math.max(-32, Math.min(31, l)) + 32;
    }
  }
  for (let half = 0; half < 2; half++) {
    const ql = b + 64 * half;
    const qh = b + QH + 32 * half;
    const base = 128 * half;
    for (let l = 0; l < 32; l++) {
      const a = L[base + l]!;
      const c = L[base + l + 32]!;
      const e = L[base + l + 64]!;
      const f = L[base + l + 96]!;
      dst[ql + l] = (a & 0x0f) | ((e & 0x0f) << 4);
      dst[ql + l + 32] = (c & 0x0f) | ((f & 0x0f) << 4);
      dst[qh + l] = (a >>> 4) | ((c >>> 4) << 2) | ((e >>> 4) << 4) | ((f >>> 4) << 6);
    }
  }
}

export const Q6_K_FORMAT: WeightFormat = {
  name: "Q6_K",
  blockSize: QK_K,
  typeSize: BLOCK_BYTES,

  dequantize(src, srcOff, out, outOff, n) {
    for (let b = srcOff, o = outOff, end = outOff + n; o < end; b += BLOCK_BYTES, o += QK_K) {
      const d = F16_TO_F32[src[b + D]! | (src[b + D + 1]! << 8)]!;
      for (let half = 0; half < 2; half++) {
        const ql = b + 64 * half;
        const qh = b + QH + 32 * half;
        const sc = b + SC + 8 * half;
        const y = o + 128 * half;
        for (let g = 0; g < 2; g++) {
          // d * int8 scale is exact in f32; C computes (d * sc) * q, rounded once like here
          const s0 = d * ((src[sc + g]! << 24) >> 24);
          const s2 = d * ((src[sc + g + 2]! << 24) >> 24);
          const s4 = d * ((src[sc + g + 4]! << 24) >> 24);
          const s6 = d * ((src[sc + g + 6]! << 24) >> 24);
          for (let l = 16 * g, end2 = l + 16; l < end2; l++) {
            const lo = src[ql + l]!;
            const hi = src[ql + l + 32]!;
            const h = src[qh + l]!;
            out[y + l] = s0 * (((lo & 0x0f) | ((h & 3) << 4)) - 32);
            out[y + l + 32] = s2 * (((hi & 0x0f) | ((h & 0x0c) << 2)) - 32);
            out[y + l + 64] = s4 * (((lo >>> 4) | (h & 0x30)) - 32);
            out[y + l + 96] = s6 * (((hi >>> 4) | ((h & 0xc0) >>> 2)) - 32);
          }
        }
      }
    }
  },

  quantize(src, srcOff, n, dst, dstOff) {
    for (let i = srcOff, b = dstOff, end = srcOff + n; i < end; i += QK_K, b += BLOCK_BYTES) {
      quantizeBlock(src, i, dst, b);
    }
  },

  dot(w, wOff, x, xOff, n) {
    let acc = 0;
    for (let b = wOff, o = xOff, end = xOff + n; o < end; b += BLOCK_BYTES, o += QK_K) {
      const d = F16_TO_F32[w[b + D]! | (w[b + D + 1]! << 8)]!;
      let blockSum = 0;
      for (let half = 0; half < 2; half++) {
        const ql = b + 64 * half;
        const qh = b + QH + 32 * half;
        const sc = b + SC + 8 * half;
        const y = o + 128 * half;
        for (let g = 0; g < 2; g++) {
          let a0 = 0, a2 = 0, a4 = 0, a6 = 0;
          for (let l = 16 * g, end2 = l + 16; l < end2; l++) {
            const lo = w[ql + l]!;
            const hi = w[ql + l + 32]!;
            const h = w[qh + l]!;
            a0 += (((lo & 0x0f) | ((h & 3) << 4)) - 32) * x[y + l]!;
            a2 += (((hi & 0x0f) | ((h & 0x0c) << 2)) - 32) * x[y + l + 32]!;
            a4 += (((lo >>> 4) | (h & 0x30)) - 32) * x[y + l + 64]!;
            a6 += (((hi >>> 4) | ((h & 0xc0) >>> 2)) - 32) * x[y + l + 96]!;
          }
          blockSum +=
            ((w[sc + g]! << 24) >> 24) * a0 +
            ((w[sc + g + 2]! << 24) >> 24) * a2 +
            ((w[sc + g + 4]! << 24) >> 24) * a4 +
            ((w[sc + g + 6]! << 24) >> 24) * a6;
        }
      }
      acc += d * blockSum;
    }
    return acc;
  },
};
