import type { Usage } from "../api/common.js";
import { ApiError } from "../api/errors.js";
import type { OutputDelta } from "../engine/engine.js";
import type { ServerContext } from "./context.js";

/**
 * The served name a response reports: the one the client asked for (any of `--served-model-name`),
 * or the first when `model` is absent (vLLM makes it optional). Anything else is OpenAI's 404.
 */
export function resolveModelName(ctx: ServerContext, requested: string | null | undefined): string {
  const names = ctx.options.servedModelNames;
  if (requested == null || requested === "") return names[0]!;
  if (names.includes(requested)) return requested;
  throw new ApiError("model_not_found", `The model \`${requested.slice(0, 200)}\` does not exist.`, "model");
}

/**
 * How a choice ended when the engine ended it with "abort": an engine fault (500, retry may help)
 * or shutdown (503, try another replica). Undefined for a normal finish.
 */
export function abortError(delta: OutputDelta): ApiError | undefined {
  if (delta.finishReason !== "abort") return undefined;
  if (delta.error !== undefined) return new ApiError("internal_error", `The engine failed while generating: ${delta.error}`);
  return new ApiError("server_shutting_down", "The server shut down before the request finished.");
}

/** Usage over all choices; each prompt's tokens count once however many samples (n) it had. */
export class UsageCounter {
  private readonly outputTokens: number[];
  private readonly cachedTokens: number[];
  private readonly numPromptTokens: number;

  constructor(
    promptLengths: readonly number[],
    private readonly n: number,
  ) {
    this.numPromptTokens = promptLengths.reduce((a, b) => a + b, 0);
    this.outputTokens = new Array<number>(promptLengths.length * n).fill(0);
    this.cachedTokens = promptLengths.map(() => 0);
  }

  /** Records a choice's latest delta. A prompt's cache hit is taken from its first sample. */
  update(index: number, delta: OutputDelta): void {
    this.outputTokens[index] = delta.numOutputTokens;
    if (index % this.n === 0) this.cachedTokens[index / this.n] = delta.numCachedTokens;
  }

  usage(): Usage {
    const completion = this.outputTokens.reduce((a, b) => a + b, 0);
    return {
      prompt_tokens: this.numPromptTokens,
      completion_tokens: completion,
      total_tokens: this.numPromptTokens + completion,
      prompt_tokens_details: { cached_tokens: this.cachedTokens.reduce((a, b) => a + b, 0) },
    };
  }
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
