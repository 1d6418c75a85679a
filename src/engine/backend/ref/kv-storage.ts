import type { KvCacheShape, KvCacheStorage } from "../backend.js";

/**
 * K/V of every layer in plain typed arrays: layer l's K is `k[l]`, laid out
 * (numBlocks * blockSize slots, numKvHeads, headDim). f16 caches hold raw half bits.
 */
export interface RefKvStorage extends KvCacheStorage {
  readonly k: Array<Float32Array | Uint16Array>;
  readonly v: Array<Float32Array | Uint16Array>;
  /** numKvHeads * headDim */
  readonly kvDim: number;
}

export function allocRefKv(shape: KvCacheShape): RefKvStorage {
  const kvDim = shape.numKvHeads * shape.headDim;
  const n = shape.numBlocks * shape.blockSize * kvDim;
  const make = () => (shape.dtype === "f16" ? new Uint16Array(n) : new Float32Array(n));
  const k: Array<Float32Array | Uint16Array> = [];
  const v: Array<Float32Array | Uint16Array> = [];
  for (let l = 0; l < shape.numLayers; l++) {
    k.push(make());
    v.push(make());
  }
  const bytesPer = shape.dtype === "f16" ? 2 : 4;
  return { shape, k, v, kvDim, byteSize: 2 * shape.numLayers * n * bytesPer };
}
