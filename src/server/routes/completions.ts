import type { ApiError } from "../../api/errors.js";
import { invalidValue, unsupported } from "../../api/errors.js";
import {
  type CompletionChoice,
  type CompletionRequest,
  CompletionRequestSchema,
  type CompletionResponse,
  DEFAULT_COMPLETION_MAX_TOKENS,
} from "../../api/completions.js";
import { parseRequest } from "../../api/validation.js";
import { randomUUID } from "node:crypto";
import { admit } from "../admission.js";
import { ChoiceRun } from "../choice-run.js";
import type { ServerContext } from "../context.js";
import { choiceRequests, maxTokensFor, sharedRequestFields } from "../engine-request.js";
import { CompletionLogprobsBuilder } from "../logprobs.js";
import { abortError, nowSeconds, resolveModelName, UsageCounter } from "../request-common.js";
import type { LogprobsResult, SampleResult } from "../../engine/sampler/index.js";
import { jsonResponse } from "../responses.js";
import { sseResponse } from "../sse-response.js";

interface Prompt {
  readonly text: string;
  readonly tokenIds: number[];
  readonly maxTokens: number;
}

/** `POST /v1/completions`. */
export async function completions(request: Request, body: unknown, ctx: ServerContext, arrivalMs: number): Promise<Response> {
  const req: CompletionRequest = parseRequest(CompletionRequestSchema, body);
  const model = resolveModelName(ctx, req.model);
  if (req.stream_options != null && !req.stream) throw invalidValue("stream_options", "stream_options is only allowed when stream is true.");
  const n = req.n ?? 1;
  if (req.suffix != null && req.suffix !== "") throw unsupported("suffix", "suffix is not supported.");
  if (req.best_of != null && req.best_of !== n) throw unsupported("best_of", "best_of other than n is not supported.");
  const echo = req.echo ?? false;
  const logprobs = req.logprobs ?? undefined;
  // echo + logprobs scores the prompt too (lm-eval-harness style loglikelihood requests).
  const scorePrompt = echo && logprobs !== undefined;
  const maxTokens = req.max_tokens ?? DEFAULT_COMPLETION_MAX_TOKENS;
  if (maxTokens === 0 && !echo) throw invalidValue("max_tokens", "Invalid value for 'max_tokens': must be at least 1 (0 is allowed only with echo).");

  const prompts = promptsOf(req, ctx, maxTokens);
  const shared = sharedRequestFields(req, ctx, logprobs, "logprobs");
  const id = `cmpl-${randomUUID().replaceAll("-", "")}`;
  const created = nowSeconds();
  const usage = new UsageCounter(prompts.map((p) => p.tokenIds.length), n);

  if (maxTokens === 0 && !scorePrompt) {
    // Echo only (no logprobs): nothing to generate, nothing to queue.
    const choices = prompts.flatMap((p, i) => Array.from({ length: n }, (_, j): CompletionChoice => ({ index: i * n + j, text: p.text, logprobs: null, finish_reason: "length" })));
    return jsonResponse({ id, object: "text_completion", created, model, choices, usage: usage.usage() } satisfies CompletionResponse);
  }

  // Scoring with max_tokens 0 still runs one step (the engine always samples once); that token is dropped.
  const scoreOnly = maxTokens === 0;
  const engineRequests = choiceRequests(
    id,
    scoreOnly ? prompts.map((p) => ({ ...p, maxTokens: 1 })) : prompts,
    n,
    scorePrompt ? { ...shared, promptLogprobs: logprobs } : shared,
  );
  admit(ctx, engineRequests.length);
  const run = ChoiceRun.start(ctx.engine, engineRequests, ctx.metrics, arrivalMs);
  const numChoices = engineRequests.length;
  const builders = engineRequests.map((_, i) => (logprobs === undefined ? null : new CompletionLogprobsBuilder(ctx.model.tokenizer, echo && !scorePrompt ? prompts[Math.floor(i / n)]!.text.length : 0)));
  /** Logprobs of a delta: prompt scores first (on the first delta when scoring), then generated tokens (none when scoring only). */
  const logprobsOf = (index: number, delta: { logprobs?: readonly SampleResult[]; promptLogprobs?: ReadonlyArray<LogprobsResult | null> }): CompletionChoice["logprobs"] => {
    const b = builders[index];
    if (!b) return null;
    let out: CompletionChoice["logprobs"] = null;
    if (delta.promptLogprobs) out = b.addPrompt(engineRequests[index]!.promptTokenIds, delta.promptLogprobs);
    if (delta.logprobs && !scoreOnly) out = mergeLogprobs(out, b.add(delta.logprobs));
    return out;
  };
  const echoText = (index: number): string => (echo ? prompts[Math.floor(index / n)]!.text : "");

  if (req.stream) {
    const includeUsage = req.stream_options?.include_usage ?? false;
    const continuousUsage = req.stream_options?.continuous_usage_stats ?? false;
    async function* chunks(): AsyncGenerator<CompletionResponse, ApiError | undefined> {
      const echoed = new Array<boolean>(numChoices).fill(false);
      try {
        for await (const { index, delta } of run) {
          usage.update(index, scoreOnly ? { ...delta, numOutputTokens: 0 } : delta);
          const fault = abortError(delta);
          if (fault && !run.wasAborted) return fault;
          let text = scoreOnly ? "" : delta.text;
          if (!echoed[index]) {
            echoed[index] = true;
            text = echoText(index) + text;
          }
          const lp = logprobsOf(index, delta);
          if (text === "" && lp === null && delta.finishReason === undefined) continue;
          const choice: CompletionChoice = { index, text, logprobs: lp, finish_reason: delta.finishReason ?? null };
          yield { id, object: "text_completion", created, model, choices: [choice], ...(includeUsage ? { usage: continuousUsage ? usage.usage() : null } : {}) };
        }
        if (includeUsage) yield { id, object: "text_completion", created, model, choices: [], usage: usage.usage() };
        return undefined;
      } finally {
        run.abort();
      }
    }
    return sseResponse(chunks(), () => run.abort());
  }

  const onClientGone = (): void => run.abort();
  request.signal.addEventListener("abort", onClientGone, { once: true });
  const choices: CompletionChoice[] = engineRequests.map((_, index) => ({ index, text: echoText(index), logprobs: null, finish_reason: null }));
  try {
    for await (const { index, delta } of run) {
      usage.update(index, scoreOnly ? { ...delta, numOutputTokens: 0 } : delta);
      const fault = abortError(delta);
      if (fault && !run.wasAborted) throw fault;
      const choice = choices[index]!;
      if (!scoreOnly) choice.text += delta.text;
      const lp = logprobsOf(index, delta);
      if (lp) choice.logprobs = mergeLogprobs(choice.logprobs, lp);
      if (delta.finishReason) choice.finish_reason = delta.finishReason;
    }
  } finally {
    request.signal.removeEventListener("abort", onClientGone);
    run.abort();
  }
  return jsonResponse({ id, object: "text_completion", created, model, choices, usage: usage.usage() } satisfies CompletionResponse);
}

