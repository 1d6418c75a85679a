import { isSupportedWeightType } from "../../quant/index.js";
import { ggmlTypeName } from "../../quant/ggml-types.js";
import type { RopeConfig } from "../../model/config.js";
import type { AttentionBatch, Backend, KvCacheShape, KvCacheStorage, WeightMatrix } from "../backend.js";
import type { MatmulManyArg, NativeAddon, NativeContext, NativeIsa, NativePackedWeight, NativeRopeTable } from "./addon.js";
import { NativeKvStorage } from "./kv-storage.js";

/**
 * The C++ backend: SIMD kernels (chosen at run time from what the CPU reports) on a thread pool,
 * behind the same contract as the reference backend and tested op by op against it.
 * Weights stay in the buffers the model loader read them into and the addon reads them in place,
 * except where the kernels have a faster layout of their own (AMX machines: Q8_0): then
 * `prepareWeight` keeps a repacked native copy (as many bytes as the tensor, on top of the
 * original) unless `packWeights` is off. Quantized weights take integer dot products with
 * activations quantized per call to Q8_0 / Q8_K (as llama.cpp does); F32, F16 and BF16 weights
 * multiply f32 activations.
 */
export class NativeBackend implements Backend {
  readonly name: string;
  readonly isa: NativeIsa;
  readonly threads: number;
  /** Bytes of native memory held by repacked weights. */
  packedBytes = 0;
  /** Weights this backend repacked (a matrix prepared by another backend is read as it is). */
  private readonly packed = new WeakSet<NativePackedWeight>();
  private readonly ropeTables = new WeakMap<RopeConfig, NativeRopeTable>();
  private readonly packedBatches = new WeakMap<AttentionBatch, { seqs: Int32Array; blockTables: Int32Array }>();
  /**
   * Matmuls of one input in one native call (activations quantized once, one parallel job over
   * all their rows); absent when the addon predates it, so callers use `matmul` per weight.
   */
  readonly matmulMany?: (ws: readonly WeightMatrix[], x: Float32Array, numTokens: number, outs: readonly Float32Array[]) => void;
  /** Gate, up and SwiGLU in one native call (one parallel job); absent when the addon predates it. */
  readonly matmulSwiglu?: (wGate: WeightMatrix, wUp: WeightMatrix, x: Float32Array, numTokens: number, gate: Float32Array, up: Float32Array) => void;

  constructor(
    private readonly addon: NativeAddon,
    private readonly ctx: NativeContext,
    private readonly packWeights = true,
  ) {
    this.isa = ctx.isa;
    this.threads = ctx.threads;
    this.name = `native-${ctx.isa}`;
    const many = ctx.matmulMany?.bind(ctx);
    if (many) this.matmulMany = (ws, x, numTokens, outs) => this.callMany(many, ws, x, numTokens, outs);
    const swiglu = ctx.matmulSwiglu?.bind(ctx);
    if (swiglu) {
      this.matmulSwiglu = (wGate, wUp, x, numTokens, gate, up) => {
        if (wGate.rows !== wUp.rows) throw new RangeError(`matmulSwiglu: ${wGate.name} has ${wGate.rows} rows, ${wUp.name} ${wUp.rows}`);
        this.callMany(swiglu, [wGate, wUp], x, numTokens, [gate, up]);
      };
    }
  }

  /** Weights in huge pages: decode streams every weight once a token (native/src/huge_pages.h). */
  allocWeightBytes(byteSize: number): Buffer {
    return Buffer.from(this.addon.allocStreamed(byteSize), 0, byteSize);
  }

  prepareWeight(w: WeightMatrix): void {
    if (!isSupportedWeightType(w.type)) throw new Error(`tensor ${w.name}: type ${ggmlTypeName(w.type)} is not supported by the native backend`);
    if (!this.packWeights || this.ownPacked(w)) return; // tied embeddings are one matrix, prepared once
    const packed = this.ctx.prepare(w.type, w.data, w.rows, w.cols);
    if (packed) {
      this.packed.add(packed);
      w.prepared = packed;
      this.packedBytes += packed.byteSize;
    }
  }

  matmul(w: WeightMatrix, x: Float32Array, numTokens: number, out: Float32Array): void {
    this.ctx.matmul(w.type, w.data, w.rows, w.cols, x, numTokens, out, this.ownPacked(w));
  }

