import { SamplingParamsError } from "./errors.js";

/**
 * Per-request sampling parameters, already validated and normalised (see validateSamplingParams).
 * Semantics follow vLLM's SamplingParams, which follows the OpenAI API; where the two differ we
 * follow vLLM and say so.
 */
export interface SamplingParams {
  /**
   * Divides the logits before softmax. 0 => greedy. vLLM: values in (0, 0.01) are raised to 0.01
   * (smaller ones overflow softmax); validation applies that clamp. No upper bound (OpenAI caps it
   * at 2; the HTTP layer may enforce that).
   */
  temperature: number;
  /** Keep only the k most likely tokens; 0 => disabled (-1 is accepted and normalised to 0, as vLLM). */
  topK: number;
  /** Nucleus: keep the smallest most-likely prefix with probability mass >= topP; 1 => disabled. In (0, 1]. */
  topP: number;
  /** Drop tokens whose probability is below minP * (max probability); 0 => disabled. In [0, 1]. */
  minP: number;
  /** vLLM/HF style, over prompt + output tokens: positive logits /= r, others *= r; 1 => disabled. > 0. */
  repetitionPenalty: number;
  /** OpenAI style: logit -= f * (count of the token in the output so far). In [-2, 2]; 0 => disabled. */
  frequencyPenalty: number;
  /** OpenAI style: logit -= p if the token occurs in the output so far. In [-2, 2]; 0 => disabled. */
  presencePenalty: number;
  /**
   * Token id -> additive bias, applied before everything else. Finite values in [-100, 100]
   * (OpenAI's range; vLLM's HTTP layer clamps to it instead of rejecting), or -Infinity for a hard ban.
   */
  logitBias?: ReadonlyMap<number, number>;
  /**
   * Makes random sampling reproducible. A safe integer (negative => its 64-bit two's complement).
   * Absent => the caller must supply one to SequenceSampler (see randomSeed()).
   */
  seed?: number;
  /** Report the chosen token's logprob plus this many top alternatives (0..MAX_LOGPROBS); undefined => none. */
  logprobs?: number;
}

/** OpenAI's top_logprobs maximum, also vLLM's default max_logprobs. */
export const MAX_LOGPROBS = 20;
/** vLLM's _MAX_TEMP: the smallest non-zero temperature; smaller positive ones are raised to it. */
export const MIN_NONZERO_TEMPERATURE = 0.01;
/** vLLM's _SAMPLING_EPS: temperatures below this are greedy. */
export const GREEDY_TEMPERATURE_EPS = 1e-5;
/** OpenAI's logit_bias range. */
export const MAX_ABS_LOGIT_BIAS = 100;
/** OpenAI's (and vLLM's) frequency/presence penalty range. */
export const MAX_ABS_OPENAI_PENALTY = 2;

/** vLLM / OpenAI defaults: plain temperature-1 sampling, every filter and penalty off. */
export const DEFAULT_SAMPLING: Readonly<SamplingParams> = Object.freeze({
  temperature: 1,
  topK: 0,
  topP: 1,
  minP: 0,
  repetitionPenalty: 1,
  frequencyPenalty: 0,
  presencePenalty: 0,
});

/** True when the parameters select argmax decoding (temperature ~0, or top-k 1). */
export function isGreedy(p: SamplingParams): boolean {
  return p.temperature < GREEDY_TEMPERATURE_EPS || p.topK === 1;
}

/**
 * Fills defaults, checks ranges and normalises conventions (topK -1 => 0, tiny temperatures => 0.01).
 * Throws SamplingParamsError naming the first bad field. Returns a fresh object (logitBias copied),
 * so later changes to the input do not leak into a running request. Idempotent.
 */
