import { describe, expect, it } from "vitest";
import { computeLogprobs } from "../../src/engine/sampler/index.js";
import { randomLogits, sampler } from "./helpers.js";

/** log-softmax in float64, written out plainly. */
function logSoftmax(logits: ArrayLike<number>): number[] {
  const xs = Array.from(logits);
  const max = Math.max(...xs);
  const lse = max + Math.log(xs.reduce((s, x) => s + Math.exp(x - max), 0));
  return xs.map((x) => x - lse);
}

describe("logprobs", () => {
  const V = 2000;
  const logits = randomLogits(V, 21);
  const ref = logSoftmax(logits);
  const byRank = ref.map((lp, id) => ({ id, lp })).sort((a, b) => b.lp - a.lp || a.id - b.id);

  it("reports the chosen token's log-softmax of the RAW logits, ignoring temperature, penalties and bias", () => {
    const s = sampler({ temperature: 0.3, topK: 5, repetitionPenalty: 1.4, logitBias: new Map([[7, 30]]), seed: 2, logprobs: 3 }, V, [7, 8]);
    for (let i = 0; i < 20; i++) {
      const r = s.sample(logits);
      expect(r.logprob).toBeCloseTo(ref[r.tokenId]!, 10);
    }
  });

  it("top-N is the N most likely raw tokens, descending, and exp sums to ~1 over the vocabulary", () => {
    const r = sampler({ temperature: 0, logprobs: 20 }, V).sample(logits);
    expect(r.topLogprobs!.map((t) => t.tokenId)).toEqual(byRank.slice(0, 20).map((t) => t.id));
    r.topLogprobs!.forEach((t, i) => {
      expect(t.logprob).toBeCloseTo(ref[t.tokenId]!, 10);
      if (i > 0) expect(t.logprob).toBeLessThanOrEqual(r.topLogprobs![i - 1]!.logprob);
    });
    expect(r.rank).toBe(1);
    const all = computeLogprobs(logits, 0, 0);
    let total = 0;
    for (let id = 0; id < V; id++) total += Math.exp(computeLogprobs(logits, id, 0).logprob);
    expect(total).toBeCloseTo(1, 9);
    expect(all.topLogprobs).toEqual([]);
  });

  it("handles a chosen token outside the top-N and reports its rank", () => {
    // Force token 1234 with a bias: logprobs stay those of the raw logits.
    const forced = 1234;
    const r = sampler({ temperature: 0, logitBias: new Map([[forced, 100]]), logprobs: 2 }, V).sample(logits);
    expect(r.tokenId).toBe(forced);
    expect(r.topLogprobs!.map((t) => t.tokenId)).not.toContain(forced);
    expect(r.topLogprobs).toHaveLength(2);
    expect(r.rank).toBe(byRank.findIndex((t) => t.id === forced) + 1);
    expect(r.logprob).toBeCloseTo(ref[forced]!, 10);
  });

  it("rank counts tied tokens ahead of the chosen one (vLLM: number of logprobs >= chosen)", () => {
    const l = Float32Array.of(1, 3, 3, 0);
    expect(computeLogprobs(l, 1, 2).rank).toBe(2);
    expect(computeLogprobs(l, 2, 2).rank).toBe(2);
    expect(computeLogprobs(l, 0, 2).rank).toBe(3);
    // Ties in the top list: lower id first.
    expect(computeLogprobs(l, 0, 2).topLogprobs.map((t) => t.tokenId)).toEqual([1, 2]);
  });

  it("is stable for huge logits and reports -Infinity for masked tokens", () => {
    const l = Float32Array.of(3e38, 3e38 - 1e33, -Infinity, -3e38);
    const r = computeLogprobs(l, 0, 4);
    expect(Number.isFinite(r.logprob)).toBe(true);
    expect(r.logprob).toBeLessThanOrEqual(0);
    expect(r.topLogprobs.map((t) => t.tokenId)).toEqual([0, 1, 3, 2]);
    expect(r.topLogprobs[3]!.logprob).toBe(-Infinity);
  });

  it("logprobs 0 gives the chosen token only; undefined gives nothing", () => {
    const r0 = sampler({ temperature: 0, logprobs: 0 }, V).sample(logits);
    expect(r0.topLogprobs).toEqual([]);
    expect(r0.logprob).toBeCloseTo(ref[r0.tokenId]!, 10);
    expect(sampler({ temperature: 0 }, V).sample(logits)).toEqual({ tokenId: byRank[0]!.id });
  });

  it("asks for more alternatives than the vocabulary has: returns them all", () => {
    expect(computeLogprobs(Float32Array.of(0, 1), 1, 20).topLogprobs.map((t) => t.tokenId)).toEqual([1, 0]);
  });
});