  /** A matmulMany-style addon call: (cols, x, numTokens, then 5 arguments per weight). */
  private callMany(
    many: NonNullable<NativeContext["matmulMany"]>,
    ws: readonly WeightMatrix[],
    x: Float32Array,
    numTokens: number,
    outs: readonly Float32Array[],
  ): void {
    if (ws.length !== outs.length) throw new RangeError(`${ws.length} weights but ${outs.length} outputs`);
    if (ws.length === 0) return;
    const cols = ws[0]!.cols;
    const args: MatmulManyArg[] = [];
    for (let i = 0; i < ws.length; i++) {
      const w = ws[i]!;
      if (w.cols !== cols) throw new RangeError(`${w.name} has ${w.cols} columns, ${ws[0]!.name} ${cols}`);
      args.push(w.type, w.data, w.rows, outs[i]!, this.ownPacked(w));
    }
    many(cols, x, numTokens, ...args);
  }

  private ownPacked(w: WeightMatrix): NativePackedWeight | undefined {
    const p = w.prepared;
    return p instanceof this.addon.PackedWeight && this.packed.has(p) ? p : undefined;
  }

  embed(w: WeightMatrix, tokens: Int32Array, out: Float32Array): void {
    this.ctx.embed(w.type, w.data, w.rows, w.cols, tokens, out);
  }

  rmsNorm(x: Float32Array, weight: Float32Array, numRows: number, dim: number, eps: number, out: Float32Array): void {
    this.ctx.rmsNorm(x, weight, numRows, dim, eps, out);
  }

  rope(x: Float32Array, positions: Int32Array, numHeads: number, headDim: number, rope: RopeConfig): void {
    this.ctx.rope(x, positions, numHeads, headDim, rope.dim, rope.style === "neox", this.ropeTable(rope));
  }

  swiglu(gate: Float32Array, up: Float32Array, n: number): void {
    this.ctx.swiglu(gate, up, n);
  }

  addBias(x: Float32Array, bias: Float32Array, numRows: number): void {
    this.ctx.addBias(x, bias, numRows);
  }

  add(a: Float32Array, b: Float32Array, n: number): void {
    this.ctx.add(a, b, n);
  }

  /** Row-wise softmax in place (numRows rows of n values); attention uses the same kernel. */
  softmax(x: Float32Array, numRows: number, n: number): void {
    this.ctx.softmax(x, numRows, n);
  }

  allocKvCache(shape: KvCacheShape): KvCacheStorage {
    return new NativeKvStorage(shape);
  }

  writeKv(cache: KvCacheStorage, layer: number, k: Float32Array, v: Float32Array, batch: AttentionBatch): void {
    const c = nativeKv(cache);
    this.ctx.writeKv(c.buffer, c.layout, layer, k, v, batch.slots);
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
    const c = nativeKv(cache);
    const packed = this.packBatch(batch);
    this.ctx.attention(c.buffer, c.layout, layer, q, numHeads, packed.seqs, packed.blockTables, scale, out);
  }

  copyBlocks(cache: KvCacheStorage, pairs: ReadonlyArray<readonly [src: number, dst: number]>): void {
    if (pairs.length === 0) return;
    const c = nativeKv(cache);
    const flat = new Int32Array(pairs.length * 2);
    pairs.forEach(([src, dst], i) => {
      flat[2 * i] = src;
      flat[2 * i + 1] = dst;
    });
    this.ctx.copyBlocks(c.buffer, c.layout, flat);
  }

  /** inv_freq[i] = freqScale * theta^(-2i/ropeDim) / freqFactors[i], in f64 as the reference has it. */
  private ropeTable(rope: RopeConfig): NativeRopeTable {
    let t = this.ropeTables.get(rope);
    if (!t) {
      const f = new Float64Array(rope.dim / 2);
      for (let i = 0; i < f.length; i++) {
        f[i] = (rope.freqScale * Math.pow(rope.theta, (-2 * i) / rope.dim)) / (rope.freqFactors ? rope.freqFactors[i]! : 1);
      }
      t = new this.addon.RopeTable(f);
      this.ropeTables.set(rope, t);
    }
    return t;
  }

  /** The batch's sequences as the addon takes them; every layer of a step shares one batch. */
  private packBatch(batch: AttentionBatch): { seqs: Int32Array; blockTables: Int32Array } {
    let p = this.packedBatches.get(batch);
    if (!p) {
      const seqs = new Int32Array(batch.sequences.length * 5);
      const blockTables = new Int32Array(batch.sequences.reduce((n, s) => n + s.blockTable.length, 0));
      let off = 0;
      batch.sequences.forEach((s, i) => {
        seqs.set([s.tokenStart, s.numTokens, s.numCachedTokens, off, s.blockTable.length], i * 5);
        blockTables.set(s.blockTable, off);
        off += s.blockTable.length;
      });
      p = { seqs, blockTables };
      this.packedBatches.set(batch, p);
    }
    return p;
  }
}

function nativeKv(cache: KvCacheStorage): NativeKvStorage {
  if (!(cache instanceof NativeKvStorage)) throw new TypeError("this KV cache was not allocated by the native backend");
  return cache;
}