export function validateSamplingParams(p: Partial<SamplingParams>, vocabSize: number): SamplingParams {
  if (!Number.isSafeInteger(vocabSize) || vocabSize < 1) {
    throw new SamplingParamsError("vocabSize", `must be a positive integer, got ${vocabSize}`);
  }
  const temperature = num(p, "temperature");
  if (temperature < 0) throw bad("temperature", `must be >= 0, got ${temperature}`);
  if (temperature === Infinity) throw bad("temperature", "must be finite");

  let topK = num(p, "topK");
  if (!Number.isInteger(topK)) throw bad("topK", `must be an integer, got ${topK}`);
  if (topK < -1) throw bad("topK", `must be 0 or -1 (disabled) or >= 1, got ${topK}`);
  if (topK === -1 || topK >= vocabSize) topK = 0; // keeping the whole vocabulary is no filter

  const topP = num(p, "topP");
  if (!(topP > 0 && topP <= 1)) throw bad("topP", `must be in (0, 1], got ${topP}`);
  const minP = num(p, "minP");
  if (!(minP >= 0 && minP <= 1)) throw bad("minP", `must be in [0, 1], got ${minP}`);

  const repetitionPenalty = num(p, "repetitionPenalty");
  if (!(repetitionPenalty > 0) || repetitionPenalty === Infinity) {
    throw bad("repetitionPenalty", `must be finite and > 0, got ${repetitionPenalty}`);
  }
  const frequencyPenalty = num(p, "frequencyPenalty");
  if (!(Math.abs(frequencyPenalty) <= MAX_ABS_OPENAI_PENALTY)) {
    throw bad("frequencyPenalty", `must be in [-2, 2], got ${frequencyPenalty}`);
  }
  const presencePenalty = num(p, "presencePenalty");
  if (!(Math.abs(presencePenalty) <= MAX_ABS_OPENAI_PENALTY)) {
    throw bad("presencePenalty", `must be in [-2, 2], got ${presencePenalty}`);
  }

  const out: SamplingParams = {
    // vLLM: below _SAMPLING_EPS is greedy; (eps, 0.01) is raised to 0.01 to keep softmax finite.
    temperature:
      temperature < GREEDY_TEMPERATURE_EPS ? 0 : Math.max(temperature, MIN_NONZERO_TEMPERATURE),
    topK,
    topP,
    minP,
    repetitionPenalty,
    frequencyPenalty,
    presencePenalty,
  };

  if (p.logitBias !== undefined) {
    const bias = new Map<number, number>();
    for (const [tokenId, value] of p.logitBias) {
      if (!Number.isInteger(tokenId) || tokenId < 0 || tokenId >= vocabSize) {
        throw bad("logitBias", `token id ${tokenId} is not in [0, ${vocabSize})`);
      }
      const ok = value === -Infinity || Math.abs(value) <= MAX_ABS_LOGIT_BIAS;
      if (!ok) throw bad("logitBias", `bias for token ${tokenId} must be in [-100, 100] or -Infinity, got ${value}`);
      if (value !== 0) bias.set(tokenId, value);
    }
    if (bias.size === vocabSize && [...bias.values()].every((v) => v === -Infinity)) {
      throw bad("logitBias", "bans every token");
    }
    if (bias.size > 0) out.logitBias = bias;
  }
  if (p.seed !== undefined) {
    if (!Number.isSafeInteger(p.seed)) throw bad("seed", `must be a safe integer, got ${p.seed}`);
    out.seed = p.seed;
  }
  if (p.logprobs !== undefined) {
    const n = p.logprobs;
    if (!Number.isInteger(n) || n < 0 || n > MAX_LOGPROBS) {
      throw bad("logprobs", `must be an integer in [0, ${MAX_LOGPROBS}], got ${n}`);
    }
    out.logprobs = n;
  }
  return out;
}

type NumericField =
  | "temperature"
  | "topK"
  | "topP"
  | "minP"
  | "repetitionPenalty"
  | "frequencyPenalty"
  | "presencePenalty";

/** The field's value or its default; rejects non-numbers and NaN (every range check below assumes a number). */
function num(p: Partial<SamplingParams>, field: NumericField): number {
  const v: unknown = p[field] ?? DEFAULT_SAMPLING[field];
  if (typeof v !== "number" || Number.isNaN(v)) throw bad(field, `must be a number, got ${String(v)}`);
  return v;
}

function bad(field: keyof SamplingParams, message: string): SamplingParamsError {
  return new SamplingParamsError(field, message);
}
