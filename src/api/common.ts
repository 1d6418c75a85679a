import { z } from "zod";

/**
 * Request fields that completions and chat share. Every optional field also accepts `null`
 * (SDKs send null for "not set"). Types are checked here; ranges that the engine's sampler
 * defines (temperature >= 0, top_p in (0, 1], ...) are checked once, by the sampler, and mapped
 * back to the parameter name, so the two can never disagree.
 */

export const StreamOptions = z.strictObject({
  include_usage: z.boolean().nullish(),
  /** vLLM extension: usage on every chunk. */
  continuous_usage_stats: z.boolean().nullish(),
});

export const Stop = z.union([z.string(), z.array(z.string())]);

/** OpenAI's maximum for `top_logprobs` (and vLLM's default `max_logprobs`). */
export const MAX_LOGPROBS = 20;

/** OpenAI's maximum for `n`. */
export const MAX_N = 128;

export const samplingFields = {
  model: z.string().nullish(),
  n: z.int().min(1).max(MAX_N).nullish(),
  stream: z.boolean().nullish(),
  stream_options: StreamOptions.nullish(),
  stop: Stop.nullish(),
  temperature: z.number().nullish(),
  top_p: z.number().nullish(),
  frequency_penalty: z.number().nullish(),
  presence_penalty: z.number().nullish(),
  seed: z.int().nullish(),
  /** Token id (as a string key) -> bias; vLLM clamps values to [-100, 100]. */
  logit_bias: z.record(z.string(), z.number()).nullish(),
  /** Accepted and ignored, as OpenAI's end-user tag has no effect on generation. */
  user: z.string().nullish(),
  // vLLM extensions.
  top_k: z.int().nullish(),
  min_p: z.number().nullish(),
  repetition_penalty: z.number().nullish(),
  min_tokens: z.int().min(0).nullish(),
  ignore_eos: z.boolean().nullish(),
  stop_token_ids: z.array(z.int()).nullish(),
  skip_special_tokens: z.boolean().nullish(),
  /** Lower runs sooner; needs `--scheduling-policy priority` unless 0. */
  priority: z.int().nullish(),
  /** Requests with different salts never share prefix-cache blocks (tenant isolation). */
  cache_salt: z.string().min(1).nullish(),
};

export type StreamOptionsT = z.output<typeof StreamOptions>;

/** The shared fields as parsed; both request types extend this. */
export interface SamplingFields {
  model?: string | null;
  n?: number | null;
  stream?: boolean | null;
  stream_options?: StreamOptionsT | null;
  stop?: string | string[] | null;
  temperature?: number | null;
  top_p?: number | null;
  frequency_penalty?: number | null;
  presence_penalty?: number | null;
  seed?: number | null;
  logit_bias?: Record<string, number> | null;
  top_k?: number | null;
  min_p?: number | null;
  repetition_penalty?: number | null;
  min_tokens?: number | null;
  ignore_eos?: boolean | null;
  stop_token_ids?: number[] | null;
  skip_special_tokens?: boolean | null;
  priority?: number | null;
  cache_salt?: string | null;
}

/** `usage` of a response; `prompt_tokens_details.cached_tokens` counts prefix-cache hits. */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
}

/** Finish reasons on the wire ("abort" only when the server gave up on a request). */
export type WireFinishReason = "stop" | "length" | "abort";
