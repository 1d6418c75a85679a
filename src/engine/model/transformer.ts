import type { AttentionBatch, Backend, BatchSequence, KvCacheStorage, WeightMatrix } from "../backend/backend.js";
import type { ModelConfig, RopeConfig } from "./config.js";
import type { ModelWeights } from "./weights.js";

/** One batched forward call: the new tokens of several sequences, concatenated in order. */
export interface ForwardInput {
  /** (numTokens) token ids; sequence i owns rows [seq.tokenStart, seq.tokenStart + seq.numTokens). */
  readonly tokens: Int32Array;
  readonly sequences: readonly BatchSequence[];
}

/** Grow-only scratch buffers, so steady-state decoding allocates nothing per step. */
class Workspace {
  private readonly bufs = new Map<string, Float32Array>();
  get(name: string, n: number): Float32Array {
    let b = this.bufs.get(name);
    if (!b || b.length < n) {
      b = new Float32Array(Math.max(n, (b?.length ?? 0) * 2));
      this.bufs.set(name, b);
    }
    return b.subarray(0, n);
  }
}

/** outs[i] = x · ws[i]ᵀ: one backend call when the backend fuses matmuls of one input, else one each. */
function matmuls(be: Backend, ws: readonly WeightMatrix[], x: Float32Array, n: number, outs: readonly Float32Array[]): void {
  if (be.matmulMany) be.matmulMany(ws, x, n, outs);
  else for (let i = 0; i < ws.length; i++) be.matmul(ws[i]!, x, n, outs[i]!);
}

/**
 * The Llama-family decoder (llama, qwen2, qwen3) as one readable function of a batch.
 * Every sequence in the batch reads and writes K/V only through its own block table, so
 * prefill chunks and decodes of many sequences share one call.
 */
export class Transformer {
  private readonly ws = new Workspace();
  readonly rope: RopeConfig;
  /** Per layer, the weights that read the same normed input: [wq, wk, wv] and [wGate, wUp]. */
  private readonly qkv: ReadonlyArray<readonly WeightMatrix[]>;
  private readonly gateUp: ReadonlyArray<readonly WeightMatrix[]>;

  constructor(
    readonly config: ModelConfig,
    readonly weights: ModelWeights,
    readonly backend: Backend,
  ) {
    this.rope = { ...config.rope, freqFactors: weights.ropeFreqs };
    this.qkv = weights.layers.map((L) => [L.wq, L.wk, L.wv]);
    this.gateUp = weights.layers.map((L) => [L.wGate, L.wUp]);
  }

  /** Number of logits rows `forward` returns for this input. */
  static numLogitRows(input: ForwardInput): number {
    return input.sequences.reduce((s, q) => s + q.numLogits, 0);
  }

