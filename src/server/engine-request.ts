import type { SamplingFields } from "../api/common.js";
import { contextLengthExceeded, invalidValue } from "../api/errors.js";
import type { EngineRequest } from "../engine/engine.js";
import { SamplingParamsError } from "../engine/sampler/errors.js";
import { MAX_ABS_LOGIT_BIAS, type SamplingParams, validateSamplingParams } from "../engine/sampler/params.js";
import type { ServerContext } from "./context.js";

/** Engine request fields shared by every choice of one HTTP request. */
export type SharedRequestFields = Omit<EngineRequest, "id" | "promptTokenIds" | "maxTokens">;

/** Wire names of the sampler's parameters, for error messages that name what the client sent. */
const WIRE_NAMES: Partial<Record<keyof SamplingParams, string>> = {
  temperature: "temperature",
  topK: "top_k",
  topP: "top_p",
  minP: "min_p",
  repetitionPenalty: "repetition_penalty",
  frequencyPenalty: "frequency_penalty",
  presencePenalty: "presence_penalty",
  logitBias: "logit_bias",
  seed: "seed",
};

/**
 * Turns the OpenAI/vLLM sampling fields into engine request fields, and checks them all (with the
 * sampler's own validation) before anything is queued. `logprobs` is the number of top
 * alternatives to report, or undefined for none; `logprobsParam` names it on the wire.
 */
export function sharedRequestFields(
  f: SamplingFields,
  ctx: ServerContext,
  logprobs: number | undefined,
  logprobsParam: string,
): SharedRequestFields {
  const vocabSize = ctx.model.config.vocabSize;
  const sampling: Partial<SamplingParams> = {};
  if (f.temperature != null) sampling.temperature = f.temperature;
  if (f.top_p != null) sampling.topP = f.top_p;
  if (f.top_k != null) sampling.topK = f.top_k;
  if (f.min_p != null) sampling.minP = f.min_p;
  if (f.repetition_penalty != null) sampling.repetitionPenalty = f.repetition_penalty;
  if (f.frequency_penalty != null) sampling.frequencyPenalty = f.frequency_penalty;
  if (f.presence_penalty != null) sampling.presencePenalty = f.presence_penalty;
  if (f.seed != null) sampling.seed = f.seed;
  if (logprobs !== undefined) sampling.logprobs = logprobs;
  if (f.logit_bias != null) sampling.logitBias = parseLogitBias(f.logit_bias);
  try {
    validateSamplingParams(sampling, vocabSize);
  } catch (e) {
    if (!(e instanceof SamplingParamsError)) throw e;
    const param = e.field === "logprobs" ? logprobsParam : (WIRE_NAMES[e.field as keyof SamplingParams] ?? e.field);
    throw invalidValue(param, `Invalid value for '${param}': ${e.message.slice(e.field.length + 2)}`);
  }

  const stopTokenIds = f.stop_token_ids ?? [];
  for (const id of stopTokenIds) {
    if (id < 0 || id >= vocabSize) throw invalidValue("stop_token_ids", `Invalid value for 'stop_token_ids': token id ${id} is not in [0, ${vocabSize}).`);
  }
  const priority = f.priority ?? 0;
  if (priority !== 0 && ctx.engine.config.policy !== "priority") {
    throw invalidValue("priority", "Invalid value for 'priority': priorities need the server to run with --scheduling-policy priority.");
  }
  const stop = f.stop == null ? [] : (typeof f.stop === "string" ? [f.stop] : f.stop).filter((s) => s !== "");
  return {
    sampling,
    stop,
    stopTokenIds,
    minTokens: f.min_tokens ?? 0,
    ignoreEos: f.ignore_eos ?? false,
    priority,
    ...(f.cache_salt != null ? { cacheSalt: f.cache_salt } : {}),
    skipSpecialTokens: f.skip_special_tokens ?? true,
  };
}

/**
 * Keys are token ids written as strings (JSON object keys); values are clamped to [-100, 100]
 * as vLLM does, rather than rejected.
 */
function parseLogitBias(bias: Record<string, number>): Map<number, number> {
  const out = new Map<number, number>();
  for (const [key, value] of Object.entries(bias)) {
    if (!/^\d+$/.test(key)) throw invalidValue("logit_bias", `Invalid value for 'logit_bias': key '${key.slice(0, 40)}' is not a token id.`);
    out.set(Number(key), Math.max(-MAX_ABS_LOGIT_BIAS, Math.min(MAX_ABS_LOGIT_BIAS, value)));
  }
  return out;
}

/**
 * The generation budget of one prompt: the requested max_tokens (which must fit in the context
 * with the prompt), or, when none was asked, everything the context has left.
 */
export function maxTokensFor(param: string, numPromptTokens: number, requested: number | null, maxModelLen: number): number {
  if (numPromptTokens >= maxModelLen) throw contextLengthExceeded(param, maxModelLen, numPromptTokens, null);
  if (requested === null) return maxModelLen - numPromptTokens;
  if (numPromptTokens + requested > maxModelLen) throw contextLengthExceeded(param, maxModelLen, numPromptTokens, requested);
  return requested;
}

/**
 * One engine request per choice, prompt-major (choice index = prompt index * n + j). With a seed,
 * sample j uses seed + j, as vLLM does, so the n samples differ and each is reproducible.
 */
export function choiceRequests(
  idPrefix: string,
  prompts: readonly { readonly tokenIds: readonly number[]; readonly maxTokens: number }[],
  n: number,
  shared: SharedRequestFields,
): EngineRequest[] {
  const out: EngineRequest[] = [];
  const seed = shared.sampling?.seed;
  for (const [p, prompt] of prompts.entries()) {
    for (let j = 0; j < n; j++) {
      const index = p * n + j;
      out.push({
        ...shared,
        id: `${idPrefix}-${index}`,
        promptTokenIds: prompt.tokenIds,
        maxTokens: prompt.maxTokens,
        sampling: seed === undefined || j === 0 ? shared.sampling : { ...shared.sampling, seed: wrapSeed(seed + j) },
      });
    }
  }
  return out;
}

function wrapSeed(s: number): number {
  return Number.isSafeInteger(s) ? s : s - 2 * Number.MAX_SAFE_INTEGER;
}
