/**
 * Unquantized weight formats: F32, F16 and BF16 (block size 1). Multi-byte values are
 * little-endian as in GGUF; the byte math below does not depend on the host's alignment.
 */
import { F16_TO_F32, F16_TO_F32_BITS, f32ToBf16, f32ToF16 } from "./half.js";
import type { WeightFormat } from "./format.js";
import { f32ViewOf, u16ViewOf, u32ViewOf } from "./views.js";

const bf16Scratch = new Float32Array(1);
const bf16ScratchBits = new Uint32Array(bf16Scratch.buffer);

/** Little-endian hosts only (all Node targets we run on); checked once at load. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
if (!LITTLE_ENDIAN) throw new Error("flotilla quant: big-endian hosts are not supported");

/** Byte view of a Float32Array range, for copying raw little-endian f32 bytes in or out. */
function bytesOf(a: Float32Array, off: number, n: number): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset + off * 4, n * 4);
}

export const F32_FORMAT: WeightFormat = {
  name: "F32",
  blockSize: 1,
  typeSize: 4,
  dequantize(src, srcOff, out, outOff, n) {
    bytesOf(out, outOff, n).set(src.subarray(srcOff, srcOff + n * 4));
  },
  quantize(src, srcOff, n, dst, dstOff) {
    dst.set(bytesOf(src, srcOff, n), dstOff);
  },
  dot(w, wOff, x, xOff, n) {
    const abs = w.byteOffset + wOff;
    if ((abs & 3) === 0) {
      const wf = f32ViewOf(w.buffer);
      const wi = abs >>> 2;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let k = 0;
      for (; k + 3 < n; k += 4) {
        s0 += wf[wi + k]! * x[xOff + k]!;
        s1 += wf[wi + k + 1]! * x[xOff + k + 1]!;
        s2 += wf[wi + k + 2]! * x[xOff + k + 2]!;
        s3 += wf[wi + k + 3]! * x[xOff + k + 3]!;
      }
      for (; k < n; k++) s0 += wf[wi + k]! * x[xOff + k]!;
      return s0 + s1 + s2 + s3;
    }
    const dv = new DataView(w.buffer, abs, n * 4);
    let s = 0;
    for (let k = 0; k < n; k++) s += dv.getFloat32(k * 4, true) * x[xOff + k]!;
    return s;
  },
};

export const F16_FORMAT: WeightFormat = {
  name: "F16",
  blockSize: 1,
  typeSize: 2,
  dequantize(src, srcOff, out, outOff, n) {
    const o32 = u32ViewOf(out.buffer);
    const oi = (out.byteOffset >>> 2) + outOff;
    const abs = src.byteOffset + srcOff;
    if ((abs & 1) === 0) {
      const s16 = u16ViewOf(src.buffer);
      const si = abs >>> 1;
      for (let k = 0; k < n; k++) {
        const h = s16[si + k]!;
        const e = h & 0x7c00;
        // normal numbers: rebias the exponent in place; zero/subnormal/inf/NaN: table
        o32[oi + k] = e !== 0 && e !== 0x7c00 ? ((h & 0x8000) << 16) | (((h & 0x7fff) << 13) + 0x38000000) : F16_TO_F32_BITS[h]!;
      }
      return;
    }
    for (let k = 0, p = srcOff; k < n; k++, p += 2) {
      o32[oi + k] = F16_TO_F32_BITS[src[p]! | (src[p + 1]! << 8)]!;
    }
  },
  quantize(src, srcOff, n, dst, dstOff) {
    for (let k = 0, p = dstOff; k < n; k++, p += 2) {
      const h = f32ToF16(src[srcOff + k]!);
      dst[p] = h & 0xff;
      dst[p + 1] = h >>> 8;
    }
  },
  dot(w, wOff, x, xOff, n) {
    let s0 = 0, s1 = 0;
    const abs = w.byteOffset + wOff;
    if ((abs & 1) === 0) {
      const w16 = u16ViewOf(w.buffer);
      const wi = abs >>> 1;
      let k = 0;
      for (; k + 1 < n; k += 2) {
        s0 += F16_TO_F32[w16[wi + k]!]! * x[xOff + k]!;
        s1 += F16_TO_F32[w16[wi + k + 1]!]! * x[xOff + k + 1]!;
      }
      if (k < n) s0 += F16_TO_F32[w16[wi + k]!]! * x[xOff + k]!;
      return s0 + s1;
    }
    let k = 0, p = wOff;
    for (; k + 1 < n; k += 2, p += 4) {
      s0 += F16_TO_F32[w[p]! | (w[p + 1]! << 8)]! * x[xOff + k]!;
      s1 += F16_TO_F32[w[p + 2]! | (w[p + 3]! << 8)]! * x[xOff + k + 1]!;
    }
    if (k < n) s0 += F16_TO_F32[w[p]! | (w[p + 1]! << 8)]! * x[xOff + k]!;
    return s0 + s1;
  },
};

export const BF16_FORMAT: WeightFormat = {
  name: "BF16",
  blockSize: 1,
  typeSize: 2,
  dequantize(src, srcOff, out, outOff, n) {
    // bf16 is the top half of an f32: write the bit patterns straight into the output's storage
    const o32 = u32ViewOf(out.buffer);
    const oi = (out.byteOffset >>> 2) + outOff;
    const abs = src.byteOffset + srcOff;
    if ((abs & 1) === 0) {
      const s16 = u16ViewOf(src.buffer);
      const si = abs >>> 1;
      for (let k = 0; k < n; k++) o32[oi + k] = s16[si + k]! << 16;
      return;
    }
    for (let k = 0, p = srcOff; k < n; k++, p += 2) {
      o32[oi + k] = (src[p]! << 16) | (src[p + 1]! << 24);
    }
  },
  quantize(src, srcOff, n, dst, dstOff) {
    for (let k = 0, p = dstOff; k < n; k++, p += 2) {
      const b = f32ToBf16(src[srcOff + k]!);
      dst[p] = b & 0xff;
      dst[p + 1] = b >>> 8;
    }
  },
  dot(w, wOff, x, xOff, n) {
    let s = 0;
    const abs = w.byteOffset + wOff;
    if ((abs & 1) === 0) {
      const w16 = u16ViewOf(w.buffer);
      const wi = abs >>> 1;
      for (let k = 0; k < n; k++) {
        bf16ScratchBits[0] = w16[wi + k]! << 16;
        s += bf16Scratch[0]! * x[xOff + k]!;
      }
      return s;
    }
    for (let k = 0, p = wOff; k < n; k++, p += 2) {
      bf16ScratchBits[0] = ((w[p]! << 16) | (w[p + 1]! << 24)) >>> 0;
      s += bf16Scratch[0]! * x[xOff + k]!;
    }
    return s;
  },
};
