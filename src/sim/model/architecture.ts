/**
 * The shape of a transformer as the performance model needs it: what each token costs in FLOPs
 * and what each step reads from memory. No weights, no tokenizer.
 */
export interface ModelArchitecture {
  readonly name: string;
  readonly numLayers: number;
  /** Residual stream width (d_model). */
  readonly hiddenSize: number;
  readonly numHeads: number;
  /** Key/value heads (GQA: fewer than numHeads). */
  readonly numKvHeads: number;
  readonly headDim: number;
  /** Intermediate width of the feed-forward block. */
  readonly ffnDim: number;
  /** "gated": SwiGLU, three matrices (Llama, Qwen, Mistral); "plain": two matrices (BLOOM's GELU MLP). */
  readonly ffnKind: "gated" | "plain";
  readonly vocabSize: number;
  /** Context length the model was trained for (the engine's maxModelLen cap). */
  readonly contextLength: number;
  /** The output head shares the embedding matrix (counted once in weights). */
  readonly tiedEmbeddings: boolean;
  /** Total parameters as the model card states it; informational (costs use the shapes). */
  readonly documentedParams?: number;
  /** Bytes of the weights as stored (a GGUF's tensor bytes); absent: numParams x the run's weight dtype. */
  readonly weightBytes?: number;
}

/** Parameters of the matrices one layer multiplies every token by (attention projections + FFN). */
export function linearParamsPerLayer(m: ModelArchitecture): number {
  const qkv = m.hiddenSize * (m.numHeads + 2 * m.numKvHeads) * m.headDim;
  const out = m.numHeads * m.headDim * m.hiddenSize;
  const ffn = (m.ffnKind === "gated" ? 3 : 2) * m.hiddenSize * m.ffnDim;
  return qkv + out + ffn;
}

/** Parameters from the shapes: layers' matrices, embedding and (untied) output head; norms and biases are negligible and left out. */
export function numParams(m: ModelArchitecture): number {
  const embedding = m.vocabSize * m.hiddenSize;
  return m.numLayers * linearParamsPerLayer(m) + embedding * (m.tiedEmbeddings ? 1 : 2);
}

/** Bytes of K and V one token occupies across all layers, for `numKvHeadsPerGpu` heads. */
export function kvBytesPerToken(m: ModelArchitecture, kvDtypeBytes: number, numKvHeadsPerGpu = m.numKvHeads): number {
  return 2 * m.numLayers * numKvHeadsPerGpu * m.headDim * kvDtypeBytes;
}

/** KV heads each GPU holds under tensor parallelism: split when they divide, replicated when fewer than the GPUs. */
export function kvHeadsPerGpu(m: ModelArchitecture, tp: number): number {
  return Math.max(1, Math.ceil(m.numKvHeads / tp));
}
