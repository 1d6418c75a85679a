/**
 * Paged attention and K/V writes of the native backend against the reference, for a batch of
 * sequences of different lengths (a 17-token prefill, a 1-token decode at position 37, a 3-token
 * chunk after 9 cached tokens) whose K/V live in shuffled physical blocks; block sizes 5, 16 and
 * 32, head sizes 32, 64, 80 and 128, multi-head and grouped-query (3 and 4 query heads per KV head),
 * f16 and f32 caches.
 * Tolerances: cache contents after writeKv and copyBlocks are bitwise equal (same f16 rounding);
 * attention outputs within 2e-5 absolute (values in [-1, 1]; the reference accumulates in f64), and
 * bitwise the same for a sequence alone as in the batch, and for each token alone (a decode-sized
 * call, which reads an f16 cache in place) as in its chunk.
 */
import { it } from "vitest";
import type { AttentionBatch, BatchSequence, KvCacheShape, KvDtype } from "../../src/engine/backend/backend.js";
import { NativeKvStorage } from "../../src/engine/backend/native/index.js";
import type { RefKvStorage } from "../../src/engine/backend/ref/kv-storage.js";
import { RefBackend } from "../../src/engine/backend/ref/ref-backend.js";
import { describeNative, expectClose, expectEachToThrow, expectIdentical, ISAS, nativeBackend, randomFloats, rng } from "./helpers.js";

const ref = new RefBackend();

function batchOf(sequences: BatchSequence[], blockSize: number): AttentionBatch {
  const n = sequences.reduce((s, q) => s + q.numTokens, 0);
  const positions = new Int32Array(n);
  const slots = new Int32Array(n);
  for (const s of sequences)
    for (let t = 0; t < s.numTokens; t++) {
      const pos = s.numCachedTokens + t;
      positions[s.tokenStart + t] = pos;
      slots[s.tokenStart + t] = s.blockTable[Math.floor(pos / blockSize)]! * blockSize + (pos % blockSize);
    }
  return { sequences, positions, slots };
}

/** Sequences (cached, new tokens) with block tables drawn from a shuffled list of free blocks. */
function sequencesFor(shape: KvCacheShape, seed: number): { history: BatchSequence[]; step: BatchSequence[] } {
  const r = rng(seed);
  const free = Array.from({ length: shape.numBlocks }, (_, i) => i);
  for (let i = free.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [free[i], free[j]] = [free[j]!, free[i]!];
  }
  const lens: Array<[cached: number, fresh: number]> = [[0, 17], [37, 1], [9, 3]];
  const history: BatchSequence[] = [];
  const step: BatchSequence[] = [];
  let hStart = 0, sStart = 0;
  for (const [cached, fresh] of lens) {
    const blockTable = Int32Array.from({ length: Math.ceil((cached + fresh) / shape.blockSize) }, () => free.pop()!);
    if (cached > 0) history.push({ tokenStart: hStart, numTokens: cached, numCachedTokens: 0, blockTable, numLogits: 0 });
    hStart += cached;
    step.push({ tokenStart: sStart, numTokens: fresh, numCachedTokens: cached, blockTable, numLogits: 1 });
    sStart += fresh;
  }
  return { history, step };
}

function expectSameCache(native: NativeKvStorage, refKv: RefKvStorage, what: string): void {
  for (let l = 0; l < native.shape.numLayers; l++) {
    for (const which of ["k", "v"] as const) {
      const a = native.read(l, which);
      const b = which === "k" ? refKv.k[l]! : refKv.v[l]!;
      for (let i = 0; i < a.length; i++) {
        if (!Object.is(a[i], b[i])) throw new Error(`${what}: layer ${l} ${which}[${i}] ${a[i]} != ${b[i]}`);
      }
    }
  }
}

const CONFIGS: Array<{ numHeads: number; numKvHeads: number; headDim: number; blockSize: number; dtype: KvDtype }> = [
  { numHeads: 4, numKvHeads: 4, headDim: 32, blockSize: 5, dtype: "f16" },
  { numHeads: 6, numKvHeads: 2, headDim: 64, blockSize: 16, dtype: "f16" },
  { numHeads: 8, numKvHeads: 2, headDim: 80, blockSize: 5, dtype: "f32" },
  { numHeads: 3, numKvHeads: 1, headDim: 64, blockSize: 16, dtype: "f32" },
  { numHeads: 5, numKvHeads: 5, headDim: 80, blockSize: 16, dtype: "f16" },
  { numHeads: 8, numKvHeads: 2, headDim: 128, blockSize: 32, dtype: "f32" },
  { numHeads: 4, numKvHeads: 1, headDim: 32, blockSize: 16, dtype: "f16" },
];

