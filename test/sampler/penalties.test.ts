import { describe, expect, it } from "vitest";
import { applyLogitBias, applyPenalties, PenaltyHistory } from "../../src/engine/sampler/index.js";
import { countDraws, sampler } from "./helpers.js";

function history(vocab: number, prompt: number[], output: number[], keepPrompt = true): PenaltyHistory {
  const h = new PenaltyHistory(vocab, prompt, keepPrompt);
  for (const t of output) h.recordOutput(t);
  return h;
}

describe("applyPenalties", () => {
  it("repetition divides positive and multiplies negative logits of seen tokens; frequency and presence subtract per output count", () => {
    const logits = Float32Array.of(2, -2, 1, 0, 3, 5);
    // prompt: tokens 0, 1; output: token 2 twice, token 4 once. Token 5 unseen.
    applyPenalties(logits, { repetitionPenalty: 2, frequencyPenalty: 0.5, presencePenalty: 0.25 }, history(6, [0, 1], [2, 2, 4]));
    expect(Array.from(logits)).toEqual([
      2 / 2, // prompt, positive: divided; no output => no frequency/presence
      -2 * 2, // prompt, negative: multiplied
      1 / 2 - 0.5 * 2 - 0.25, // output x2
      0, // unseen
      3 / 2 - 0.5 * 1 - 0.25, // output x1
      5, // unseen
    ]);
  });

  it("applies repetition once to a token seen in both prompt and output", () => {
    const logits = Float32Array.of(4, 4);
    applyPenalties(logits, { repetitionPenalty: 2, frequencyPenalty: 0, presencePenalty: 0 }, history(2, [0, 0, 0], [0, 0]));
    expect(Array.from(logits)).toEqual([2, 4]);
  });

  it("frequency and presence ignore prompt tokens (OpenAI); repetition < 1 boosts", () => {
    const logits = Float32Array.of(1, 1, -1);
    applyPenalties(logits, { repetitionPenalty: 0.5, frequencyPenalty: 1, presencePenalty: 1 }, history(3, [0, 2], []));
    expect(Array.from(logits)).toEqual([2, 1, -0.5]);
  });

  it("negative frequency/presence penalties encourage repetition", () => {
    const logits = Float32Array.of(0, 0);
    applyPenalties(logits, { repetitionPenalty: 1, frequencyPenalty: -1, presencePenalty: -0.5 }, history(2, [], [1, 1, 1]));
    expect(Array.from(logits)).toEqual([0, 3.5]);
  });

  it("keeps -Infinity masked", () => {
    const logits = Float32Array.of(-Infinity, 1);
    applyPenalties(logits, { repetitionPenalty: 1.5, frequencyPenalty: -2, presencePenalty: -2 }, history(2, [0], [0]));
    expect(logits[0]).toBe(-Infinity);
  });

  it("PenaltyHistory rejects output ids outside the vocabulary", () => {
    expect(() => history(3, [], [3])).toThrow(RangeError);
  });
});

describe("applyLogitBias", () => {
  it("adds each bias", () => {
    const logits = Float32Array.of(1, 2, 3);
    applyLogitBias(logits, new Map([[0, 0.5], [2, -Infinity]]));
    expect(Array.from(logits)).toEqual([1.5, 2, -Infinity]);
  });
});

describe("penalties and bias inside the sampler", () => {
  it("frequency penalty feeds back the sampler's own output (greedy alternates)", () => {
    const s = sampler({ temperature: 0, frequencyPenalty: 2 }, 2);
    const logits = Float32Array.of(1, 0.5);
    // 0 (1 vs .5) -> 1 (-1 vs .5) -> 0 (-1 vs -1.5) -> 1 (-3 vs -1.5) ...
    expect(Array.from({ length: 6 }, () => s.sample(logits).tokenId)).toEqual([0, 1, 0, 1, 0, 1]);
  });

  it("repetition penalty over the prompt changes the sampling distribution by the exact factor", () => {
    const logits = Float32Array.of(2, 2, -1, -1);
    const d = sampler({ repetitionPenalty: 1.5, seed: 1 }, 4, [1, 3]).distribution(logits);
    const p = new Map(d.map((e) => [e.tokenId, e.probability]));
    expect(p.get(0)! / p.get(1)!).toBeCloseTo(Math.exp(2 - 2 / 1.5), 6);
    expect(p.get(2)! / p.get(3)!).toBeCloseTo(Math.exp(-1 - -1.5), 6);
  });

  it("recordOutputToken counts for penalties like a sampled token", () => {
    const s = sampler({ temperature: 0, presencePenalty: 1 }, 2);
    s.recordOutputToken(0);
    expect(s.sample(Float32Array.of(1, 0.5)).tokenId).toBe(1);
  });

  it("applies logit bias before the repetition penalty (vLLM order)", () => {
    // Token 0 is in the prompt: (1 + 1) / 2 = 1 (bias first) rather than 1 / 2 + 1 = 1.5 (bias last).
    const d = sampler({ logitBias: new Map([[0, 1]]), repetitionPenalty: 2, seed: 1 }, 2, [0]).distribution(Float32Array.of(1, 0));
    expect(d[0]!.probability / d[1]!.probability).toBeCloseTo(Math.exp(1), 6);
  });

  it("bias -Infinity or -100 bans a token; +100 forces one", () => {
    const logits = Float32Array.of(5, 1, 0, -3);
    for (const ban of [-Infinity, -100]) {
      const s = sampler({ temperature: 1.5, seed: 4, logitBias: new Map([[0, ban]]) }, 4);
      expect(countDraws(s, logits, 2000).has(0)).toBe(false);
      expect(sampler({ temperature: 0, logitBias: new Map([[0, ban]]) }, 4).sample(logits).tokenId).toBe(1);
    }
    const forced = sampler({ temperature: 1.5, seed: 4, logitBias: new Map([[3, 100]]) }, 4);
    expect([...countDraws(forced, logits, 2000).keys()]).toEqual([3]);
    expect(sampler({ temperature: 0, logitBias: new Map([[3, 100]]) }, 4).sample(logits).tokenId).toBe(3);
  });
});
