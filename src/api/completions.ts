import { z } from "zod";
import { MAX_LOGPROBS, type SamplingFields, samplingFields, type Usage, type WireFinishReason } from "./common.js";

/**
 * `POST /v1/completions` (OpenAI legacy completions, as vLLM serves it). Unknown fields are
 * rejected, as OpenAI does; `suffix` and `best_of` > n are parsed so they can be refused clearly.
 */
export const CompletionRequestSchema = z.strictObject({
  ...samplingFields,
  prompt: z.union([
    z.string(),
    z.array(z.string()).min(1),
    z.array(z.int()).min(1),
    z.array(z.array(z.int()).min(1)).min(1),
  ]),
  /** vLLM and OpenAI default to 16 for completions. 0 is allowed only with `echo`. */
  max_tokens: z.int().min(0).nullish(),
  echo: z.boolean().nullish(),
  logprobs: z.int().min(0).max(MAX_LOGPROBS).nullish(),
  suffix: z.string().nullish(),
  best_of: z.int().min(1).nullish(),
  /** vLLM extension: add BOS (and EOS) as the tokenizer asks; default true. */
  add_special_tokens: z.boolean().nullish(),
});

export type CompletionRequest = z.output<typeof CompletionRequestSchema> & SamplingFields;

export const DEFAULT_COMPLETION_MAX_TOKENS = 16;

/** OpenAI's completions logprobs: parallel arrays over the choice's tokens. */
export interface CompletionLogprobs {
  tokens: string[];
  token_logprobs: Array<number | null>;
  top_logprobs: Array<Record<string, number> | null>;
  text_offset: number[];
}

export interface CompletionChoice {
  index: number;
  text: string;
  logprobs: CompletionLogprobs | null;
  finish_reason: WireFinishReason | null;
}

export interface CompletionResponse {
  id: string;
  object: "text_completion";
  created: number;
  model: string;
  choices: CompletionChoice[];
  usage?: Usage | null;
}