describeNative("native paged attention", () => {
  for (const cfg of CONFIGS) {
    it(`${cfg.numHeads} heads / ${cfg.numKvHeads} KV heads, head size ${cfg.headDim}, block size ${cfg.blockSize}, ${cfg.dtype} cache`, () => {
      const shape: KvCacheShape = { numLayers: 2, numBlocks: 40, blockSize: cfg.blockSize, numKvHeads: cfg.numKvHeads, headDim: cfg.headDim, dtype: cfg.dtype };
      const kvDim = cfg.numKvHeads * cfg.headDim;
      const qDim = cfg.numHeads * cfg.headDim;
      const { history, step } = sequencesFor(shape, cfg.headDim + cfg.blockSize);
      const hBatch = batchOf(history, cfg.blockSize);
      const sBatch = batchOf(step, cfg.blockSize);
      const hk = randomFloats(hBatch.slots.length * kvDim, 1);
      const hv = randomFloats(hBatch.slots.length * kvDim, 2);
      const sk = randomFloats(sBatch.slots.length * kvDim, 3);
      const sv = randomFloats(sBatch.slots.length * kvDim, 4);
      const q = randomFloats(sBatch.slots.length * qDim, 5, 2);
      const scale = 1 / Math.sqrt(cfg.headDim);
      const layer = 1;

      const refKv = ref.allocKvCache(shape) as RefKvStorage;
      ref.writeKv(refKv, layer, hk, hv, hBatch);
      ref.writeKv(refKv, layer, sk, sv, sBatch);
      const want = new Float32Array(q.length);
      ref.attention(refKv, layer, q, cfg.numHeads, sBatch, scale, want);

      for (const isa of ISAS) {
        const be = nativeBackend(isa);
        const kv = be.allocKvCache(shape) as NativeKvStorage;
        be.writeKv(kv, layer, hk, hv, hBatch);
        be.writeKv(kv, layer, sk, sv, sBatch);
        expectSameCache(kv, refKv, `${isa} cache after writeKv`);
        const got = new Float32Array(q.length);
        be.attention(kv, layer, q, cfg.numHeads, sBatch, scale, got);
        expectClose(got, want, `${isa} attention`, { atol: 2e-5 });
        // batch invariance: each sequence alone gives bitwise the rows it got in the batch
        for (const seq of step) {
          const rows = [seq.tokenStart * qDim, (seq.tokenStart + seq.numTokens) * qDim] as const;
          const alone = new Float32Array(rows[1] - rows[0]);
          be.attention(kv, layer, q.subarray(...rows), cfg.numHeads, batchOf([{ ...seq, tokenStart: 0 }], cfg.blockSize), scale, alone);
          expectIdentical(alone, got.subarray(...rows), `${isa} sequence at ${seq.numCachedTokens} alone vs batched`);
          // each token as a one-token (decode) call: an f16 cache is then read in place, not
          // through an f32 copy, with bitwise the same result
          for (let t = 0; t < seq.numTokens; t++) {
            const row = [(seq.tokenStart + t) * qDim, (seq.tokenStart + t + 1) * qDim] as const;
            const one = new Float32Array(qDim);
            const single = { ...seq, tokenStart: 0, numTokens: 1, numCachedTokens: seq.numCachedTokens + t };
            be.attention(kv, layer, q.subarray(...row), cfg.numHeads, batchOf([single], cfg.blockSize), scale, one);
            expectIdentical(one, got.subarray(...row), `${isa} token at ${seq.numCachedTokens + t} alone vs in its chunk`);
          }
        }
      }
    });
  }

  it("copyBlocks copies whole blocks of every layer, like the reference", () => {
    const shape: KvCacheShape = { numLayers: 3, numBlocks: 9, blockSize: 5, numKvHeads: 2, headDim: 32, dtype: "f16" };
    const slots = Int32Array.from({ length: 45 }, (_, i) => i);
    const batch: AttentionBatch = { sequences: [], positions: slots, slots };
    const k = randomFloats(45 * 64, 11);
    const v = randomFloats(45 * 64, 12);
    const pairs: Array<[number, number]> = [[2, 7], [0, 3], [8, 1]];
    const refKv = ref.allocKvCache(shape) as RefKvStorage;
    for (let l = 0; l < 3; l++) ref.writeKv(refKv, l, k, v, batch);
    ref.copyBlocks(refKv, pairs);
    for (const isa of ISAS) {
      const be = nativeBackend(isa);
      const kv = be.allocKvCache(shape) as NativeKvStorage;
      for (let l = 0; l < 3; l++) be.writeKv(kv, l, k, v, batch);
      be.copyBlocks(kv, pairs);
      expectSameCache(kv, refKv, `${isa} after copyBlocks`);
    }
  });

  it("rejects block ids and slots outside the cache", () => {
    const be = nativeBackend(ISAS[ISAS.length - 1]!);
    const shape: KvCacheShape = { numLayers: 1, numBlocks: 2, blockSize: 4, numKvHeads: 1, headDim: 32, dtype: "f16" };
    const kv = be.allocKvCache(shape);
    const k = new Float32Array(32);
    expectEachToThrow([
      () => be.writeKv(kv, 0, k, k, { sequences: [], positions: Int32Array.of(0), slots: Int32Array.of(8) }),
      () => be.attention(kv, 0, k, 1, batchOf([{ tokenStart: 0, numTokens: 1, numCachedTokens: 0, blockTable: Int32Array.of(2), numLogits: 1 }], 4), 1, k),
      () => be.attention(kv, 0, k, 1, batchOf([{ tokenStart: 0, numTokens: 1, numCachedTokens: 4, blockTable: Int32Array.of(0), numLogits: 1 }], 4), 1, k),
      () => be.copyBlocks(kv, [[0, 2]]),
      () => be.attention(ref.allocKvCache(shape), 0, k, 1, batchOf([], 4), 1, k),
    ]);
  });
});
