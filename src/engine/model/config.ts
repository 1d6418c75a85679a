import type { GgufFile } from "./gguf/reader.js";

export const SUPPORTED_ARCHITECTURES = ["llama", "qwen2", "qwen3"] as const;
export type Architecture = (typeof SUPPORTED_ARCHITECTURES)[number];

/**
 * How RoPE pairs dimensions: `norm` rotates adjacent pairs (x[2i], x[2i+1]) as llama.cpp does for
 * `llama` (the GGUF converter permutes Q/K rows to make this equal to HF's rotate-half);
 * `neox` rotates (x[i], x[i + d/2]) as for Qwen.
 */
export type RopeStyle = "norm" | "neox";

export interface RopeConfig {
  readonly style: RopeStyle;
  /** Rotated dimensions per head (<= headDim). */
  readonly dim: number;
  readonly theta: number;
  /** Linear position scaling: positions are multiplied by this (1 / scaling factor). */
  readonly freqScale: number;
  /** Llama-3 style per-frequency divisors (`rope_freqs.weight`, ropeDim/2 entries), if present. */
  readonly freqFactors: Float32Array | null;
}

/** Everything about a model's shape the forward pass needs, read from GGUF metadata. */
export interface ModelConfig {
  readonly architecture: Architecture;
  readonly name: string;
  readonly dim: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly ffnDim: number;
  readonly vocabSize: number;
  readonly contextLength: number;
  readonly normEps: number;
  readonly rope: Omit<RopeConfig, "freqFactors">;
  /** Qwen2: Q/K/V projections carry biases. */
  readonly qkvBias: boolean;
  /** Qwen3: per-head RMSNorm on Q and K before RoPE. */
  readonly qkNorm: boolean;
}

export class ModelConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ModelConfigError";
  }
}

export function readModelConfig(file: GgufFile): ModelConfig {
  const arch = file.getString("general.architecture");
  if (arch === undefined) throw new ModelConfigError(`${file.path}: no general.architecture in metadata`);
  if (!(SUPPORTED_ARCHITECTURES as readonly string[]).includes(arch)) {
    throw new ModelConfigError(
      `unsupported model architecture '${arch}' (supported: ${SUPPORTED_ARCHITECTURES.join(", ")})`,
    );
  }
  const architecture = arch as Architecture;
  const need = (key: string): number => {
    const v = file.getNumber(`${arch}.${key}`);
    if (v === undefined) throw new ModelConfigError(`${file.path}: missing metadata ${arch}.${key}`);
    return v;
  };
  const opt = (key: string, fallback: number): number => file.getNumber(`${arch}.${key}`) ?? fallback;

  const dim = need("embedding_length");
  const numLayers = need("block_count");
  const numHeads = need("attention.head_count");
  const numKvHeads = opt("attention.head_count_kv", numHeads);
  const headDim = opt("attention.key_length", dim / numHeads);
  const valueDim = opt("attention.value_length", headDim);
  if (valueDim !== headDim) throw new ModelConfigError(`key length ${headDim} != value length ${valueDim} is not supported`);
  if (!Number.isInteger(headDim) || numHeads % numKvHeads !== 0) {
    throw new ModelConfigError(`bad attention shape: ${numHeads} heads, ${numKvHeads} KV heads, head size ${headDim}`);
  }
  const embd = file.tensor("token_embd.weight");
  const vocabSize = embd?.dims[1] ?? opt("vocab_size", file.getStringArray("tokenizer.ggml.tokens")?.length ?? 0);

  const scalingType = file.getString(`${arch}.rope.scaling.type`) ?? "none";
  let freqScale = 1;
  if (scalingType === "linear") {
    freqScale = 1 / opt("rope.scaling.factor", 1);
  } else if (scalingType !== "none") {
    throw new ModelConfigError(`RoPE scaling type '${scalingType}' is not supported (supported: none, linear, llama3 rope_freqs)`);
  }
  const ropeDim = opt("rope.dimension_count", headDim);
  return {
    architecture,
    name: file.getString("general.name") ?? arch,
    dim,
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    ffnDim: need("feed_forward_length"),
    vocabSize,
    contextLength: opt("context_length", 2048),
    normEps: opt("attention.layer_norm_rms_epsilon", 1e-5),
    rope: {
      style: architecture === "llama" ? "norm" : "neox",
      dim: ropeDim,
      theta: opt("rope.freq_base", 10000),
      freqScale,
    },
    qkvBias: architecture === "qwen2",
    qkNorm: architecture === "qwen3",
  };
}
