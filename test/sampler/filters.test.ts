import { describe, expect, it } from "vitest";
import type { SamplingParams } from "../../src/engine/sampler/index.js";
import { applyTopP, TOP_P_BINS } from "../../src/engine/sampler/top-p.js";
import { randomLogits, referenceDistribution, sampler, softmax, testRandom } from "./helpers.js";

/** The sampler's next-token distribution as id -> probability. */
function dist(params: Partial<SamplingParams>, logits: Float32Array): Map<number, number> {
  return new Map(sampler({ seed: 1, ...params }, logits.length).distribution(logits).map((e) => [e.tokenId, e.probability]));
}

function ids(m: Map<number, number>): number[] {
  return [...m.keys()].sort((a, b) => a - b);
}

function expectSameDistribution(actual: Map<number, number>, expected: Map<number, number>): void {
  expect(ids(actual)).toEqual(ids(expected));
  for (const [id, p] of expected) expect(actual.get(id)!).toBeCloseTo(p, 9);
}

/** Logits whose temperature-1 probabilities are exactly `probs` (up to float32 rounding). */
function logitsFor(probs: number[]): Float32Array {
  return Float32Array.from(probs.map(Math.log));
}

describe("top-k", () => {
  it("keeps exactly the k largest and renormalises over them", () => {
    const logits = Float32Array.of(1, 5, 3, 4.5, 2, 4);
    const d = dist({ topK: 3 }, logits);
    expect(ids(d)).toEqual([1, 3, 5]);
    const p = softmax([5, 4.5, 4]);
    expect(d.get(1)!).toBeCloseTo(p[0]!, 12);
    expect(d.get(3)!).toBeCloseTo(p[1]!, 12);
  });

  it("keeps every token tied with the k-th largest logit (vLLM/HF), so more than k can survive", () => {
    expect(ids(dist({ topK: 2 }, Float32Array.of(1, 3, 3, 3, 0)))).toEqual([1, 2, 3]);
    expect(ids(dist({ topK: 3 }, Float32Array.of(9, 3, 3, 3, 0)))).toEqual([0, 1, 2, 3]);
  });

  it("keeps only finite tokens when fewer than k are unmasked", () => {
    const logits = Float32Array.of(-Infinity, 2, -Infinity, 1, -Infinity, 0, -Infinity, -Infinity);
    expect(ids(dist({ topK: 5 }, logits))).toEqual([1, 3, 5]);
  });

  it("is unaffected by temperature in which tokens it keeps", () => {
    const logits = randomLogits(500, 3);
    expect(ids(dist({ topK: 17, temperature: 0.3 }, logits))).toEqual(ids(dist({ topK: 17, temperature: 1.7 }, logits)));
    expect(dist({ topK: 17 }, logits).size).toBe(17);
  });
});

describe("top-p", () => {
  const probs = [0.5, 0.2, 0.15, 0.1, 0.05];
  const logits = logitsFor(probs);

  it("keeps the smallest most-likely prefix whose mass reaches p", () => {
    expect(ids(dist({ topP: 0.45 }, logits))).toEqual([0]);
    expect(ids(dist({ topP: 0.65 }, logits))).toEqual([0, 1]);
    expect(ids(dist({ topP: 0.75 }, logits))).toEqual([0, 1, 2]);
    expect(ids(dist({ topP: 0.9 }, logits))).toEqual([0, 1, 2, 3]);
    expect(ids(dist({ topP: 0.99 }, logits))).toEqual([0, 1, 2, 3, 4]);
    const d = dist({ topP: 0.75 }, logits);
    expect(d.get(0)!).toBeCloseTo(0.5 / 0.85, 6);
  });

  it("keeps only the argmax for a tiny p", () => {
    expect(ids(dist({ topP: 1e-9 }, logits))).toEqual([0]);
    const big = randomLogits(3000, 8);
    expect(ids(dist({ topP: 1e-9 }, big))).toEqual([big.indexOf(Math.max(...big))]);
  });

  it("takes tied tokens at the boundary lowest id first", () => {
    // probabilities ~ [0.447, 0.164, 0.164, 0.164, 0.060]
    expect(ids(dist({ topP: 0.5 }, Float32Array.of(2, 1, 1, 1, 0)))).toEqual([0, 1]);
    expect(ids(dist({ topP: 0.7 }, Float32Array.of(2, 1, 1, 1, 0)))).toEqual([0, 1, 2]);
  });

  it("works on the top-k survivors, renormalised", () => {
    const l = logitsFor([0.4, 0.35, 0.25]);
    expect(ids(dist({ topP: 0.5 }, l))).toEqual([0, 1]); // 0.4 < 0.5
    expect(ids(dist({ topP: 0.5, topK: 2 }, l))).toEqual([0]); // 0.4 / 0.75 = 0.53 >= 0.5
  });

  it("works on temperature-scaled probabilities", () => {
    // At T = 1 the top token alone has mass 0.5; at T = 3 it has less than 0.45.
    expect(ids(dist({ topP: 0.45 }, logits))).toEqual([0]);
    expect(dist({ topP: 0.45, temperature: 3 }, logits).size).toBeGreaterThan(1);
  });
});

