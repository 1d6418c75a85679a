import { mulberry32 } from "../../../util/mulberry32.js";
import { quantize } from "../../quant/index.js";
import { GgmlType } from "../../quant/ggml-types.js";
import { GgufFile } from "../gguf/reader.js";
import { type GgufValue, GgufValueType } from "../gguf/types.js";
import { gv, type GgufTensorSpec, writeGguf } from "../gguf/writer.js";
import type { Architecture } from "../config.js";

/** Shape and storage of a random-weight model written by `writeRandomModel`. */
export interface RandomModelSpec {
  readonly architecture: Architecture;
  readonly dim: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly ffnDim: number;
  /** Defaults to dim / numHeads. */
  readonly headDim?: number;
  readonly contextLength?: number;
  /** Type of the 2-D weight matrices (norms and biases are always F32). */
  readonly weightType: GgmlType;
  /** Type of token_embd; defaults to weightType. */
  readonly embeddingType?: GgmlType;
  /** Type of output.weight when untied; defaults to embeddingType. */
  readonly outputType?: GgmlType;
  /** No output.weight: the head reuses token_embd. */
  readonly tiedEmbeddings?: boolean;
  readonly ropeTheta?: number;
  /** Writes a Llama-3 style rope_freqs.weight with these per-frequency divisors. */
  readonly ropeFreqs?: readonly number[];
  readonly normEps?: number;
  /** A GGUF whose `tokenizer.*` metadata (a real vocabulary) is copied in. */
  readonly vocabFrom: string;
  readonly seed: number;
  readonly name?: string;
}

/** Normal deviates by Box-Muller over mulberry32: reproducible weights. */
function gaussian(seed: number): () => number {
  const uniform = mulberry32(seed);
  return () => {
    const u = Math.max(uniform(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
}

/**
 * Writes a model of any shape with random weights and a real tokenizer: the project's way to
 * make test and benchmark models (speed depends on shapes and types, not on what was learned).
 * Weights are scaled so activations stay O(1) and next-token distributions are far from uniform.
 */
export function writeRandomModel(path: string, spec: RandomModelSpec): void {
  const arch = spec.architecture;
  const headDim = spec.headDim ?? spec.dim / spec.numHeads;
  const vocabFile = GgufFile.open(spec.vocabFrom);
  const metadata = new Map<string, GgufValue>();
  metadata.set("general.architecture", gv.str(arch));
  metadata.set("general.name", gv.str(spec.name ?? `random-${arch}-${spec.dim}x${spec.numLayers}`));
  metadata.set("general.alignment", gv.u32(32));
  metadata.set(`${arch}.context_length`, gv.u32(spec.contextLength ?? 2048));
  metadata.set(`${arch}.embedding_length`, gv.u32(spec.dim));
  metadata.set(`${arch}.block_count`, gv.u32(spec.numLayers));
  metadata.set(`${arch}.feed_forward_length`, gv.u32(spec.ffnDim));
  metadata.set(`${arch}.attention.head_count`, gv.u32(spec.numHeads));
  metadata.set(`${arch}.attention.head_count_kv`, gv.u32(spec.numKvHeads));
  metadata.set(`${arch}.attention.key_length`, gv.u32(headDim));
  metadata.set(`${arch}.attention.value_length`, gv.u32(headDim));
  metadata.set(`${arch}.attention.layer_norm_rms_epsilon`, gv.f32(spec.normEps ?? 1e-5));
  metadata.set(`${arch}.rope.freq_base`, gv.f32(spec.ropeTheta ?? 10000));
  metadata.set(`${arch}.rope.dimension_count`, gv.u32(headDim));
  let vocabSize = 0;
  for (const [k, v] of vocabFile.metadata) {
    if (!k.startsWith("tokenizer.")) continue;
    metadata.set(k, v);
    if (k === "tokenizer.ggml.tokens" && v.type === GgufValueType.ARRAY) vocabSize = v.value.length;
  }
  vocabFile.close();
  if (vocabSize === 0) throw new Error(`${spec.vocabFrom} has no tokenizer.ggml.tokens`);
  metadata.set(`${arch}.vocab_size`, gv.u32(vocabSize));

  const randn = gaussian(spec.seed);
  const tensors: GgufTensorSpec[] = [];
  const f32 = (a: Float32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  /** A (rows, cols) matrix with entries ~ N(0, gain^2 / cols). */
  const matrix = (name: string, rows: number, cols: number, type: GgmlType, gain = 1): void => {
    const a = new Float32Array(rows * cols);
    const std = gain / Math.sqrt(cols);
    for (let i = 0; i < a.length; i++) a[i] = randn() * std;
    tensors.push({ name, dims: [cols, rows], type, data: type === GgmlType.F32 ? f32(a) : quantize(type, a) });
  };
  const vector = (name: string, n: number, mean: number, std: number): void => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = mean + randn() * std;
    tensors.push({ name, dims: [n], type: GgmlType.F32, data: f32(a) });
  };

  const embType = spec.embeddingType ?? spec.weightType;
  const qDim = spec.numHeads * headDim;
  const kvDim = spec.numKvHeads * headDim;
  // Embedding rows ~ N(0, 1): the first RMSNorm sees unit-scale inputs.
  matrix("token_embd.weight", vocabSize, spec.dim, embType, Math.sqrt(spec.dim));
  vector("output_norm.weight", spec.dim, 1, 0.1);
  if (!spec.tiedEmbeddings) matrix("output.weight", vocabSize, spec.dim, spec.outputType ?? embType, 3);
  if (spec.ropeFreqs) {
    tensors.push({ name: "rope_freqs.weight", dims: [spec.ropeFreqs.length], type: GgmlType.F32, data: f32(Float32Array.from(spec.ropeFreqs)) });
  }
  for (let l = 0; l < spec.numLayers; l++) {
    const p = `blk.${l}.`;
    vector(`${p}attn_norm.weight`, spec.dim, 1, 0.1);
    matrix(`${p}attn_q.weight`, qDim, spec.dim, spec.weightType, 2);
    matrix(`${p}attn_k.weight`, kvDim, spec.dim, spec.weightType, 2);
    matrix(`${p}attn_v.weight`, kvDim, spec.dim, spec.weightType);
    if (arch === "qwen2") {
      vector(`${p}attn_q.bias`, qDim, 0, 0.5);
      vector(`${p}attn_k.bias`, kvDim, 0, 0.5);
      vector(`${p}attn_v.bias`, kvDim, 0, 0.5);
    }
    if (arch === "qwen3") {
      vector(`${p}attn_q_norm.weight`, headDim, 1, 0.2);
      vector(`${p}attn_k_norm.weight`, headDim, 1, 0.2);
    }
    matrix(`${p}attn_output.weight`, spec.dim, qDim, spec.weightType, 0.5);
    vector(`${p}ffn_norm.weight`, spec.dim, 1, 0.1);
    matrix(`${p}ffn_gate.weight`, spec.ffnDim, spec.dim, spec.weightType, 1.5);
    matrix(`${p}ffn_up.weight`, spec.ffnDim, spec.dim, spec.weightType, 1.5);
    matrix(`${p}ffn_down.weight`, spec.dim, spec.ffnDim, spec.weightType, 0.5);
  }
  writeGguf(path, { metadata, tensors });
}
