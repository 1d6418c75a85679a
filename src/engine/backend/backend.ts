import type { RopeConfig } from "../model/config.js";

/**
 * A weight matrix as stored in the model file: `rows` rows of `cols` elements each (ggml ne0 =
 * cols), in ggml type `type`. `data` holds exactly the tensor's bytes. A backend may keep its own
 * prepared copy in `prepared` (repacked, device memory ...).
 */
export interface WeightMatrix {
  readonly name: string;
  readonly type: number;
  readonly rows: number;
  readonly cols: number;
  readonly data: Uint8Array;
  prepared?: unknown;
}

export type KvDtype = "f32" | "f16";

export interface KvCacheShape {
  readonly numLayers: number;
  readonly numBlocks: number;
  /** Tokens per block. */
  readonly blockSize: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly dtype: KvDtype;
}

/**
 * Physical K/V storage for every layer, addressed by slot = block * blockSize + offset.
 * Which blocks a sequence owns is decided elsewhere (engine/kv); the storage only holds numbers.
 */
export interface KvCacheStorage {
  readonly shape: KvCacheShape;
  /** Bytes of K and V for all layers. */
  readonly byteSize: number;
}

/**
 * One sequence's part of a batched forward call. Its new tokens are rows
 * [tokenStart, tokenStart + numTokens) of the batch, at positions
 * [numCachedTokens, numCachedTokens + numTokens); positions below numCachedTokens already have
 * K/V in the cache, reached through `blockTable`.
 */
export interface BatchSequence {
  readonly tokenStart: number;
  readonly numTokens: number;
  readonly numCachedTokens: number;
  /** Physical block ids, one per `blockSize` positions, covering at least all positions written. */
  readonly blockTable: Int32Array;
  /** Logits are produced for this many of the sequence's last new tokens (0 .. numTokens). */
  readonly numLogits: number;
}

/** Per-token view of a batch, derived once per step and shared by every layer. */
export interface AttentionBatch {
  readonly sequences: readonly BatchSequence[];
  /** (numTokens) position of each new token within its sequence. */
  readonly positions: Int32Array;
  /** (numTokens) cache slot each new token's K/V is written to. */
  readonly slots: Int32Array;
}

/**
 * The numeric operations of the transformer forward pass. Activations are row-major Float32Arrays
 * of `numTokens` rows. The `ref` backend is plain TypeScript and is the numeric oracle; a native
 * backend implements the same contract and is tested op by op against it.
 */
export interface Backend {
  readonly name: string;
  /** Called once per weight at load time; may fill `w.prepared`. */
  prepareWeight(w: WeightMatrix): void;
  /**
   * Optional: a buffer of `byteSize` bytes (contents undefined) for a weight tensor the loader is
   * about to read, in memory this backend streams fastest (the native backend: huge pages).
   */
  allocWeightBytes?(byteSize: number): Buffer;
  /** out (numTokens, w.rows) = x (numTokens, w.cols) · wᵀ */
  matmul(w: WeightMatrix, x: Float32Array, numTokens: number, out: Float32Array): void;
  /**
   * Optional: several matmuls of one input in one call (Q/K/V, gate/up): outs[i] (numTokens,
   * ws[i].rows) = x (numTokens, cols) · ws[i]ᵀ, bit for bit what `matmul` gives for each. Every
   * weight has the same `cols`; the outputs overlap neither x nor each other. Callers fall back
   * to `matmul` per weight when a backend lacks it.
   */
  matmulMany?(ws: readonly WeightMatrix[], x: Float32Array, numTokens: number, outs: readonly Float32Array[]): void;
  /**
   * Optional: the feed-forward's gate and up in one call: gate (numTokens, wGate.rows) =
   * silu(x · wGateᵀ) * (x · wUpᵀ), up = x · wUpᵀ; bit for bit `matmul`, `matmul`, `swiglu`. The
   * weights have the same shape; gate and up overlap neither x nor each other.
   */
  matmulSwiglu?(wGate: WeightMatrix, wUp: WeightMatrix, x: Float32Array, numTokens: number, gate: Float32Array, up: Float32Array): void;
  /** out (tokens.length, w.cols) = rows of the embedding table */
  embed(w: WeightMatrix, tokens: Int32Array, out: Float32Array): void;
  /** out (numRows, dim) = x / rms(x) * weight, per row of `dim` elements */
  rmsNorm(x: Float32Array, weight: Float32Array, numRows: number, dim: number, eps: number, out: Float32Array): void;
  /** Rotates each head (numTokens, numHeads, headDim) of x in place by its token's position. */
  rope(x: Float32Array, positions: Int32Array, numHeads: number, headDim: number, rope: RopeConfig): void;
  /** gate (n) = silu(gate) * up, in place */
  swiglu(gate: Float32Array, up: Float32Array, n: number): void;
  /** x (rows, n) += bias (n) for each row */
  addBias(x: Float32Array, bias: Float32Array, numRows: number): void;
  /** a (n) += b (n) */
  add(a: Float32Array, b: Float32Array, n: number): void;

  allocKvCache(shape: KvCacheShape): KvCacheStorage;
  /** Writes k, v (numTokens, numKvHeads * headDim) of one layer into the cache at batch.slots. */
  writeKv(cache: KvCacheStorage, layer: number, k: Float32Array, v: Float32Array, batch: AttentionBatch): void;
  /**
   * Causal attention of each new token over its own sequence's cached K/V (through its block
   * table), positions 0 ..= its own. q (numTokens, numHeads, headDim) -> out (numTokens, numHeads * headDim).
   * K/V heads are shared by numHeads / numKvHeads query heads (GQA).
   */
  attention(
    cache: KvCacheStorage,
    layer: number,
    q: Float32Array,
    numHeads: number,
    batch: AttentionBatch,
    scale: number,
    out: Float32Array,
  ): void;
  /** Copies the K/V of whole blocks (copy-on-write of shared blocks). */
  copyBlocks(cache: KvCacheStorage, pairs: ReadonlyArray<readonly [src: number, dst: number]>): void;
}
