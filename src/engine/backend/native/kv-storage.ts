import type { KvCacheShape, KvCacheStorage } from "../backend.js";

/**
 * K/V of every layer in one ArrayBuffer the kernels read and write in place (native/src/kv_cache.h):
 * per layer a K plane, keys transposed within each block as (block, kvHead, headDim, blockSize), then
 * a V plane of (slot, kvHead, headDim) rows; f16 caches hold raw half bits. `layout` is the shape as
 * the addon takes it.
 */
export class NativeKvStorage implements KvCacheStorage {
  readonly byteSize: number;
  readonly buffer: ArrayBuffer;
  /** [numLayers, numBlocks, blockSize, numKvHeads, headDim, f16 ? 1 : 0] */
  readonly layout: Int32Array;

  constructor(readonly shape: KvCacheShape) {
    const { numLayers, numBlocks, blockSize, numKvHeads, headDim, dtype } = shape;
    for (const [name, v] of Object.entries({ numLayers, numBlocks, blockSize, numKvHeads, headDim })) {
      if (!Number.isInteger(v) || v <= 0 || v > 0x7fffffff) throw new RangeError(`KV cache ${name} must be a positive integer, got ${v}`);
    }
    const bytesPer = dtype === "f16" ? 2 : 4;
    this.byteSize = 2 * numLayers * numBlocks * blockSize * numKvHeads * headDim * bytesPer;
    this.buffer = new ArrayBuffer(this.byteSize);
    this.layout = Int32Array.of(numLayers, numBlocks, blockSize, numKvHeads, headDim, dtype === "f16" ? 1 : 0);
  }

  /**
   * A copy of layer `layer`'s K or V in the reference backend's order, (slot, kvHead, headDim)
   * (raw f16 bits for an f16 cache): for tests and debugging, not for the hot path.
   */
  read(layer: number, which: "k" | "v"): Float32Array | Uint16Array {
    const { numBlocks, blockSize, numKvHeads, headDim, dtype } = this.shape;
    const kvDim = numKvHeads * headDim;
    const n = numBlocks * blockSize * kvDim;
    const index = 2 * layer + (which === "k" ? 0 : 1);
    const plane = dtype === "f16" ? new Uint16Array(this.buffer, index * n * 2, n) : new Float32Array(this.buffer, index * n * 4, n);
    if (which === "v") return plane.slice();
    const out = dtype === "f16" ? new Uint16Array(n) : new Float32Array(n);
    for (let slot = 0; slot < numBlocks * blockSize; slot++) {
      const block = Math.floor(slot / blockSize);
      const offset = slot % blockSize;
      for (let h = 0; h < numKvHeads; h++)
        for (let d = 0; d < headDim; d++) out[slot * kvDim + h * headDim + d] = plane[((block * numKvHeads + h) * headDim + d) * blockSize + offset]!;
    }
    return out;
  }
}
