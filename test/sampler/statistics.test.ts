import { describe, expect, it } from "vitest";
import { chiSquare, chiSquareCritical, countDraws, referenceDistribution, sampler, softmax } from "./helpers.js";

/**
 * Empirical frequencies against the exact distribution. Seeds are fixed, so these are deterministic;
 * the thresholds are the 1e-4 upper tail of chi-square, so a correct sampler passes them with any seed.
 */
const DRAWS = 20_000;
const logits = Float32Array.of(2.0, 1.5, 1.0, 0.5, 0.0, -0.5, -1.0, 1.2, 0.3, -2.0);
const V = logits.length;

function expectMatches(counts: Map<number, number>, expected: Map<number, number>): void {
  for (const id of counts.keys()) expect(expected.has(id), `token ${id} drawn but not allowed`).toBe(true);
  const chi2 = chiSquare(counts, expected, DRAWS);
  expect(chi2).toBeLessThan(chiSquareCritical(expected.size - 1));
  // And per bin: no count more than 4.5 standard errors off.
  for (const [id, p] of expected) {
    const se = Math.sqrt(DRAWS * p * (1 - p));
    expect(Math.abs((counts.get(id) ?? 0) - DRAWS * p)).toBeLessThan(4.5 * se + 1e-9);
  }
}

function asMap(probs: number[]): Map<number, number> {
  return new Map(probs.map((p, i) => [i, p]));
}

describe("sampling frequencies", () => {
  it("temperature 1, no filters: frequencies match softmax(logits)", () => {
    const s = sampler({ temperature: 1, seed: 11 }, V);
    expectMatches(countDraws(s, logits, DRAWS), asMap(softmax(logits)));
  });

  it("temperature 0.5 sharpens to softmax(logits / 0.5)", () => {
    const s = sampler({ temperature: 0.5, seed: 12 }, V);
    const expected = softmax(logits, 0.5);
    expect(expected[0]!).toBeGreaterThan(softmax(logits)[0]!);
    const counts = countDraws(s, logits, DRAWS);
    expectMatches(counts, asMap(expected));
    // The argmax is drawn clearly more often than at temperature 1.
    expect(counts.get(0)! / DRAWS).toBeGreaterThan(softmax(logits)[0]! + 0.1);
  });

  it("temperature 2 flattens to softmax(logits / 2)", () => {
    const s = sampler({ temperature: 2, seed: 13 }, V);
    expectMatches(countDraws(s, logits, DRAWS), asMap(softmax(logits, 2)));
  });

  it("top-k 4 + top-p 0.8 + min-p 0.1 at temperature 0.8: draws follow the renormalised survivors", () => {
    const params = { temperature: 0.8, topK: 4, topP: 0.8, minP: 0.1 };
    const expected = referenceDistribution(logits, params);
    expect(expected.size).toBeGreaterThan(1);
    expect(expected.size).toBeLessThan(4);
    expectMatches(countDraws(sampler({ ...params, seed: 14 }, V), logits, DRAWS), expected);
  });

  it("distribution() agrees with the draws it describes", () => {
    const s = sampler({ temperature: 1.1, topP: 0.9, seed: 15 }, V);
    const dist = new Map(s.distribution(logits).map((e) => [e.tokenId, e.probability]));
    expectMatches(countDraws(s, logits, DRAWS), dist);
  });
});
