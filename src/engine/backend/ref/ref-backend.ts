import { dequantize, matmul as quantMatmul } from "../../quant/index.js";
import { f16ToF32, f32ToF16, roundToF16 } from "../../quant/half.js";
import { ggmlByteSize, GgmlType } from "../../quant/ggml-types.js";
import { ggmlVecDotType, roundActivationsLikeGgml } from "../../quant/activation-rounding.js";
import type { RopeConfig } from "../../model/config.js";
import type { AttentionBatch, Backend, KvCacheShape, KvCacheStorage, WeightMatrix } from "../backend.js";
import { allocRefKv, type RefKvStorage } from "./kv-storage.js";

/**
 * The reference backend: plain, readable TypeScript, single-threaded. It is the numeric oracle
 * every faster backend is tested against, so clarity wins over speed wherever they conflict.
 */
export interface RefBackendOptions {
  /**
   * "exact" (default): weights times f32 activations. "ggml": first round activations the way
   * llama.cpp's CPU backend does for each weight type (f16, bf16, Q8_0, Q8_K), to tell the
   * rounding llama.cpp does apart from real differences in tests.
   */
  readonly activations?: "exact" | "ggml";
}

export class RefBackend implements Backend {
  readonly name: string;
  private scores = new Float64Array(1024);
  private readonly invFreqCache = new WeakMap<RopeConfig, Float64Array>();
  private readonly ggmlActivations: boolean;
  private rounded = new Float32Array(0);

  constructor(options: RefBackendOptions = {}) {
    this.ggmlActivations = options.activations === "ggml";
    this.name = this.ggmlActivations ? "ref-ggml-activations" : "ref";
  }

  prepareWeight(_w: WeightMatrix): void {}

  matmul(w: WeightMatrix, x: Float32Array, numTokens: number, out: Float32Array): void {
    if (this.ggmlActivations && ggmlVecDotType(w.type) !== GgmlType.F32) {
      const n = numTokens * w.cols;
      if (this.rounded.length < n) this.rounded = new Float32Array(n);
      const xr = this.rounded.subarray(0, n);
      roundActivationsLikeGgml(w.type, x, numTokens, w.cols, xr);
      x = xr;
    }
    quantMatmul(w.type, w.data, w.rows, w.cols, x, numTokens, out);
  }

  embed(w: WeightMatrix, tokens: Int32Array, out: Float32Array): void {
    const rowBytes = ggmlByteSize(w.type, w.cols);
    for (let i = 0; i < tokens.length; i++) {
      const id = tokens[i]!;
      if (id < 0 || id >= w.rows) throw new RangeError(`token id ${id} outside the vocabulary (0..${w.rows - 1})`);
      dequantize(w.type, w.data, id * rowBytes, out, i * w.cols, w.cols);
    }
  }

  rmsNorm(x: Float32Array, weight: Float32Array, numRows: number, dim: number, eps: number, out: Float32Array): void {
    for (let r = 0; r < numRows; r++) {
      const o = r * dim;
      let sumSq = 0;
      for (let i = 0; i < dim; i++) sumSq += x[o + i]! * x[o + i]!;
      const scale = 1 / Math.sqrt(sumSq / dim + eps);
      for (let i = 0; i < dim; i++) out[o + i] = x[o + i]! * scale * weight[i]!;
    }
  }

  /** inv_freq[i] = freqScale * theta^(-2i/ropeDim) / freqFactors[i] */
  private invFreq(rope: RopeConfig): Float64Array {
    let f = this.invFreqCache.get(rope);
    if (!f) {
      f = new Float64Array(rope.dim / 2);
      for (let i = 0; i < f.length; i++) {
        f[i] = (rope.freqScale * Math.pow(rope.theta, (-2 * i) / rope.dim)) / (rope.freqFactors ? rope.freqFactors[i]! : 1);
      }
      this.invFreqCache.set(rope, f);
    }
    return f;
  }

  rope(x: Float32Array, positions: Int32Array, numHeads: number, headDim: number, rope: RopeConfig): void {
    const invFreq = this.invFreq(rope);
    const half = rope.dim / 2;
    // neox pairs (i, i + dim/2); norm pairs (2i, 2i + 1)
    const stride = rope.style === "neox" ? half : 1;
    const step = rope.style === "neox" ? 1 : 2;
    for (let t = 0; t < positions.length; t++) {
      const pos = positions[t]!;
      for (let i = 0; i < half; i++) {
        const angle = pos * invFreq[i]!;
        const cos = Math.cos(angle);
        const sin = Math.sin(angle);
        for (let h = 0; h < numHeads; h++) {
          const base = (t * numHeads + h) * headDim + i * step;
          const a = x[base]!;
          const b = x[base + stride]!;
          x[base] = a * cos - b * sin;
          x[base + stride] = a * sin + b * cos;
        }
      }
    }
  }

