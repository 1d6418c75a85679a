import { z } from "zod";
import { MAX_LOGPROBS, type SamplingFields, samplingFields, type Usage, type WireFinishReason } from "./common.js";

/**
 * Content parts are parsed loosely so that a non-text part (image_url, input_audio, ...) is refused
 * with "not supported" rather than a confusing type error.
 */
export const ContentPartSchema = z.looseObject({ type: z.string(), text: z.string().optional() });

/**
 * Messages keep fields this schema does not name (tool_calls, reasoning_content, ...): chat
 * templates read them, as with vLLM, which passes messages through to the template.
 */
export const ChatMessageSchema = z.looseObject({
  role: z.enum(["system", "developer", "user", "assistant", "tool"]),
  content: z.union([z.string(), z.array(ContentPartSchema)]).nullish(),
  name: z.string().nullish(),
});

export const ChatCompletionRequestSchema = z.strictObject({
  ...samplingFields,
  messages: z.array(ChatMessageSchema).min(1),
  max_tokens: z.int().min(1).nullish(),
  max_completion_tokens: z.int().min(1).nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.int().min(0).max(MAX_LOGPROBS).nullish(),
  // OpenAI fields that are refused unless they ask for nothing this server lacks.
  tools: z.array(z.unknown()).nullish(),
  tool_choice: z.union([z.string(), z.record(z.string(), z.unknown())]).nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  response_format: z.looseObject({ type: z.string() }).nullish(),
  functions: z.array(z.unknown()).nullish(),
  function_call: z.unknown().optional(),
  modalities: z.array(z.string()).nullish(),
  audio: z.unknown().optional(),
  prediction: z.unknown().optional(),
  // OpenAI fields with no effect on generation here: accepted and ignored.
  store: z.boolean().nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  service_tier: z.string().nullish(),
  /** Passed to the chat template (reasoning models read it). */
  reasoning_effort: z.string().nullish(),
  // vLLM extensions.
  echo: z.boolean().nullish(),
  add_generation_prompt: z.boolean().nullish(),
  continue_final_message: z.boolean().nullish(),
  /** Default false: the chat template writes BOS itself. */
  add_special_tokens: z.boolean().nullish(),
  chat_template_kwargs: z.record(z.string(), z.unknown()).nullish(),
});

export type ChatMessage = z.output<typeof ChatMessageSchema>;
export type ChatCompletionRequest = z.output<typeof ChatCompletionRequestSchema> & SamplingFields;

export interface ChatTopLogprob {
  token: string;
  logprob: number;
  bytes: number[];
}

export interface ChatTokenLogprob extends ChatTopLogprob {
  top_logprobs: ChatTopLogprob[];
}

export interface ChatLogprobs {
  content: ChatTokenLogprob[];
}

export interface ChatCompletionChoice {
  index: number;
  message: { role: "assistant"; content: string; refusal: null };
  logprobs: ChatLogprobs | null;
  finish_reason: WireFinishReason | null;
}

export interface ChatCompletionResponse {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: ChatCompletionChoice[];
  usage: Usage;
}

export interface ChatCompletionChunkChoice {
  index: number;
  delta: { role?: "assistant"; content?: string };
  logprobs: ChatLogprobs | null;
  finish_reason: WireFinishReason | null;
}

export interface ChatCompletionChunk {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  choices: ChatCompletionChunkChoice[];
  usage?: Usage | null;
}