function mergeLogprobs(acc: CompletionChoice["logprobs"], add: NonNullable<CompletionChoice["logprobs"]>): NonNullable<CompletionChoice["logprobs"]> {
  if (acc === null) return add;
  acc.tokens.push(...add.tokens);
  acc.token_logprobs.push(...add.token_logprobs);
  acc.top_logprobs.push(...add.top_logprobs);
  acc.text_offset.push(...add.text_offset);
  return acc;
}

/**
 * Every prompt of the request, tokenized and checked against the context. Text is tokenized as
 * vLLM does for completions: special-token text becomes special tokens, BOS is added when the
 * vocabulary asks for it (unless add_special_tokens is false).
 */
function promptsOf(req: CompletionRequest, ctx: ServerContext, maxTokens: number): Prompt[] {
  const { tokenizer } = ctx.model;
  const p = req.prompt;
  const list: Array<string | number[]> = typeof p === "string" ? [p] : typeof p[0] === "number" ? [p as number[]] : (p as Array<string | number[]>);
  const vocabSize = ctx.model.config.vocabSize;
  return list.map((item, i) => {
    const param = list.length === 1 ? "prompt" : `prompt[${i}]`;
    let text: string;
    let tokenIds: number[];
    if (typeof item === "string") {
      text = item;
      tokenIds = tokenizer.encode(item, { addSpecial: req.add_special_tokens ?? true, parseSpecial: true });
    } else {
      const bad = item.find((t) => t < 0 || t >= vocabSize);
      if (bad !== undefined) throw invalidValue(param, `Invalid value for '${param}': token id ${bad} is not in [0, ${vocabSize}).`);
      tokenIds = item;
      text = tokenizer.decode(item);
    }
    if (tokenIds.length === 0) throw invalidValue(param, `Invalid value for '${param}': the prompt is empty.`);
    // max_tokens 0 (echo only) still needs the prompt to fit.
    const budget = maxTokensFor(param, tokenIds.length, maxTokens, ctx.maxModelLen);
    return { text, tokenIds, maxTokens: budget };
  });
}
