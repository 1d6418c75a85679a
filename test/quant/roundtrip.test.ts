/**
 * quantize -> dequantize on random data: the error of every element is bounded by a per-type bound
 * derived from the format (stated next to each), and re-quantizing the decoded values is a no-op.
 */
import { describe, expect, it } from "vitest";
import { dequantize, GgmlType, quantize } from "../../src/engine/quant/index.js";
import { ggmlTypeTraits } from "../../src/engine/quant/ggml-types.js";
import { rng } from "./util.js";

/**
 * Per-block error bound. `block` holds the block's original values.
 * - F32: exact.
 * - F16: relative 2^-11 (half an ulp of an 11-bit significand) plus 2^-25 absolute for subnormals.
 * - BF16: relative 2^-8 (half an ulp of an 8-bit significand).
 * - Q8_0: step d = amax/127; rounding gives d/2, and storing d as f16 (relative 2^-11) moves
 *   |q| <= 127 steps by 127*d*2^-11 = 0.062d: bound 0.57 d.
 * - Q4_0: step d = amax/8, levels -8..7; values in (7.5d, 8d] clamp to 7d (error up to d), plus
 *   8*d*2^-11 from the f16 scale: bound 1.01 d.
 * - Q4_K: per sub-block asymmetric 4-bit (16 levels) with 6-bit quantized scale/min; the reference
 *   quantizer's error stays within one step of the widest sub-block range: bound
 *   (max(block, 0) - min(block, 0)) / 15.
 * - Q6_K: per 16-element sub-block symmetric 6-bit (-32..31) with 8-bit scales relative to the
 *   super-block's largest; error stays within one step of the largest sub-block: bound amax/32.
 */
function bound(type: GgmlType, block: Float32Array, v: number): number {
  let amax = 0;
  let mn = 0;
  let mx = 0;
  for (const b of block) {
    amax = Math.max(amax, Math.abs(b));
    mn = Math.min(mn, b);
    mx = Math.max(mx, b);
  }
  switch (type) {
    case GgmlType.F32:
      return 0;
    case GgmlType.F16:
      return Math.abs(v) * 2 ** -11 + 2 ** -25;
    case GgmlType.BF16:
      return Math.abs(v) * 2 ** -8;
    case GgmlType.Q8_0:
      return 0.57 * (amax / 127) + 1e-30;
    case GgmlType.Q4_0:
      return 1.01 * (amax / 8) + 1e-30;
    case GgmlType.Q4_K:
      return (mx - mn) / 15 + 1e-30;
    case GgmlType.Q6_K:
      return amax / 32 + 1e-30;
    default:
      throw new Error("no bound");
  }
}

/** Random data with a per-block magnitude spanning ~4 decades, some offset and some sparse blocks. */
function testData(n: number, blockSize: number, seed: number): Float32Array {
  const r = rng(seed);
  const x = new Float32Array(n);
  const bs = Math.max(blockSize, 32);
  for (let b = 0; b < n; b += bs) {
    const scale = Math.exp((r() - 0.5) * 9);
    const offset = r() < 0.3 ? (r() - 0.5) * scale : 0;
    const sparse = r() < 0.15;
    for (let j = b; j < Math.min(n, b + bs); j++) {
      x[j] = sparse && r() < 0.8 ? 0 : offset + (r() * 2 - 1) * scale * (r() < 0.05 ? 4 : 1);
    }
  }
  return x;
}

const TYPES = [GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K];

describe("quantize -> dequantize error bounds", () => {
  for (const type of TYPES) {
    const t = ggmlTypeTraits(type)!;
    it(`${t.name}`, () => {
      const bs = Math.max(t.blockSize, 32);
      for (const blocks of [1, 2, 3, 7, 16]) {
        const n = bs * blocks;
        const x = testData(n, t.blockSize, 1000 * blocks + type);
        const q = quantize(type, x);
        expect(q.length).toBe((n / t.blockSize) * t.typeSize);
        const y = new Float32Array(n);
        dequantize(type, q, 0, y, 0, n);
        for (let b = 0; b < n; b += t.blockSize) {
          const block = x.subarray(b, b + t.blockSize);
          for (let j = b; j < b + t.blockSize; j++) {
            const err = Math.abs(y[j]! - x[j]!);
            const lim = bound(type, block, x[j]!);
            if (!(err <= lim)) throw new Error(`${t.name} n=${n} element ${j}: |${y[j]} - ${x[j]}| = ${err} > ${lim}`);
          }
        }
      }
    });
  }

  it("all-zero input decodes to zeros (bytes as ggml writes them)", () => {
    for (const type of TYPES) {
      const n = ggmlTypeTraits(type)!.blockSize * 2;
      const q = quantize(type, new Float32Array(n));
      // d = 0 everywhere; Q4_0 computes d = max / -8 = -0 (f16 0x8000) and writes nibble 8 (zero level)
      if (type === GgmlType.Q4_0) expect([...q]).toEqual([0, 0x80, ...Array(16).fill(0x88), 0, 0x80, ...Array(16).fill(0x88)]);
      else expect(q.every((b) => b === 0)).toBe(true);
      const y = new Float32Array(n).fill(1);
      dequantize(type, q, 0, y, 0, n);
      expect(y.every((v) => v === 0)).toBe(true);
    }
  });

  it("quantize(x, n) only reads the first n floats", () => {
    const x = testData(512, 256, 7);
    const a = quantize(GgmlType.Q4_K, x, 256);
    expect(a).toEqual(quantize(GgmlType.Q4_K, x.slice(0, 256)));
  });
});

describe("idempotence: quantize(dequantize(quantize(x))) == quantize(x)", () => {
  for (const type of [GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0]) {
    const t = ggmlTypeTraits(type)!;
    it(t.name, () => {
      for (const seed of [1, 2, 3, 4, 5]) {
        const n = 32 * 24;
        const x = testData(n, t.blockSize, seed);
        const q = quantize(type, x);
        const y = new Float32Array(n);
        dequantize(type, q, 0, y, 0, n);
        expect(quantize(type, y)).toEqual(q);
      }
    });
  }
});
