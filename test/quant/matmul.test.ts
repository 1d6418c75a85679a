/**
 * dotRow and matmul against dequantize + a naive f64 dot, on awkward shapes: 7 rows (one 4-row
 * tile plus 3 single rows), cols = 3 blocks, 1 token (fused path) and 5 tokens (decoded path,
 * 2-token tiles plus one left over), weights at unaligned byte offsets.
 */
import { describe, expect, it } from "vitest";
import { dequantize, dotRow, GgmlType, matmul, quantize } from "../../src/engine/quant/index.js";
import { ggmlTypeTraits } from "../../src/engine/quant/ggml-types.js";
import { randomFloats } from "./util.js";

const TYPES = [GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K];

/** 1e-4 relative to the result, with a floor relative to the sum of |terms| for near-cancelling dots. */
function expectClose(got: number, ref: number, absTerms: number, what: string): void {
  const tol = 1e-4 * Math.abs(ref) + 1e-7 * absTerms;
  if (!(Math.abs(got - ref) <= tol)) throw new Error(`${what}: got ${got}, want ${ref} (tol ${tol})`);
}

/** Reference: out[t*rows + r] = sum_k W[r][k] * x[t][k] in f64 over dequantized weights. */
function reference(wf: Float32Array, rows: number, cols: number, x: Float32Array, numTokens: number) {
  const out = new Float64Array(numTokens * rows);
  const abs = new Float64Array(numTokens * rows);
  for (let t = 0; t < numTokens; t++) {
    for (let r = 0; r < rows; r++) {
      let s = 0;
      let a = 0;
      for (let k = 0; k < cols; k++) {
        s += wf[r * cols + k]! * x[t * cols + k]!;
        a += Math.abs(wf[r * cols + k]! * x[t * cols + k]!);
      }
      out[t * rows + r] = s;
      abs[t * rows + r] = a;
    }
  }
  return { out, abs };
}

/** The bytes of `q` placed at byte offset `shift` of a fresh buffer (to test unaligned weights). */
function placed(q: Uint8Array, shift: number): Uint8Array {
  const buf = new Uint8Array(q.length + shift + 8);
  buf.set(q, shift);
  return buf.subarray(shift, shift + q.length);
}

for (const type of TYPES) {
  const t = ggmlTypeTraits(type)!;
  const bs = Math.max(t.blockSize, 32);
  describe(t.name, () => {
    const shapes: Array<[number, number]> = [
      [7, 3 * bs],
      [4, bs],
      [1, 2 * bs],
      [9, 8 * bs],
    ];
    if (t.blockSize === 1) shapes.push([5, 3], [3, 1]);
    for (const [rows, cols] of shapes) {
      for (const shift of [0, 1, 2]) {
        it(`rows=${rows} cols=${cols} byte shift=${shift}`, () => {
          const w = randomFloats(rows * cols, rows * 31 + cols + type, 1.5, 0.1);
          const q = placed(quantize(type, w), shift);
          const wf = new Float32Array(rows * cols);
          dequantize(type, q, 0, wf, 0, rows * cols);
          const rowBytes = (cols / t.blockSize) * t.typeSize;
          for (const numTokens of [1, 2, 5]) {
            const x = randomFloats(numTokens * cols, numTokens + cols, 2);
            const { out: ref, abs } = reference(wf, rows, cols, x, numTokens);
            const out = new Float32Array(numTokens * rows).fill(NaN);
            matmul(type, q, rows, cols, x, numTokens, out);
            for (let i = 0; i < out.length; i++) {
              expectClose(out[i]!, ref[i]!, abs[i]!, `matmul T=${numTokens} out[${i}]`);
            }
            for (let tok = 0; tok < numTokens; tok++) {
              for (let r = 0; r < rows; r++) {
                const d = dotRow(type, q, r * rowBytes, x, tok * cols, cols);
                expectClose(d, ref[tok * rows + r]!, abs[tok * rows + r]!, `dotRow t=${tok} r=${r}`);
              }
            }
          }
        });
      }
    }
  });
}

describe("matmul on a Node Buffer", () => {
  it("works with aligned Buffer.allocUnsafeSlow storage and pooled (unaligned) Buffers", () => {
    const rows = 6;
    const cols = 256;
    const w = randomFloats(rows * cols, 5);
    const x = randomFloats(3 * cols, 6);
    for (const type of [GgmlType.F32, GgmlType.Q4_K]) {
      const q = quantize(type, w);
      const slow = Buffer.allocUnsafeSlow(q.length);
      slow.set(q);
      const pooled = Buffer.concat([Buffer.from([1, 2, 3]), Buffer.from(q)]).subarray(3);
      const a = new Float32Array(3 * rows);
      const b = new Float32Array(3 * rows);
      matmul(type, slow, rows, cols, x, 3, a);
      matmul(type, pooled, rows, cols, x, 3, b);
      expect(b).toEqual(a);
    }
  });

  it("does nothing for zero rows or tokens", () => {
    const out = new Float32Array(4).fill(7);
    matmul(GgmlType.Q8_0, new Uint8Array(0), 0, 32, new Float32Array(64), 2, out);
    matmul(GgmlType.Q8_0, new Uint8Array(34 * 2), 2, 32, new Float32Array(0), 0, out);
    expect([...out]).toEqual([7, 7, 7, 7]);
  });
});