  /**
   * Runs all layers and returns logits (numLogitRows, vocabSize): for each sequence in order,
   * its last `numLogits` new tokens. K/V of the new tokens are written to `cache`.
   */
  forward(input: ForwardInput, cache: KvCacheStorage): Float32Array {
    const { config: c, weights: w, backend: be, ws } = this;
    const n = input.tokens.length;
    const batch = this.attentionBatch(input, cache.shape.blockSize);
    const qDim = c.numHeads * c.headDim;
    const kvDim = c.numKvHeads * c.headDim;
    const scale = 1 / Math.sqrt(c.headDim);

    const x = ws.get("x", n * c.dim); // (n, dim) residual stream
    const h = ws.get("h", n * c.dim); // (n, dim) normed input of a sub-layer
    const q = ws.get("q", n * qDim); // (n, numHeads, headDim)
    const k = ws.get("k", n * kvDim); // (n, numKvHeads, headDim)
    const v = ws.get("v", n * kvDim); // (n, numKvHeads, headDim)
    const att = ws.get("att", n * qDim); // (n, numHeads * headDim)
    const proj = ws.get("proj", n * c.dim); // (n, dim) sub-layer output
    const gate = ws.get("gate", n * c.ffnDim); // (n, ffnDim)
    const up = ws.get("up", n * c.ffnDim); // (n, ffnDim)
    const qkvOut = [q, k, v];
    const gateUpOut = [gate, up];

    be.embed(w.tokenEmbd, input.tokens, x);
    for (let l = 0; l < c.numLayers; l++) {
      const L = w.layers[l]!;
      // attention block
      be.rmsNorm(x, L.attnNorm, n, c.dim, c.normEps, h);
      matmuls(be, this.qkv[l]!, h, n, qkvOut);
      if (L.bq) be.addBias(q, L.bq, n);
      if (L.bk) be.addBias(k, L.bk, n);
      if (L.bv) be.addBias(v, L.bv, n);
      if (L.qNorm) be.rmsNorm(q, L.qNorm, n * c.numHeads, c.headDim, c.normEps, q);
      if (L.kNorm) be.rmsNorm(k, L.kNorm, n * c.numKvHeads, c.headDim, c.normEps, k);
      be.rope(q, batch.positions, c.numHeads, c.headDim, this.rope);
      be.rope(k, batch.positions, c.numKvHeads, c.headDim, this.rope);
      be.writeKv(cache, l, k, v, batch);
      be.attention(cache, l, q, c.numHeads, batch, scale, att);
      be.matmul(L.wo, att, n, proj);
      be.add(x, proj, n * c.dim);
      // feed-forward block: down(silu(gate(h)) * up(h))
      be.rmsNorm(x, L.ffnNorm, n, c.dim, c.normEps, h);
      if (be.matmulSwiglu) be.matmulSwiglu(L.wGate, L.wUp, h, n, gate, up);
      else {
        matmuls(be, this.gateUp[l]!, h, n, gateUpOut);
        be.swiglu(gate, up, n * c.ffnDim);
      }
      be.matmul(L.wDown, gate, n, proj);
      be.add(x, proj, n * c.dim);
    }

    // Only rows that need logits go through the output head.
    const numOut = Transformer.numLogitRows(input);
    const sel = ws.get("sel", numOut * c.dim); // (numOut, dim)
    let r = 0;
    for (const s of input.sequences) {
      for (let t = s.numTokens - s.numLogits; t < s.numTokens; t++) {
        const row = s.tokenStart + t;
        sel.set(x.subarray(row * c.dim, (row + 1) * c.dim), r++ * c.dim);
      }
    }
    be.rmsNorm(sel, w.outputNorm, numOut, c.dim, c.normEps, sel);
    const logits = new Float32Array(numOut * c.vocabSize); // returned to the caller: not a scratch buffer
    be.matmul(w.output, sel, numOut, logits);
    return logits;
  }

  /** Positions and cache slots of every new token, derived from the sequences' block tables. */
  private attentionBatch(input: ForwardInput, blockSize: number): AttentionBatch {
    const n = input.tokens.length;
    const positions = new Int32Array(n);
    const slots = new Int32Array(n);
    let expectedStart = 0;
    for (const s of input.sequences) {
      if (s.tokenStart !== expectedStart) throw new Error("batch sequences must cover the tokens in order");
      if (s.numLogits < 0 || s.numLogits > s.numTokens) throw new Error(`numLogits ${s.numLogits} outside 0..${s.numTokens}`);
      if (s.numCachedTokens + s.numTokens > this.config.contextLength) {
        throw new RangeError(`sequence of ${s.numCachedTokens + s.numTokens} tokens exceeds the context length ${this.config.contextLength}`);
      }
      for (let t = 0; t < s.numTokens; t++) {
        const pos = s.numCachedTokens + t;
        const block = s.blockTable[Math.floor(pos / blockSize)];
        if (block === undefined) throw new RangeError(`block table too short for position ${pos}`);
        positions[s.tokenStart + t] = pos;
        slots[s.tokenStart + t] = block * blockSize + (pos % blockSize);
      }
      expectedStart += s.numTokens;
    }
    if (expectedStart !== n) throw new Error(`sequences cover ${expectedStart} tokens, batch has ${n}`);
    return { sequences: input.sequences, positions, slots };
  }
}
