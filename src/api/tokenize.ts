import { z } from "zod";
import { ChatMessageSchema } from "./chat.js";

/** vLLM's `POST /tokenize`, completion form: `{"model","prompt","add_special_tokens"}`. */
export const TokenizeCompletionSchema = z.strictObject({
  model: z.string().nullish(),
  prompt: z.string(),
  add_special_tokens: z.boolean().nullish(),
  return_token_strs: z.boolean().nullish(),
});

/** vLLM's `POST /tokenize`, chat form: the prompt the chat template makes of `messages`. */
export const TokenizeChatSchema = z.strictObject({
  model: z.string().nullish(),
  messages: z.array(ChatMessageSchema).min(1),
  add_generation_prompt: z.boolean().nullish(),
  continue_final_message: z.boolean().nullish(),
  add_special_tokens: z.boolean().nullish(),
  chat_template_kwargs: z.record(z.string(), z.unknown()).nullish(),
  return_token_strs: z.boolean().nullish(),
});

export const DetokenizeSchema = z.strictObject({
  model: z.string().nullish(),
  tokens: z.array(z.int()),
});

export interface TokenizeResponse {
  count: number;
  max_model_len: number;
  tokens: number[];
  token_strs: string[] | null;
}

export interface DetokenizeResponse {
  prompt: string;
}
