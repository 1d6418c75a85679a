/**
 * Native matmul on every instruction set this CPU has, against the TypeScript reference, on
 * awkward shapes: row counts that leave partial register tiles (1, 7, 13, 37), token counts 1, 3
 * and 17, row lengths that are not multiples of the vector width (F32/F16/BF16; 1100 also spans
 * several K blocks) or are odd numbers of blocks, and weights at an odd byte offset.
 *
 * Tolerances, with bound = sum_k |w_k x_k| (f64, dequantized weights):
 * - F32 / F16 / BF16 weights: |native - exact reference| <= 2e-5 * bound (f32 accumulation).
 * - Q8_0 / Q4_0 / Q4_K / Q6_K: the kernels quantize activations to Q8_0 / Q8_K like llama.cpp, so
 *   they are compared with the reference on activations rounded the same way ("ggml" mode):
 *   |native - ref| <= 2e-5 * bound; and with the exact reference: ||native - exact|| / ||exact|| < 3e-2.
 * Batch invariance (bitwise): a token's outputs do not depend on the other tokens of the call,
 * nor on the thread count, nor on whether the weights were prepared (repacked) first.
 */
import { it } from "vitest";
import type { WeightMatrix } from "../../src/engine/backend/backend.js";
import { RefBackend } from "../../src/engine/backend/ref/ref-backend.js";
import { dequantize, GgmlType, quantize } from "../../src/engine/quant/index.js";
import { ggmlTypeName } from "../../src/engine/quant/ggml-types.js";
import { describeNative, expectClose, expectEachToThrow, expectIdentical, ISAS, nativeBackend, randomFloats } from "./helpers.js";

const refExact = new RefBackend();
const refGgml = new RefBackend({ activations: "ggml" });
const FLOAT_TYPES = [GgmlType.F32, GgmlType.F16, GgmlType.BF16];
const QUANT_TYPES = [GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K];

function shapes(type: GgmlType): Array<[rows: number, cols: number]> {
  if (FLOAT_TYPES.includes(type)) return [[7, 83], [13, 16], [37, 273], [1, 1], [5, 3], [9, 1100]];
  if (type === GgmlType.Q4_K || type === GgmlType.Q6_K) return [[7, 256], [13, 768], [37, 512]];
  return [[7, 96], [13, 224], [37, 32], [1, 64]];
}

/** A random weight matrix of `type`, its bytes starting at byte offset `shift` of their buffer. */
function weight(type: GgmlType, rows: number, cols: number, seed: number, shift = 0): { w: WeightMatrix; dense: Float32Array } {
  const f = randomFloats(rows * cols, seed, 1.2);
  const q = type === GgmlType.F32 ? new Uint8Array(f.buffer.slice(0)) : quantize(type, f);
  const buf = new Uint8Array(q.length + shift);
  buf.set(q, shift);
  const data = buf.subarray(shift);
  const dense = new Float32Array(rows * cols);
  dequantize(type, data, 0, dense, 0, rows * cols);
  return { w: { name: `w${seed}`, type, rows, cols, data }, dense };
}

/** sum_k |w[r][k] * x[t][k]| for every output. */
function absBound(dense: Float32Array, rows: number, cols: number, x: Float32Array, numTokens: number): Float64Array {
  const out = new Float64Array(numTokens * rows);
  for (let t = 0; t < numTokens; t++)
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let k = 0; k < cols; k++) s += Math.abs(dense[r * cols + k]! * x[t * cols + k]!);
      out[t * rows + r] = s;
    }
  return out;
}

function relNorm(got: Float32Array, want: Float32Array): number {
  let num = 0, den = 0;
  for (let i = 0; i < got.length; i++) {
    num += (got[i]! - want[i]!) ** 2;
    den += want[i]! ** 2;
  }
  return Math.sqrt(num / den);
}

for (const type of [...FLOAT_TYPES, ...QUANT_TYPES]) {
  const quantized = QUANT_TYPES.includes(type);
  describeNative(`native matmul ${ggmlTypeName(type)}`, () => {
    shapes(type).forEach(([rows, cols], si) => {
      it(`rows=${rows} cols=${cols}${si === 0 ? " (weights at an odd byte offset)" : ""}, every ISA`, () => {
        const { w, dense } = weight(type, rows, cols, 100 * type + si, si === 0 ? 1 : 0);
        for (const numTokens of [1, 3, 17]) {
          const x = randomFloats(numTokens * cols, 7 * numTokens + si, 2);
          const bound = absBound(dense, rows, cols, x, numTokens);
          const exact = new Float32Array(numTokens * rows);
          refExact.matmul(w, x, numTokens, exact);
          const rounded = new Float32Array(numTokens * rows);
          if (quantized) refGgml.matmul(w, x, numTokens, rounded);
          for (const isa of ISAS) {
            const out = new Float32Array(numTokens * rows).fill(NaN);
            nativeBackend(isa).matmul(w, x, numTokens, out);
            const what = `${isa} T=${numTokens}`;
            if (quantized) {
              expectClose(out, rounded, `${what} vs ggml-rounded reference`, { rtol: 2e-5, bound });
              const e = relNorm(out, exact);
              if (!(e < 3e-2)) throw new Error(`${what}: relative error ${e} against the exact reference`);
            } else {
              expectClose(out, exact, `${what} vs exact reference`, { rtol: 2e-5, bound });
            }
          }
        }
      });
    });

    it("batch invariant: each token's outputs are bitwise the same alone, batched, on 1 or 3 threads, prepared or not", () => {
      const [rows, cols] = shapes(type)[2]!;
      const { w } = weight(type, rows, cols, 999 + type);
      const numTokens = 17;
      const x = randomFloats(numTokens * cols, 4242, 2);
      for (const isa of ISAS) {
        const batched = new Float32Array(numTokens * rows);
        nativeBackend(isa).matmul(w, x, numTokens, batched);
        const oneThread = new Float32Array(numTokens * rows);
        nativeBackend(isa, 1).matmul(w, x, numTokens, oneThread);
        expectIdentical(oneThread, batched, `${isa} 1 thread vs 3`);
        for (let t = 0; t < numTokens; t++) {
          const alone = new Float32Array(rows);
          nativeBackend(isa).matmul(w, x.subarray(t * cols, (t + 1) * cols), 1, alone);
          expectIdentical(alone, batched.subarray(t * rows, (t + 1) * rows), `${isa} token ${t} alone vs in a batch of ${numTokens}`);
        }
        // weights prepared (repacked where the ISA has a layout of its own) give the same bits
        const prepared: WeightMatrix = { ...w };
        nativeBackend(isa).prepareWeight(prepared);
        for (const n of [1, 2, 3, numTokens]) {
          const got = new Float32Array(n * rows);
          nativeBackend(isa).matmul(prepared, x, n, got);
          expectIdentical(got, batched.subarray(0, n * rows), `${isa} prepared weights, ${n} tokens`);
        }
      }
    });
  });
}

describeNative("native matmul arguments", () => {
  it("rejects buffers shorter than the shape and unsupported types", () => {
    const isa = ISAS[ISAS.length - 1]!;
    const be = nativeBackend(isa);
    const { w } = weight(GgmlType.Q8_0, 4, 64, 1);
    const x = new Float32Array(64 * 2);
    const out = new Float32Array(4 * 2);
    expectEachToThrow([
      () => be.matmul({ ...w, rows: 5 }, x, 2, out),
      () => be.matmul(w, x, 3, new Float32Array(12)),
      () => be.matmul(w, x, 2, new Float32Array(7)),
      () => be.matmul({ ...w, type: GgmlType.Q5_K }, x, 2, out),
    ]);
  });
});
