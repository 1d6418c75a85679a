import { describe, expect, it } from "vitest";
import { randomLogits, referenceDistribution, sampler } from "./helpers.js";

/** Qwen2-sized vocabulary: correctness only here; speed is measured elsewhere, never asserted. */
const V = 151_936;
const logits = randomLogits(V, 2024, 2.5);

function check(params: { temperature: number; topK?: number; topP?: number }): void {
  const s = sampler({ ...params, seed: 8 }, V);
  const actual = new Map(s.distribution(logits).map((e) => [e.tokenId, e.probability]));
  const expected = referenceDistribution(logits, params);
  expect([...actual.keys()].sort((a, b) => a - b)).toEqual([...expected.keys()].sort((a, b) => a - b));
  for (const [id, p] of expected) expect(actual.get(id)!).toBeCloseTo(p, 9);
  for (let i = 0; i < 50; i++) expect(expected.has(s.sample(logits).tokenId)).toBe(true);
}

describe(`vocabulary of ${V}`, () => {
  it("top-k 40 keeps the 40 largest", () => {
    check({ temperature: 0.8, topK: 40 });
  });
  it("top-p 0.9 keeps the reference nucleus", () => {
    check({ temperature: 1, topP: 0.9 });
  });
  it("greedy picks the argmax", () => {
    let best = 0;
    for (let i = 1; i < V; i++) if (logits[i]! > logits[best]!) best = i;
    expect(sampler({ temperature: 0 }, V).sample(logits).tokenId).toBe(best);
  });
});