describe("min-p", () => {
  const logits = logitsFor([0.5, 0.2, 0.15, 0.1, 0.05]);

  it("drops tokens below minP * max probability", () => {
    expect(ids(dist({ minP: 0.25 }, logits))).toEqual([0, 1, 2]); // threshold 0.125
    expect(ids(dist({ minP: 0.35 }, logits))).toEqual([0, 1]); // threshold 0.175
    expect(ids(dist({ minP: 0.05 }, logits))).toEqual([0, 1, 2, 3, 4]);
  });

  it("minP 1 keeps the maximum and its ties", () => {
    expect(ids(dist({ minP: 1 }, Float32Array.of(1, 3, 2, 3)))).toEqual([1, 3]);
  });

  it("compares temperature-scaled probabilities (as vLLM)", () => {
    // Ratio p(token 2) / p(token 0) is 0.3 at T = 1 and 0.3^(1/2) = 0.55 at T = 2.
    expect(dist({ minP: 0.4 }, logits).has(2)).toBe(false);
    expect(dist({ minP: 0.4, temperature: 2 }, logits).has(2)).toBe(true);
  });
});

describe("filters against a brute-force reference", () => {
  const cases: Array<{ temperature: number; topK?: number; topP?: number; minP?: number }> = [
    { temperature: 1 },
    { temperature: 0.7, topK: 40 },
    { temperature: 1, topP: 0.9 },
    { temperature: 0.6, topP: 0.95, topK: 100 },
    { temperature: 1.3, minP: 0.05 },
    { temperature: 0.9, minP: 0.02, topP: 0.8 },
    { temperature: 1, topK: 300, topP: 0.5, minP: 0.001 },
    { temperature: 2, topP: 0.999 },
    { temperature: 1, topP: 0.3 },
  ];
  // spread 0.05 makes near-flat logits: thousands of candidates share one top-p bin.
  const inputs = [
    { vocab: 50, seed: 1, spread: 2 },
    { vocab: 4000, seed: 2, spread: 2 },
    { vocab: 4000, seed: 3, spread: 0.05 },
    { vocab: 20000, seed: 4, spread: 3 },
  ];
  for (const input of inputs) {
    for (const c of cases) {
      it(`vocab ${input.vocab} spread ${input.spread}: ${JSON.stringify(c)}`, () => {
        const logits = randomLogits(input.vocab, input.seed, input.spread);
        expectSameDistribution(dist(c, logits), referenceDistribution(logits, c));
      });
    }
  }
});

describe("applyTopP", () => {
  function scratch(n: number) {
    return { binMass: new Float64Array(TOP_P_BINS), order: new Int32Array(n), outIds: new Int32Array(n), outWeights: new Float64Array(n) };
  }

  it("matches a full sort on random weights spanning many octaves, with duplicates", () => {
    const rnd = testRandom(42);
    for (let trial = 0; trial < 30; trial++) {
      const n = 1 + Math.floor(rnd() * 3000);
      const ids = Int32Array.from({ length: n }, (_, i) => i * 3 + 1);
      // Quantised exponents produce exact ties; one weight is exactly 1 (the max), as the sampler guarantees.
      const weights = Float64Array.from({ length: n }, () => Math.exp(-Math.round(rnd() * 400) / 10));
      weights[Math.floor(rnd() * n)] = 1;
      const p = trial === 0 ? 1e-12 : rnd();
      const s = scratch(n);
      const kept = applyTopP(ids, weights, n, p, s);

      const total = weights.reduce((a, b) => a + b, 0);
      const order = Array.from({ length: n }, (_, j) => j).sort((a, b) => weights[b]! - weights[a]! || ids[a]! - ids[b]!);
      const expected: number[] = [];
      let mass = 0;
      for (const j of order) {
        expected.push(ids[j]!);
        mass += weights[j]!;
        if (mass >= p * total) break;
      }
      expect(Array.from(s.outIds.subarray(0, kept)).sort((a, b) => a - b)).toEqual(expected.sort((a, b) => a - b));
      // Weights travel with their ids.
      for (let t = 0; t < kept; t++) expect(s.outWeights[t]).toBe(weights[(s.outIds[t]! - 1) / 3]);
    }
  });

  it("does not modify its inputs", () => {
    const ids = Int32Array.of(5, 6, 7);
    const weights = Float64Array.of(0.2, 1, 0.5);
    applyTopP(ids, weights, 3, 0.5, scratch(3));
    expect(Array.from(ids)).toEqual([5, 6, 7]);
    expect(Array.from(weights)).toEqual([0.2, 1, 0.5]);
  });
});
