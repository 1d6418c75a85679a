import type { KvDtype } from "./backend/backend.js";
import type { LoadedModel } from "./model/model.js";
import type { SampleResult } from "./sampler/index.js";

/** What the caller decides per step: the sampler runs outside so callers choose its parameters. */
export type SampleFn = (logits: Float32Array) => SampleResult;

export interface GenerateOptions {
  readonly maxTokens: number;
  readonly kvDtype?: KvDtype;
  readonly blockSize?: number;
  /** Also stop at end-of-generation tokens (default true). */
  readonly stopAtEog?: boolean;
}

export type GenerateEvent =
  | { readonly kind: "prefilled"; readonly numPromptTokens: number }
  | { readonly kind: "token"; readonly sample: SampleResult }
  | { readonly kind: "finished"; readonly reason: "stop" | "length" };

/**
 * Greedy/sampled generation of one sequence: one prefill call over the whole prompt, then one
 * decode call per token. Its KV cache is private and sized for prompt + maxTokens.
 * (The batched engine with a shared paged cache and scheduler is `engine.ts`.)
 */
export function* generateOne(
  model: LoadedModel,
  promptIds: readonly number[],
  sample: SampleFn,
  options: GenerateOptions,
): Generator<GenerateEvent> {
  const { config, transformer, tokenizer } = model;
  if (promptIds.length === 0) throw new RangeError("the prompt is empty (no tokens)");
  if (promptIds.length >= config.contextLength) {
    throw new RangeError(`the prompt has ${promptIds.length} tokens; the context length is ${config.contextLength}`);
  }
  const maxTokens = Math.min(options.maxTokens, config.contextLength - promptIds.length);
  const blockSize = options.blockSize ?? 16;
  const numBlocks = Math.ceil((promptIds.length + maxTokens) / blockSize);
  const cache = transformer.backend.allocKvCache({
    numLayers: config.numLayers,
    numBlocks,
    blockSize,
    numKvHeads: config.numKvHeads,
    headDim: config.headDim,
    dtype: options.kvDtype ?? "f16",
  });
  const blockTable = Int32Array.from({ length: numBlocks }, (_, i) => i);

  let logits = transformer.forward(
    {
      tokens: Int32Array.from(promptIds),
      sequences: [{ tokenStart: 0, numTokens: promptIds.length, numCachedTokens: 0, blockTable, numLogits: 1 }],
    },
    cache,
  );
  yield { kind: "prefilled", numPromptTokens: promptIds.length };
  let numTokens = promptIds.length;
  for (let i = 0; i < maxTokens; i++) {
    const s = sample(logits);
    yield { kind: "token", sample: s };
    if ((options.stopAtEog ?? true) && tokenizer.isEog(s.tokenId)) {
      yield { kind: "finished", reason: "stop" };
      return;
    }
    if (i === maxTokens - 1) break;
    logits = transformer.forward(
      {
        tokens: Int32Array.of(s.tokenId),
        sequences: [{ tokenStart: 0, numTokens: 1, numCachedTokens: numTokens, blockTable, numLogits: 1 }],
      },
      cache,
    );
    numTokens++;
  }
  yield { kind: "finished", reason: "length" };
}
