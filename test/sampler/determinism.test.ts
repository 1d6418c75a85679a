import { describe, expect, it } from "vitest";
import { SamplerWorkspace, SamplingError, SequenceSampler, validateSamplingParams } from "../../src/engine/sampler/index.js";
import { randomLogits, sampler } from "./helpers.js";

const V = 1000;
/** A fixed sequence of per-step logits, as a model would produce them. */
const steps = Array.from({ length: 200 }, (_, i) => randomLogits(V, 1000 + i, 1.5));

function run(s: SequenceSampler): number[] {
  return steps.map((logits) => s.sample(logits).tokenId);
}

describe("greedy", () => {
  it("picks the argmax", () => {
    const logits = Float32Array.of(0.1, 2.5, -3, 2.4, 1);
    expect(sampler({ temperature: 0 }, 5).sample(logits).tokenId).toBe(1);
    expect(sampler({ topK: 1, seed: 3 }, 5).sample(logits).tokenId).toBe(1);
  });

  it("breaks ties toward the lowest token id", () => {
    const logits = Float32Array.of(1, 3, 0, 3, 3);
    expect(sampler({ temperature: 0 }, 5).sample(logits).tokenId).toBe(1);
    expect(sampler({ topK: 1, seed: 9 }, 5).sample(logits).tokenId).toBe(1);
  });

  it("ignores the seed and the RNG: any seed gives the argmax sequence", () => {
    const expected = steps.map((l) => l.indexOf(Math.max(...l)));
    expect(run(sampler({ temperature: 0 }, V))).toEqual(expected);
    expect(run(sampler({ temperature: 0, seed: 1 }, V))).toEqual(expected);
    expect(run(sampler({ temperature: 0, seed: 2, topP: 0.5, minP: 0.3 }, V))).toEqual(expected);
  });
});

describe("seeded sampling", () => {
  const params = { temperature: 1, seed: 1234 };

  it("same seed, same logits => same 200 tokens", () => {
    const a = run(sampler(params, V));
    const b = run(sampler(params, V));
    expect(a).toEqual(b);
    // Not degenerate: the draws actually vary.
    expect(new Set(a).size).toBeGreaterThan(10);
  });

  it("different seeds give different sequences", () => {
    const a = run(sampler(params, V));
    const b = run(sampler({ ...params, seed: 1235 }, V));
    const same = a.filter((t, i) => t === b[i]).length;
    expect(same).toBeLessThan(150);
  });

  it("a defaultSeed behaves exactly like params.seed", () => {
    const viaOption = new SequenceSampler(validateSamplingParams({ temperature: 1 }, V), V, [], { defaultSeed: 1234 });
    expect(run(viaOption)).toEqual(run(sampler(params, V)));
  });

  it("interleaving two samplers (sharing the workspace) changes neither sequence", () => {
    const aliceAlone = run(sampler(params, V));
    const bobParams = { temperature: 0.7, topP: 0.8, topK: 50, seed: 99 };
    const bobAlone = run(sampler(bobParams, V));

    const alice = sampler(params, V);
    const bob = sampler(bobParams, V);
    const aliceMixed: number[] = [];
    const bobMixed: number[] = [];
    steps.forEach((logits, i) => {
      // Bob sometimes takes extra steps on unrelated logits between Alice's.
      if (i % 3 === 0) sampler({ temperature: 1.3, seed: i }, V).sample(steps[(i * 7) % 200]!);
      bobMixed.push(bob.sample(logits).tokenId);
      aliceMixed.push(alice.sample(logits).tokenId);
    });
    expect(aliceMixed).toEqual(aliceAlone);
    expect(bobMixed).toEqual(bobAlone);
  });

  it("a private workspace gives the same tokens as the shared one", () => {
    const p = validateSamplingParams({ temperature: 0.9, topP: 0.9, seed: 5 }, V);
    const own = new SequenceSampler(p, V, [], { workspace: new SamplerWorkspace() });
    expect(run(own)).toEqual(run(new SequenceSampler(p, V, [])));
  });

  it("never modifies the caller's logits", () => {
    const logits = randomLogits(V, 77);
    const copy = logits.slice();
    const s = sampler(
      { temperature: 0.8, topP: 0.9, topK: 20, repetitionPenalty: 1.3, frequencyPenalty: 1, logitBias: new Map([[5, 50]]), seed: 1, logprobs: 5 },
      V,
      [1, 2, 3],
    );
    for (let i = 0; i < 5; i++) s.sample(logits);
    expect(logits).toEqual(copy);
  });
});

describe("bad logits", () => {
  it("rejects a wrong length, NaN, +Infinity, and all -Infinity", () => {
    const s = sampler({ seed: 1 }, 4);
    expect(() => s.sample(new Float32Array(3))).toThrow(SamplingError);
    expect(() => s.sample(Float32Array.of(0, Number.NaN, 0, 0))).toThrow(SamplingError);
    expect(() => s.sample(Float32Array.of(0, Infinity, 0, 0))).toThrow(SamplingError);
    expect(() => s.sample(new Float32Array(4).fill(-Infinity))).toThrow(SamplingError);
    expect(() => sampler({ temperature: 0 }, 4).sample(new Float32Array(4).fill(-Infinity))).toThrow(SamplingError);
  });

  it("never picks a -Infinity token", () => {
    const logits = Float32Array.of(-Infinity, 0, -Infinity, 0.5, -Infinity);
    const s = sampler({ seed: 3, temperature: 2 }, 5);
    for (let i = 0; i < 500; i++) expect([1, 3]).toContain(s.sample(logits).tokenId);
  });
});
