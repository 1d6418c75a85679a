/**
 * matmulMany (several matmuls of one input in one native call) against separate matmul calls,
 * bit for bit, on every instruction set this CPU has: Q/K/V-like groups (K and V smaller than Q),
 * gate/up-like pairs, one weight type per group (activations quantized once) and mixed types
 * (Q8_0 and Q8_K activations, f32 activations, in one call), 1, 3 and 37 tokens, 1 and 3 threads,
 * with and without prepared (repacked) weights. matmulSwiglu (gate, up and SwiGLU in one call)
 * against matmul, matmul, swiglu, the same way.
 */
import { it } from "vitest";
import type { WeightMatrix } from "../../src/engine/backend/backend.js";
import { GgmlType, quantize } from "../../src/engine/quant/index.js";
import { ggmlTypeName } from "../../src/engine/quant/ggml-types.js";
import { describeNative, expectEachToThrow, expectIdentical, ISAS, nativeBackend, randomFloats } from "./helpers.js";

/** A random weight matrix of `type` (a fresh object: preparing it does not touch other tests' weights). */
function weight(type: GgmlType, rows: number, cols: number, seed: number): WeightMatrix {
  const f = randomFloats(rows * cols, seed, 1.2);
  const data = type === GgmlType.F32 ? new Uint8Array(f.buffer.slice(0)) : quantize(type, f);
  return { name: `w${seed}`, type, rows, cols, data };
}

/** Groups of weights sharing one input: [name, cols, [type, rows] per weight]. */
const GROUPS: Array<[string, number, Array<[GgmlType, number]>]> = [
  ["Q8_0 qkv", 256, [[GgmlType.Q8_0, 96], [GgmlType.Q8_0, 32], [GgmlType.Q8_0, 32]]],
  ["Q4_0 qkv", 128, [[GgmlType.Q4_0, 64], [GgmlType.Q4_0, 16], [GgmlType.Q4_0, 16]]],
  ["Q4_K qkv", 512, [[GgmlType.Q4_K, 80], [GgmlType.Q4_K, 24], [GgmlType.Q4_K, 24]]],
  ["Q4_K + Q6_K (a Q4_K_M layer)", 256, [[GgmlType.Q4_K, 64], [GgmlType.Q4_K, 16], [GgmlType.Q6_K, 16]]],
  ["Q8_0 gate/up", 96, [[GgmlType.Q8_0, 200], [GgmlType.Q8_0, 200]]],
  ["F32 qkv", 83, [[GgmlType.F32, 37], [GgmlType.F32, 13], [GgmlType.F32, 13]]],
  ["F16 qkv", 128, [[GgmlType.F16, 48], [GgmlType.F16, 16], [GgmlType.F16, 16]]],
  ["BF16 gate/up", 64, [[GgmlType.BF16, 40], [GgmlType.BF16, 40]]],
  [
    "every activation format at once",
    256,
    [[GgmlType.Q8_0, 48], [GgmlType.Q4_K, 16], [GgmlType.F16, 16], [GgmlType.Q4_0, 33], [GgmlType.Q6_K, 7], [GgmlType.F32, 1]],
  ],
  // long rows: 37 tokens are several token chunks of a task (ops.cc splitMatmul)
  ["long rows (several token chunks)", 8192, [[GgmlType.F16, 16], [GgmlType.Q8_0, 32], [GgmlType.Q8_0, 16]]],
  ["one weight", 64, [[GgmlType.Q8_0, 37]]],
];

