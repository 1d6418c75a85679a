/**
 * Whole forward passes on small random-weight models (llama, GQA, 2 layers, dim 256) in F16,
 * Q8_0 and Q4_K, every ISA this CPU has: the logits of a 19-token prefill and of two decode steps
 * against the TypeScript reference (for quantized weights with matmul activations rounded to
 * Q8_0 / Q8_K as the kernels round them), and bitwise batch invariance: three sequences in one
 * forward give each the logits it gets alone, with weights prepared (repacked where the ISA does
 * that) or not.
 * Tolerances, per logits row, relative to its largest |logit|: F16 max 1e-4 (relative L2 1e-4);
 * Q8_0 / Q4_K max 2e-2 (relative L2 5e-2): a last-bit difference upstream can move an activation
 * across a rounding boundary of the next layer's Q8 quantization, which the tight per-op tests
 * (matmul.test.ts) rule out as the cause of anything larger. Seen: F16 <= 1.5e-5, Q8_0 <= 2.8e-3,
 * Q4_K <= 6.3e-3.
 */
import { afterAll, beforeAll, describe, it } from "vitest";
import { join } from "node:path";
import { RefBackend } from "../../src/engine/backend/ref/ref-backend.js";
import type { WeightMatrix } from "../../src/engine/backend/backend.js";
import { loadNativeBackend } from "../../src/engine/backend/native/index.js";
import { loadModel, type LoadedModel } from "../../src/engine/model/model.js";
import { writeRandomModel } from "../../src/engine/model/testing/random-model.js";
import { GgmlType, ggmlTypeName } from "../../src/engine/quant/ggml-types.js";
import { tempDir, VOCAB_DIR } from "../helpers/paths.js";
import { describeNative, expectIdentical, ISAS } from "./helpers.js";

const tmp = tempDir("flotilla-native-model-");
afterAll(() => tmp.cleanup());

/**
 * The reference with matmul activations rounded as llama.cpp (and the native kernels) round them,
 * and everything else exact: the native backend's numerics, computed in f64.
 */
class GgmlMatmulRef extends RefBackend {
  private readonly ggmlMatmul = new RefBackend({ activations: "ggml" });
  override matmul(w: WeightMatrix, x: Float32Array, numTokens: number, out: Float32Array): void {
    this.ggmlMatmul.matmul(w, x, numTokens, out);
  }
}

const PROMPT = [1, 450, 4996, 17354, 1701, 432, 17204, 975, 278, 17366, 11203, 29889, 13, 1576, 3367, 338, 263, 2217, 29871];

/** Logits of every prompt position, then of two decode steps (tokens 100 and 200). */
function logitsOf(model: LoadedModel): Float32Array[] {
  const { transformer, config } = model;
  const blockSize = 16;
  const table = Int32Array.of(3, 0, 2);
  const cache = transformer.backend.allocKvCache({ numLayers: config.numLayers, numBlocks: 4, blockSize, numKvHeads: config.numKvHeads, headDim: config.headDim, dtype: "f16" });
  const v = config.vocabSize;
  const out: Float32Array[] = [];
  const pre = transformer.forward({ tokens: Int32Array.from(PROMPT), sequences: [{ tokenStart: 0, numTokens: PROMPT.length, numCachedTokens: 0, blockTable: table, numLogits: PROMPT.length }] }, cache);
  for (let i = 0; i < PROMPT.length; i++) out.push(pre.slice(i * v, (i + 1) * v));
  [100, 200].forEach((tok, i) => {
    out.push(transformer.forward({ tokens: Int32Array.of(tok), sequences: [{ tokenStart: 0, numTokens: 1, numCachedTokens: PROMPT.length + i, blockTable: table, numLogits: 1 }] }, cache));
  });
  return out;
}

