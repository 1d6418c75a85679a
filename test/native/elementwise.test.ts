/**
 * The native element-wise ops on every instruction set this CPU has, against the TypeScript
 * reference (which computes in f64) on lengths that are not multiples of any vector width.
 * Tolerances: rmsNorm 1e-5 relative to max|out| of the row; RoPE 2e-6 absolute on O(1) values
 * (positions up to 5000; cos/sin are computed in f64 and rounded once); SwiGLU 1e-6 relative
 * (+1e-30); softmax 1e-6 absolute; add / addBias / embed bitwise equal.
 */
import { it } from "vitest";
import type { RopeConfig } from "../../src/engine/model/config.js";
import { RefBackend } from "../../src/engine/backend/ref/ref-backend.js";
import { GgmlType, quantize } from "../../src/engine/quant/index.js";
import { ggmlTypeName } from "../../src/engine/quant/ggml-types.js";
import { describeNative, expectClose, expectIdentical, ISAS, nativeBackend, randomFloats, rng } from "./helpers.js";

const ref = new RefBackend();

describeNative("native element-wise ops", () => {
  it("rmsNorm", () => {
    for (const [rows, dim] of [[1, 7], [3, 83], [5, 773], [2, 4096 + 3]] as const) {
      const x = randomFloats(rows * dim, dim, 3);
      const w = randomFloats(dim, dim + 1, 1.5);
      const want = new Float32Array(rows * dim);
      ref.rmsNorm(x, w, rows, dim, 1e-5, want);
      for (const isa of ISAS) {
        const got = new Float32Array(rows * dim);
        nativeBackend(isa).rmsNorm(x, w, rows, dim, 1e-5, got);
        const maxAbs = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        expectClose(got, want, `${isa} rmsNorm ${rows}x${dim}`, { atol: 1e-5 * maxAbs });
        const inPlace = x.slice();
        nativeBackend(isa).rmsNorm(inPlace, w, rows, dim, 1e-5, inPlace);
        expectIdentical(inPlace, got, `${isa} rmsNorm in place`);
      }
    }
  });

  it("RoPE: norm and neox styles, partial rotation, freqScale, per-frequency factors", () => {
    const r = rng(5);
    for (const headDim of [32, 64, 80]) {
      const configs: RopeConfig[] = [
        { style: "norm", dim: headDim, theta: 10000, freqScale: 1, freqFactors: null },
        { style: "neox", dim: headDim, theta: 1000000, freqScale: 1, freqFactors: null },
        { style: "neox", dim: headDim / 2, theta: 10000, freqScale: 0.25, freqFactors: null },
        { style: "norm", dim: headDim, theta: 500000, freqScale: 1, freqFactors: Float32Array.from({ length: headDim / 2 }, (_, i) => 1 + (i % 5) * 3.5) },
      ];
      for (const rope of configs) {
        const numTokens = 17, numHeads = 3;
        const positions = Int32Array.from({ length: numTokens }, () => Math.floor(r() * 5000));
        const x = randomFloats(numTokens * numHeads * headDim, headDim, 1);
        const want = x.slice();
        ref.rope(want, positions, numHeads, headDim, rope);
        for (const isa of ISAS) {
          const got = x.slice();
          nativeBackend(isa).rope(got, positions, numHeads, headDim, rope);
          expectClose(got, want, `${isa} rope ${rope.style} dim ${rope.dim}/${headDim}`, { atol: 2e-6 });
        }
      }
    }
  });

  it("SwiGLU, including large |gate|", () => {
    const n = 1003;
    const gate = randomFloats(n, 1, 8);
    gate[0] = 100;
    gate[1] = -100;
    gate[2] = -90;
    gate[3] = 0;
    const up = randomFloats(n, 2, 2);
    const want = gate.slice();
    ref.swiglu(want, up, n);
    for (const isa of ISAS) {
      const got = gate.slice();
      nativeBackend(isa).swiglu(got, up, n);
      expectClose(got, want, `${isa} swiglu`, { atol: 1e-30, rtol: 1e-6 });
    }
  });

  it("add and addBias are exact", () => {
    const a = randomFloats(5 * 77, 3, 10);
    const b = randomFloats(5 * 77, 4, 10);
    const bias = randomFloats(77, 5, 1);
    const wantSum = a.slice();
    ref.add(wantSum, b, a.length);
    const wantBias = a.slice();
    ref.addBias(wantBias, bias, 5);
    for (const isa of ISAS) {
      const s = a.slice();
      nativeBackend(isa).add(s, b, a.length);
      expectIdentical(s, wantSum, `${isa} add`);
      const bb = a.slice();
      nativeBackend(isa).addBias(bb, bias, 5);
      expectIdentical(bb, wantBias, `${isa} addBias`);
    }
  });

  it("softmax rows against f64", () => {
    for (const n of [1, 5, 16, 17, 1000]) {
      const rows = 3;
      const x = randomFloats(rows * n, n, 20);
      const want = new Float64Array(rows * n);
      for (let r = 0; r < rows; r++) {
        const row = x.subarray(r * n, (r + 1) * n);
        const max = Math.max(...row);
        let sum = 0;
        for (let i = 0; i < n; i++) sum += Math.exp(row[i]! - max);
        for (let i = 0; i < n; i++) want[r * n + i] = Math.exp(row[i]! - max) / sum;
      }
      for (const isa of ISAS) {
        const got = x.slice();
        nativeBackend(isa).softmax(got, rows, n);
        expectClose(got, want, `${isa} softmax n=${n}`, { atol: 1e-6 });
      }
    }
  });

  it("embed decodes rows bitwise like the reference, and rejects ids outside the vocabulary", () => {
    for (const type of [GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K]) {
      const rows = 11, cols = 512;
      const f = randomFloats(rows * cols, type, 2);
      const w = { name: "embd", type, rows, cols, data: type === GgmlType.F32 ? new Uint8Array(f.buffer) : quantize(type, f) };
      const tokens = Int32Array.of(3, 0, 10, 3, 7);
      const want = new Float32Array(tokens.length * cols);
      ref.embed(w, tokens, want);
      for (const isa of ISAS) {
        const got = new Float32Array(tokens.length * cols);
        nativeBackend(isa).embed(w, tokens, got);
        expectIdentical(got, want, `${isa} embed ${ggmlTypeName(type)}`);
        let threw = false;
        try {
          nativeBackend(isa).embed(w, Int32Array.of(11), got);
        } catch {
          threw = true;
        }
        if (!threw) throw new Error("embed accepted token id 11 of an 11-row table");
      }
    }
  });
});