describeNative("native matmulMany", () => {
  GROUPS.forEach(([name, cols, specs], gi) => {
    it(`${name}: bitwise the same as separate matmuls, every ISA, 1 or 3 threads, prepared or not`, () => {
      for (const isa of ISAS) {
        for (const threads of [3, 1]) {
          const be = nativeBackend(isa, threads);
          const plain = specs.map(([type, rows], i) => weight(type, rows, cols, 1000 * gi + i));
          const prepared = plain.map((w) => ({ ...w }));
          for (const w of prepared) be.prepareWeight(w);
          for (const numTokens of [1, 3, 37]) {
            const x = randomFloats(numTokens * cols, 31 * gi + numTokens, 2);
            for (const [label, ws] of [["plain", plain], ["prepared", prepared]] as const) {
              const want = ws.map((w) => {
                const out = new Float32Array(numTokens * w.rows);
                be.matmul(w, x, numTokens, out);
                return out;
              });
              const got = ws.map((w) => new Float32Array(numTokens * w.rows).fill(NaN));
              be.matmulMany!(ws, x, numTokens, got);
              ws.forEach((w, i) =>
                expectIdentical(got[i]!, want[i]!, `${isa} t=${threads} T=${numTokens} ${label} ${ggmlTypeName(w.type)} #${i}`),
              );
            }
          }
        }
      }
    });
  });

  it("each token's outputs are the same alone and in a batch (batch invariance holds through matmulMany)", () => {
    const cols = 256;
    const ws = [weight(GgmlType.Q8_0, 64, cols, 7), weight(GgmlType.Q8_0, 16, cols, 8), weight(GgmlType.Q4_K, 16, cols, 9)];
    const numTokens = 17;
    const x = randomFloats(numTokens * cols, 77, 2);
    for (const isa of ISAS) {
      const be = nativeBackend(isa);
      const batched = ws.map((w) => new Float32Array(numTokens * w.rows));
      be.matmulMany!(ws, x, numTokens, batched);
      for (let t = 0; t < numTokens; t++) {
        const alone = ws.map((w) => new Float32Array(w.rows));
        be.matmulMany!(ws, x.subarray(t * cols, (t + 1) * cols), 1, alone);
        ws.forEach((w, i) =>
          expectIdentical(alone[i]!, batched[i]!.subarray(t * w.rows, (t + 1) * w.rows), `${isa} token ${t} matrix ${i}`),
        );
      }
    }
  });

  it("rejects mismatched columns, short buffers, overlapping outputs and unsupported types", () => {
    const be = nativeBackend(ISAS[ISAS.length - 1]!);
    const a = weight(GgmlType.Q8_0, 4, 64, 1);
    const b = weight(GgmlType.Q8_0, 8, 64, 2);
    const x = new Float32Array(64 * 2);
    const outA = new Float32Array(4 * 2);
    const outB = new Float32Array(8 * 2);
    const shared = new Float32Array(12 * 2);
    const big = new Float32Array(256);
    expectEachToThrow([
      () => be.matmulMany!([a, weight(GgmlType.Q8_0, 4, 96, 3)], x, 2, [outA, outB]),
      () => be.matmulMany!([a, b], x, 2, [outA]),
      () => be.matmulMany!([a, b], x, 3, [outA, outB]),
      () => be.matmulMany!([a, b], x, 2, [outA, new Float32Array(15)]),
      () => be.matmulMany!([a, { ...b, rows: 9 }], x, 2, [outA, new Float32Array(18)]),
      () => be.matmulMany!([a, b], x, 2, [shared.subarray(0, 8), shared.subarray(4, 20)]),
      () => be.matmulMany!([a, { ...b, type: GgmlType.Q5_K }], x, 2, [outA, outB]),
      () => be.matmulMany!([a, b], big.subarray(0, 128), 2, [outA, big.subarray(120, 136)]), // out meets x
    ]);
    // outputs that only touch (adjacent subarrays of one buffer) are fine
    be.matmulMany!([a, b], x, 2, [shared.subarray(0, 8), shared.subarray(8, 24)]);
    be.matmulMany!([a, b], big.subarray(0, 128), 2, [outA, big.subarray(128, 144)]);
  });

  /** Gate/up pairs: [name, cols, rows, gate type, up type]; mixed types take the unfused path. */
  const PAIRS: Array<[string, number, number, GgmlType, GgmlType]> = [
    ["Q8_0", 256, 200, GgmlType.Q8_0, GgmlType.Q8_0],
    ["Q4_0", 64, 37, GgmlType.Q4_0, GgmlType.Q4_0],
    ["Q4_K", 512, 48, GgmlType.Q4_K, GgmlType.Q4_K],
    ["Q6_K", 256, 33, GgmlType.Q6_K, GgmlType.Q6_K],
    ["F32", 83, 29, GgmlType.F32, GgmlType.F32],
    ["F16 (long rows: several token chunks)", 8192, 24, GgmlType.F16, GgmlType.F16],
    ["BF16", 64, 40, GgmlType.BF16, GgmlType.BF16],
    ["Q4_K gate, Q6_K up", 256, 40, GgmlType.Q4_K, GgmlType.Q6_K],
  ];
  PAIRS.forEach(([name, cols, rows, gateType, upType], pi) => {
    it(`matmulSwiglu ${name}: bitwise matmul, matmul, swiglu, every ISA, 1 or 3 threads, prepared or not`, () => {
      for (const isa of ISAS) {
        for (const threads of [3, 1]) {
          const be = nativeBackend(isa, threads);
          const plain = [weight(gateType, rows, cols, 500 + pi), weight(upType, rows, cols, 600 + pi)] as const;
          const prepared = plain.map((w) => ({ ...w }));
          for (const w of prepared) be.prepareWeight(w);
          for (const numTokens of [1, 3, 37]) {
            const x = randomFloats(numTokens * cols, 17 * pi + numTokens, 2);
            for (const [label, [wg, wu]] of [["plain", plain], ["prepared", prepared]] as const) {
              const wantGate = new Float32Array(numTokens * rows);
              const wantUp = new Float32Array(numTokens * rows);
              be.matmul(wg!, x, numTokens, wantGate);
              be.matmul(wu!, x, numTokens, wantUp);
              be.swiglu(wantGate, wantUp, numTokens * rows);
              const gate = new Float32Array(numTokens * rows).fill(NaN);
              const up = new Float32Array(numTokens * rows).fill(NaN);
              be.matmulSwiglu!(wg!, wu!, x, numTokens, gate, up);
              const what = `${isa} t=${threads} T=${numTokens} ${label}`;
              expectIdentical(gate, wantGate, `${what} gate`);
              expectIdentical(up, wantUp, `${what} up`);
            }
          }
        }
      }
    });
  });

  it("matmulSwiglu rejects gate and up of different shapes or overlapping outputs", () => {
    const be = nativeBackend(ISAS[ISAS.length - 1]!);
    const g = weight(GgmlType.Q8_0, 8, 64, 1);
    const u = weight(GgmlType.Q8_0, 8, 64, 2);
    const x = new Float32Array(64);
    const buf = new Float32Array(16);
    expectEachToThrow([
      () => be.matmulSwiglu!(g, weight(GgmlType.Q8_0, 4, 64, 3), x, 1, new Float32Array(8), new Float32Array(8)),
      () => be.matmulSwiglu!(g, weight(GgmlType.Q8_0, 8, 96, 4), x, 1, new Float32Array(8), new Float32Array(8)),
      () => be.matmulSwiglu!(g, u, x, 1, buf.subarray(0, 8), buf.subarray(4, 12)),
    ]);
  });
});