/** Three sequences of different lengths in one forward, and each alone: logits of their last 2 tokens. */
function batchedVsAlone(model: LoadedModel): { batched: Float32Array; alone: Float32Array[] } {
  const { transformer, config } = model;
  const seqs = [PROMPT.slice(0, 7), PROMPT.slice(3, 19), PROMPT.slice(0, 2)];
  const shape = { numLayers: config.numLayers, numBlocks: 8, blockSize: 4, numKvHeads: config.numKvHeads, headDim: config.headDim, dtype: "f16" as const };
  const tables = [Int32Array.of(7, 1), Int32Array.of(0, 6, 2, 5), Int32Array.of(3)];
  let start = 0;
  const sequences = seqs.map((s, i) => {
    const seq = { tokenStart: start, numTokens: s.length, numCachedTokens: 0, blockTable: tables[i]!, numLogits: 2 };
    start += s.length;
    return seq;
  });
  const batched = transformer.forward({ tokens: Int32Array.from(seqs.flat()), sequences }, transformer.backend.allocKvCache(shape));
  const alone = seqs.map((s, i) =>
    transformer.forward(
      { tokens: Int32Array.from(s), sequences: [{ tokenStart: 0, numTokens: s.length, numCachedTokens: 0, blockTable: tables[i]!, numLogits: 2 }] },
      transformer.backend.allocKvCache(shape),
    ),
  );
  return { batched, alone };
}

describeNative("native forward passes on random quantized models", () => {
  for (const type of [GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_K]) {
    describe(ggmlTypeName(type), () => {
      const path = join(tmp.dir, `random-${ggmlTypeName(type)}.gguf`);
      let want: Float32Array[] = [];
      beforeAll(() => {
        writeRandomModel(path, {
          architecture: "llama", dim: 256, numLayers: 2, numHeads: 4, numKvHeads: 2, ffnDim: 512, contextLength: 256,
          weightType: type, tiedEmbeddings: true, vocabFrom: join(VOCAB_DIR, "ggml-vocab-llama-spm.gguf"), seed: 7,
        });
        // quantized weights: compare with activations rounded as the kernels round them
        want = logitsOf(loadModel(path, { backend: type === GgmlType.F16 ? new RefBackend() : new GgmlMatmulRef() }));
      });

      for (const isa of ISAS) {
        it(`${isa}: logits match the reference; batched = alone; prepared = not`, () => {
          const packed = loadModel(path, { backend: loadNativeBackend({ isa, threads: 3 })! });
          const plain = loadModel(path, { backend: loadNativeBackend({ isa, threads: 2, packWeights: false })! });
          const got = logitsOf(packed);
          let worst = 0, worstRel = 0;
          got.forEach((row, i) => {
            const w = want[i]!;
            const scale = w.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
            let num = 0, den = 0;
            for (let j = 0; j < row.length; j++) {
              worst = Math.max(worst, Math.abs(row[j]! - w[j]!) / scale);
              num += (row[j]! - w[j]!) ** 2;
              den += w[j]! ** 2;
            }
            worstRel = Math.max(worstRel, Math.sqrt(num / den));
          });
          const tol = type === GgmlType.F16 ? { max: 1e-4, rel: 1e-4 } : { max: 2e-2, rel: 5e-2 };
          if (!(worst <= tol.max && worstRel <= tol.rel)) {
            throw new Error(`logits differ: max ${worst.toExponential(2)} of the row's largest, relative L2 ${worstRel.toExponential(2)} (tolerance ${tol.max}, ${tol.rel})`);
          }
          const plainLogits = logitsOf(plain);
          got.forEach((row, i) => expectIdentical(row, plainLogits[i]!, `row ${i}, packed vs plain weights`));
          const v = packed.config.vocabSize;
          const { batched, alone } = batchedVsAlone(packed);
          alone.forEach((a, s) => expectIdentical(batched.subarray(2 * s * v, 2 * (s + 1) * v), a, `sequence ${s} batched vs alone`));
        });
      }
    });
  }
});
