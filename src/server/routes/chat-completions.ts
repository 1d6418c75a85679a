import { randomUUID } from "node:crypto";
import {
  type ChatCompletionChoice,
  type ChatCompletionChunk,
  type ChatCompletionRequest,
  ChatCompletionRequestSchema,
  type ChatCompletionResponse,
} from "../../api/chat.js";
import { type ApiError, invalidValue, unsupported } from "../../api/errors.js";
import { parseRequest } from "../../api/validation.js";
import { admit } from "../admission.js";
import { chatPrompt } from "../chat-prompt.js";
import { ChoiceRun } from "../choice-run.js";
import type { ServerContext } from "../context.js";
import { choiceRequests, maxTokensFor, sharedRequestFields } from "../engine-request.js";
import { chatLogprobs } from "../logprobs.js";
import { abortError, nowSeconds, resolveModelName, UsageCounter } from "../request-common.js";
import { jsonResponse } from "../responses.js";
import { sseResponse } from "../sse-response.js";

/** `POST /v1/chat/completions`. */
export async function chatCompletions(request: Request, body: unknown, ctx: ServerContext, arrivalMs: number): Promise<Response> {
  const req: ChatCompletionRequest = parseRequest(ChatCompletionRequestSchema, body);
  const model = resolveModelName(ctx, req.model);
  if (req.stream_options != null && !req.stream) throw invalidValue("stream_options", "stream_options is only allowed when stream is true.");
  refuseUnsupported(req);
  const n = req.n ?? 1;
  if (req.top_logprobs != null && !req.logprobs) throw unsupported("top_logprobs", "top_logprobs needs logprobs to be true.");
  const logprobs = req.logprobs ? (req.top_logprobs ?? 0) : undefined;

  const continueFinal = req.continue_final_message ?? false;
  const prompt = chatPrompt(ctx, req.messages, {
    addGenerationPrompt: req.add_generation_prompt ?? !continueFinal,
    continueFinalMessage: continueFinal,
    addSpecialTokens: req.add_special_tokens ?? false,
    ...(req.tools && req.tools.length > 0 ? { tools: req.tools } : {}),
    variables: { ...(req.reasoning_effort != null ? { reasoning_effort: req.reasoning_effort } : {}), ...req.chat_template_kwargs },
  });
  const maxTokens = maxTokensFor("messages", prompt.tokenIds.length, req.max_completion_tokens ?? req.max_tokens ?? null, ctx.maxModelLen);
  const shared = sharedRequestFields(req, ctx, logprobs, "top_logprobs");
  const id = `chatcmpl-${randomUUID().replaceAll("-", "")}`;
  const created = nowSeconds();
  const engineRequests = choiceRequests(id, [{ tokenIds: prompt.tokenIds, maxTokens }], n, shared);
  admit(ctx, engineRequests.length);
  const run = ChoiceRun.start(ctx.engine, engineRequests, ctx.metrics, arrivalMs);
  const usage = new UsageCounter([prompt.tokenIds.length], n);
  const last = prompt.messages[prompt.messages.length - 1]!;
  // vLLM: echo repeats the final message when it is the assistant's (the text being continued).
  const echoText = req.echo && last.role === "assistant" ? last.content : "";
  const { tokenizer } = ctx.model;

  if (req.stream) {
    const includeUsage = req.stream_options?.include_usage ?? false;
    const continuousUsage = req.stream_options?.continuous_usage_stats ?? false;
    const chunk = (choices: ChatCompletionChunk["choices"]): ChatCompletionChunk => ({
      id,
      object: "chat.completion.chunk",
      created,
      model,
      choices,
      ...(includeUsage ? { usage: continuousUsage ? usage.usage() : null } : {}),
    });
    async function* chunks(): AsyncGenerator<ChatCompletionChunk, ApiError | undefined> {
      try {
        // OpenAI opens every choice with the role, then sends content deltas.
        for (let index = 0; index < engineRequests.length; index++) {
          yield chunk([{ index, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }]);
          if (echoText !== "") yield chunk([{ index, delta: { content: echoText }, logprobs: null, finish_reason: null }]);
        }
        for await (const { index, delta } of run) {
          usage.update(index, delta);
          const fault = abortError(delta);
          if (fault && !run.wasAborted) return fault;
          const lp = logprobs !== undefined && delta.logprobs ? { content: chatLogprobs(tokenizer, delta.logprobs) } : null;
          if (delta.text === "" && lp === null && delta.finishReason === undefined) continue;
          yield chunk([{ index, delta: delta.text === "" ? {} : { content: delta.text }, logprobs: lp, finish_reason: delta.finishReason ?? null }]);
        }
        if (includeUsage) yield { id, object: "chat.completion.chunk", created, model, choices: [], usage: usage.usage() };
        return undefined;
      } finally {
        run.abort();
      }
    }
    return sseResponse(chunks(), () => run.abort());
  }

  const onClientGone = (): void => run.abort();
  request.signal.addEventListener("abort", onClientGone, { once: true });
  const choices: ChatCompletionChoice[] = engineRequests.map((_, index) => ({
    index,
    message: { role: "assistant", content: echoText, refusal: null },
    logprobs: logprobs === undefined ? null : { content: [] },
    finish_reason: null,
  }));
  try {
    for await (const { index, delta } of run) {
      usage.update(index, delta);
      const fault = abortError(delta);
      if (fault && !run.wasAborted) throw fault;
      const choice = choices[index]!;
      choice.message.content += delta.text;
      if (choice.logprobs && delta.logprobs) choice.logprobs.content.push(...chatLogprobs(tokenizer, delta.logprobs));
      if (delta.finishReason) choice.finish_reason = delta.finishReason;
    }
  } finally {
    request.signal.removeEventListener("abort", onClientGone);
    run.abort();
  }
  return jsonResponse({ id, object: "chat.completion", created, model, choices, usage: usage.usage() } satisfies ChatCompletionResponse);
}

/**
 * OpenAI features this server lacks are refused, not ignored, when ignoring them would change
 * what the client gets (a tool call, JSON output, audio). Asking for nothing of them is fine.
 */
function refuseUnsupported(req: ChatCompletionRequest): void {
  const hasTools = req.tools != null && req.tools.length > 0;
  // OpenAI's default is "auto" when tools are given.
  const toolChoice = req.tool_choice ?? (hasTools ? "auto" : "none");
  if (hasTools && toolChoice !== "none") {
    throw unsupported("tools", "Tool calling is not supported yet; send tool_choice \"none\" to only show the tools to the model.");
  }
  if (req.tool_choice != null && toolChoice !== "none" && toolChoice !== "auto") throw unsupported("tool_choice", "Tool calling is not supported yet.");
  if (req.functions != null || req.function_call != null) throw unsupported("functions", "Function calling is not supported.");
  if (req.response_format != null && req.response_format.type !== "text") throw unsupported("response_format", "Structured output (response_format) is not supported yet.");
  if (req.modalities != null && req.modalities.some((m) => m !== "text")) throw unsupported("modalities", "Only text output is supported.");
  if (req.audio != null) throw unsupported("audio", "Audio output is not supported.");
  if (req.prediction != null) throw unsupported("prediction", "Predicted outputs are not supported.");
}
