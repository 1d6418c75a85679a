import { dequantize, isSupportedWeightType } from "../quant/index.js";
import { ggmlTypeName } from "../quant/ggml-types.js";
import type { Backend, WeightMatrix } from "../backend/backend.js";
import type { ModelConfig } from "./config.js";
import type { GgufFile } from "./gguf/reader.js";
import type { GgufTensorInfo } from "./gguf/types.js";

export interface LayerWeights {
  readonly attnNorm: Float32Array; // (dim)
  readonly wq: WeightMatrix; // (numHeads * headDim, dim)
  readonly wk: WeightMatrix; // (numKvHeads * headDim, dim)
  readonly wv: WeightMatrix; // (numKvHeads * headDim, dim)
  readonly wo: WeightMatrix; // (dim, numHeads * headDim)
  readonly bq: Float32Array | null; // (numHeads * headDim)   qwen2
  readonly bk: Float32Array | null; // (numKvHeads * headDim)
  readonly bv: Float32Array | null; // (numKvHeads * headDim)
  readonly qNorm: Float32Array | null; // (headDim)   qwen3
  readonly kNorm: Float32Array | null; // (headDim)
  readonly ffnNorm: Float32Array; // (dim)
  readonly wGate: WeightMatrix; // (ffnDim, dim)
  readonly wUp: WeightMatrix; // (ffnDim, dim)
  readonly wDown: WeightMatrix; // (dim, ffnDim)
}

export interface ModelWeights {
  readonly tokenEmbd: WeightMatrix; // (vocab, dim)
  readonly outputNorm: Float32Array; // (dim)
  /** (vocab, dim); the same object as tokenEmbd when embeddings are tied. */
  readonly output: WeightMatrix;
  readonly layers: readonly LayerWeights[];
  /** Llama-3 RoPE frequency divisors (ropeDim / 2), or null. */
  readonly ropeFreqs: Float32Array | null;
  readonly byteSize: number;
}

export class ModelLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ModelLoadError";
  }
}

export interface LoadProgress {
  readonly loadedBytes: number;
  readonly totalBytes: number;
}

/**
 * Reads every tensor the architecture needs, checks its shape against the config, and hands
 * matrices to the backend to prepare. Each tensor is read once into a buffer of its own.
 */
export function loadWeights(
  file: GgufFile,
  config: ModelConfig,
  backend: Backend,
  onProgress?: (p: LoadProgress) => void,
): ModelWeights {
  const totalBytes = file.tensors.reduce((s, t) => s + t.byteSize, 0);
  let loadedBytes = 0;
  const info = (name: string, required: boolean): GgufTensorInfo | undefined => {
    const t = file.tensor(name);
    if (!t && required) throw new ModelLoadError(`${file.path}: missing tensor ${name}`);
    return t;
  };
  const read = (t: GgufTensorInfo): Buffer => {
    const data = backend.allocWeightBytes ? file.readTensor(t, (n) => backend.allocWeightBytes!(n)) : file.readTensor(t);
    loadedBytes += t.byteSize;
    onProgress?.({ loadedBytes, totalBytes });
    return data;
  };
  const expectDims = (t: GgufTensorInfo, dims: readonly number[]): void => {
    const actual = t.dims.filter((d, i) => i < dims.length || d !== 1);
    if (actual.length !== dims.length || actual.some((d, i) => d !== dims[i])) {
      throw new ModelLoadError(`${file.path}: tensor ${t.name} has shape [${t.dims}], expected [${dims}]`);
    }
  };
  const matrix = (name: string, rows: number, cols: number): WeightMatrix => {
    const t = info(name, true)!;
    expectDims(t, [cols, rows]);
    if (!isSupportedWeightType(t.type)) {
      throw new ModelLoadError(`${file.path}: tensor ${name} has type ${ggmlTypeName(t.type)}, which is not supported`);
    }
    const w: WeightMatrix = { name, type: t.type, rows, cols, data: read(t) };
    backend.prepareWeight(w);
    return w;
  };
  const vector = (name: string, n: number, required = true): Float32Array | null => {
    const t = info(name, required);
    if (!t) return null;
    expectDims(t, [n]);
    if (!isSupportedWeightType(t.type)) {
      throw new ModelLoadError(`${file.path}: tensor ${name} has type ${ggmlTypeName(t.type)}, which is not supported`);
    }
    const out = new Float32Array(n);
    dequantize(t.type, read(t), 0, out, 0, n);
    return out;
  };

  const { dim, numHeads, numKvHeads, headDim, ffnDim, vocabSize } = config;
  const qDim = numHeads * headDim;
  const kvDim = numKvHeads * headDim;
  const tokenEmbd = matrix("token_embd.weight", vocabSize, dim);
  const outputNorm = vector("output_norm.weight", dim)!;
  const output = file.tensor("output.weight") ? matrix("output.weight", vocabSize, dim) : tokenEmbd;
  const layers: LayerWeights[] = [];
  for (let l = 0; l < config.numLayers; l++) {
    const p = `blk.${l}.`;
    layers.push({
      attnNorm: vector(`${p}attn_norm.weight`, dim)!,
      wq: matrix(`${p}attn_q.weight`, qDim, dim),
      wk: matrix(`${p}attn_k.weight`, kvDim, dim),
      wv: matrix(`${p}attn_v.weight`, kvDim, dim),
      wo: matrix(`${p}attn_output.weight`, dim, qDim),
      bq: vector(`${p}attn_q.bias`, qDim, config.qkvBias),
      bk: vector(`${p}attn_k.bias`, kvDim, config.qkvBias),
      bv: vector(`${p}attn_v.bias`, kvDim, config.qkvBias),
      qNorm: vector(`${p}attn_q_norm.weight`, headDim, config.qkNorm),
      kNorm: vector(`${p}attn_k_norm.weight`, headDim, config.qkNorm),
      ffnNorm: vector(`${p}ffn_norm.weight`, dim)!,
      wGate: matrix(`${p}ffn_gate.weight`, ffnDim, dim),
      wUp: matrix(`${p}ffn_up.weight`, ffnDim, dim),
      wDown: matrix(`${p}ffn_down.weight`, dim, ffnDim),
    });
  }
  const ropeFreqs = vector("rope_freqs.weight", config.rope.dim / 2, false);
  return { tokenEmbd, outputNorm, output, layers, ropeFreqs, byteSize: loadedBytes };
}
