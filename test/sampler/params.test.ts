import { describe, expect, it } from "vitest";
import {
  DEFAULT_SAMPLING,
  isGreedy,
  type SamplingParams,
  SamplingParamsError,
  SequenceSampler,
  validateSamplingParams,
} from "../../src/engine/sampler/index.js";

const V = 100;

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof SamplingParamsError) return e.field;
    throw e;
  }
  return undefined;
}

describe("validateSamplingParams", () => {
  it("fills vLLM/OpenAI defaults: temperature 1, every filter and penalty off", () => {
    const p = validateSamplingParams({}, V);
    expect(p).toEqual({ ...DEFAULT_SAMPLING });
    expect(p).toEqual({
      temperature: 1,
      topK: 0,
      topP: 1,
      minP: 0,
      repetitionPenalty: 1,
      frequencyPenalty: 0,
      presencePenalty: 0,
    });
    expect(isGreedy(p)).toBe(false);
  });

  it("normalises conventions: topK -1 and topK >= vocab => 0 (off); tiny temperatures as vLLM", () => {
    expect(validateSamplingParams({ topK: -1 }, V).topK).toBe(0);
    expect(validateSamplingParams({ topK: V }, V).topK).toBe(0);
    expect(validateSamplingParams({ topK: V - 1 }, V).topK).toBe(V - 1);
    expect(validateSamplingParams({ temperature: 1e-6 }, V).temperature).toBe(0);
    expect(validateSamplingParams({ temperature: 1e-3 }, V).temperature).toBe(0.01);
    expect(validateSamplingParams({ temperature: 0.7 }, V).temperature).toBe(0.7);
  });

  it("is greedy for temperature 0 or topK 1", () => {
    expect(isGreedy(validateSamplingParams({ temperature: 0 }, V))).toBe(true);
    expect(isGreedy(validateSamplingParams({ topK: 1 }, V))).toBe(true);
    expect(isGreedy(validateSamplingParams({ topK: 2 }, V))).toBe(false);
  });

  it("copies logitBias (later edits do not leak in) and drops zero entries", () => {
    const bias = new Map([
      [3, 5],
      [4, 0],
    ]);
    const p = validateSamplingParams({ logitBias: bias }, V);
    bias.set(3, -5);
    expect([...p.logitBias!]).toEqual([[3, 5]]);
  });

  it("is idempotent", () => {
    const p = validateSamplingParams({ temperature: 0.5, topK: -1, logitBias: new Map([[1, -Infinity]]), seed: -3, logprobs: 2 }, V);
    expect(validateSamplingParams(p, V)).toEqual(p);
  });

  const bad: Array<[Partial<SamplingParams>, keyof SamplingParams]> = [
    [{ temperature: -0.1 }, "temperature"],
    [{ temperature: Number.NaN }, "temperature"],
    [{ temperature: Infinity }, "temperature"],
    [{ topK: -2 }, "topK"],
    [{ topK: 2.5 }, "topK"],
    [{ topP: 0 }, "topP"],
    [{ topP: 1.01 }, "topP"],
    [{ topP: -0.5 }, "topP"],
    [{ minP: -0.01 }, "minP"],
    [{ minP: 1.5 }, "minP"],
    [{ repetitionPenalty: 0 }, "repetitionPenalty"],
    [{ repetitionPenalty: -1 }, "repetitionPenalty"],
    [{ frequencyPenalty: 2.5 }, "frequencyPenalty"],
    [{ presencePenalty: -2.01 }, "presencePenalty"],
    [{ logitBias: new Map([[V, 1]]) }, "logitBias"],
    [{ logitBias: new Map([[-1, 1]]) }, "logitBias"],
    [{ logitBias: new Map([[1.5, 1]]) }, "logitBias"],
    [{ logitBias: new Map([[1, 101]]) }, "logitBias"],
    [{ logitBias: new Map([[1, Infinity]]) }, "logitBias"],
    [{ logitBias: new Map([[1, Number.NaN]]) }, "logitBias"],
    [{ seed: 0.5 }, "seed"],
    [{ seed: 2 ** 60 }, "seed"],
    [{ logprobs: -1 }, "logprobs"],
    [{ logprobs: 21 }, "logprobs"],
    [{ logprobs: 1.5 }, "logprobs"],
  ];
  it.each(bad)("rejects %o naming field %s", (params, field) => {
    expect(fieldOf(() => validateSamplingParams(params, V))).toBe(field);
  });

  it("accepts the edges of every range", () => {
    const p = { temperature: 0, topK: 1, topP: 1, minP: 1, repetitionPenalty: 1e-3, frequencyPenalty: -2, presencePenalty: 2, logprobs: 20 };
    expect(() => validateSamplingParams(p, V)).not.toThrow();
    expect(() => validateSamplingParams({ topP: 1e-9, minP: 0, logitBias: new Map([[0, -100], [V - 1, 100], [5, -Infinity]]), logprobs: 0 }, V)).not.toThrow();
  });

  it("rejects a bias that bans every token, and a bad vocab size", () => {
    const all = new Map(Array.from({ length: 3 }, (_, i) => [i, -Infinity] as [number, number]));
    expect(fieldOf(() => validateSamplingParams({ logitBias: all }, 3))).toBe("logitBias");
    expect(fieldOf(() => validateSamplingParams({}, 0))).toBe("vocabSize");
  });
});

describe("SequenceSampler construction", () => {
  it("requires a seed for random sampling, not for greedy", () => {
    const random = validateSamplingParams({}, V);
    expect(fieldOf(() => new SequenceSampler(random, V, []))).toBe("seed");
    expect(() => new SequenceSampler(random, V, [], { defaultSeed: 1 })).not.toThrow();
    expect(() => new SequenceSampler({ ...random, seed: 1 }, V, [])).not.toThrow();
    expect(() => new SequenceSampler(validateSamplingParams({ temperature: 0 }, V), V, [])).not.toThrow();
  });

  it("rejects prompt token ids outside the vocabulary", () => {
    const p = validateSamplingParams({ temperature: 0, repetitionPenalty: 1.2 }, V);
    expect(fieldOf(() => new SequenceSampler(p, V, [1, V]))).toBe("promptTokenIds");
    expect(fieldOf(() => new SequenceSampler(p, V, Int32Array.of(-1)))).toBe("promptTokenIds");
  });

  it("validates params it is handed directly", () => {
    expect(fieldOf(() => new SequenceSampler({ ...DEFAULT_SAMPLING, topP: 2, seed: 1 }, V, []))).toBe("topP");
  });
});
