import { invalidValue } from "../../api/errors.js";
import { DetokenizeSchema, type DetokenizeResponse, TokenizeChatSchema, TokenizeCompletionSchema, type TokenizeResponse } from "../../api/tokenize.js";
import { parseRequest } from "../../api/validation.js";
import { chatPrompt } from "../chat-prompt.js";
import type { ServerContext } from "../context.js";
import { tokenString } from "../logprobs.js";
import { resolveModelName } from "../request-common.js";
import { jsonResponse } from "../responses.js";

/**
 * vLLM's `POST /tokenize`: `{"prompt"}` tokenizes text as completions do; `{"messages"}` tokenizes
 * the prompt the chat template makes, as chat completions do.
 */
export function tokenize(body: unknown, ctx: ServerContext): Response {
  const isChat = typeof body === "object" && body !== null && "messages" in body;
  let tokens: number[];
  let returnStrs: boolean;
  if (isChat) {
    const req = parseRequest(TokenizeChatSchema, body);
    resolveModelName(ctx, req.model);
    const continueFinal = req.continue_final_message ?? false;
    tokens = chatPrompt(ctx, req.messages, {
      addGenerationPrompt: req.add_generation_prompt ?? !continueFinal,
      continueFinalMessage: continueFinal,
      addSpecialTokens: req.add_special_tokens ?? false,
      variables: req.chat_template_kwargs ?? {},
    }).tokenIds;
    returnStrs = req.return_token_strs ?? false;
  } else {
    const req = parseRequest(TokenizeCompletionSchema, body);
    resolveModelName(ctx, req.model);
    tokens = ctx.model.tokenizer.encode(req.prompt, { addSpecial: req.add_special_tokens ?? true, parseSpecial: true });
    returnStrs = req.return_token_strs ?? false;
  }
  const out: TokenizeResponse = {
    count: tokens.length,
    max_model_len: ctx.maxModelLen,
    tokens,
    token_strs: returnStrs ? tokens.map((t) => tokenString(ctx.model.tokenizer, t)) : null,
  };
  return jsonResponse(out);
}

/** vLLM's `POST /detokenize`: `{"tokens"}` -> `{"prompt"}`. */
export function detokenize(body: unknown, ctx: ServerContext): Response {
  const req = parseRequest(DetokenizeSchema, body);
  resolveModelName(ctx, req.model);
  const vocabSize = ctx.model.config.vocabSize;
  const bad = req.tokens.find((t) => t < 0 || t >= vocabSize);
  if (bad !== undefined) throw invalidValue("tokens", `Invalid value for 'tokens': token id ${bad} is not in [0, ${vocabSize}).`);
  const out: DetokenizeResponse = { prompt: ctx.model.tokenizer.decode(req.tokens) };
  return jsonResponse(out);
}