  swiglu(gate: Float32Array, up: Float32Array, n: number): void {
    for (let i = 0; i < n; i++) {
      const g = gate[i]!;
      gate[i] = (g / (1 + Math.exp(-g))) * up[i]!;
    }
  }

  addBias(x: Float32Array, bias: Float32Array, numRows: number): void {
    const n = bias.length;
    for (let r = 0; r < numRows; r++) for (let i = 0; i < n; i++) x[r * n + i] += bias[i]!;
  }

  add(a: Float32Array, b: Float32Array, n: number): void {
    for (let i = 0; i < n; i++) a[i] += b[i]!;
  }

  allocKvCache(shape: KvCacheShape): KvCacheStorage {
    return allocRefKv(shape);
  }

  writeKv(cache: KvCacheStorage, layer: number, k: Float32Array, v: Float32Array, batch: AttentionBatch): void {
    const c = cache as RefKvStorage;
    const kvDim = c.kvDim;
    const kDst = c.k[layer]!;
    const vDst = c.v[layer]!;
    for (let t = 0; t < batch.slots.length; t++) {
      const dst = batch.slots[t]! * kvDim;
      const src = t * kvDim;
      if (kDst instanceof Uint16Array) {
        for (let i = 0; i < kvDim; i++) {
          kDst[dst + i] = f32ToF16(k[src + i]!);
          (vDst as Uint16Array)[dst + i] = f32ToF16(v[src + i]!);
        }
      } else {
        kDst.set(k.subarray(src, src + kvDim), dst);
        (vDst as Float32Array).set(v.subarray(src, src + kvDim), dst);
      }
    }
  }

  attention(
    cache: KvCacheStorage,
    layer: number,
    q: Float32Array,
    numHeads: number,
    batch: AttentionBatch,
    scale: number,
    out: Float32Array,
  ): void {
    const c = cache as RefKvStorage;
    const { blockSize, headDim, numKvHeads } = c.shape;
    const kvDim = c.kvDim;
    const group = numHeads / numKvHeads;
    const kAll = c.k[layer]!;
    const vAll = c.v[layer]!;
    const half = kAll instanceof Uint16Array;
    // llama.cpp (no flash attention) multiplies an f16 cache by q and by the softmax rounded to f16.
    const roundHalf = this.ggmlActivations && half;
    const qRow = new Float32Array(headDim);
    const acc = new Float64Array(headDim);
    for (const seq of batch.sequences) {
      const contextLen = seq.numCachedTokens + seq.numTokens;
      if (this.scores.length < contextLen) this.scores = new Float64Array(contextLen * 2);
      const scores = this.scores;
      for (let t = 0; t < seq.numTokens; t++) {
        const row = seq.tokenStart + t;
        const pos = seq.numCachedTokens + t; // causal: attend to positions 0..pos
        for (let h = 0; h < numHeads; h++) {
          const qOff = (row * numHeads + h) * headDim;
          const kvOff = Math.floor(h / group) * headDim;
          for (let d = 0; d < headDim; d++) qRow[d] = roundHalf ? roundToF16(q[qOff + d]!) : q[qOff + d]!;
          // scores[j] = q · k_j * scale
          let max = -Infinity;
          for (let j = 0; j <= pos; j++) {
            const slot = seq.blockTable[Math.floor(j / blockSize)]! * blockSize + (j % blockSize);
            const kOff = slot * kvDim + kvOff;
            let s = 0;
            if (half) for (let d = 0; d < headDim; d++) s += qRow[d]! * f16ToF32(kAll[kOff + d]!);
            else for (let d = 0; d < headDim; d++) s += qRow[d]! * kAll[kOff + d]!;
            s *= scale;
            scores[j] = s;
            if (s > max) max = s;
          }
          // softmax, then out = Σ_j p_j v_j
          let sum = 0;
          for (let j = 0; j <= pos; j++) {
            const e = Math.exp(scores[j]! - max);
            scores[j] = e;
            sum += e;
          }
          acc.fill(0);
          for (let j = 0; j <= pos; j++) {
            const slot = seq.blockTable[Math.floor(j / blockSize)]! * blockSize + (j % blockSize);
            const vOff = slot * kvDim + kvOff;
            const p = roundHalf ? roundToF16(scores[j]! / sum) : scores[j]! / sum;
            if (half) for (let d = 0; d < headDim; d++) acc[d] += p * f16ToF32(vAll[vOff + d]!);
            else for (let d = 0; d < headDim; d++) acc[d] += p * vAll[vOff + d]!;
          }
          const oOff = (row * numHeads + h) * headDim;
          for (let d = 0; d < headDim; d++) out[oOff + d] = acc[d]!;
        }
      }
    }
  }

  copyBlocks(cache: KvCacheStorage, pairs: ReadonlyArray<readonly [number, number]>): void {
    const c = cache as RefKvStorage;
    const n = c.shape.blockSize * c.kvDim;
    for (const arr of [...c.k, ...c.v]) {
      for (const [src, dst] of pairs) arr.copyWithin(dst * n, src * n, (src + 1) * n);
    }
  }
}
