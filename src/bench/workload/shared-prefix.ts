import { drawTokens } from "./token-pool.js";
import { rngFor, shuffled, STREAM } from "./rng.js";
import type { DatasetItem } from "./types.js";

/** SGLang's generated-shared-prefix dataset (`--gsp-*` flags, same names and meaning). */
export interface SharedPrefixParams {
  readonly numGroups: number;
  readonly promptsPerGroup: number;
  /** Tokens of the system prompt every prompt of a group starts with. */
  readonly systemPromptLen: number;
  /** Tokens of each prompt's own question, after the system prompt. */
  readonly questionLen: number;
  readonly outputLen: number;
}

/** SGLang's defaults. */
export const DEFAULT_SHARED_PREFIX: SharedPrefixParams = {
  numGroups: 64,
  promptsPerGroup: 16,
  systemPromptLen: 2048,
  questionLen: 128,
  outputLen: 256,
};

/**
 * numGroups x promptsPerGroup prompts, each `systemPromptLen + questionLen` tokens, shuffled
 * (as SGLang does) so a group's prompts do not arrive back to back.
 */
export function sharedPrefixDataset(params: SharedPrefixParams, pool: readonly number[], seed: number): DatasetItem[] {
  const items: DatasetItem[] = [];
  for (let g = 0; g < params.numGroups; g++) {
    const system = drawTokens(rngFor(seed, STREAM.prefix, g), pool, params.systemPromptLen);
    for (let p = 0; p < params.promptsPerGroup; p++) {
      const question = drawTokens(rngFor(seed, STREAM.content, g, p), pool, params.questionLen);
      items.push({ promptTokenIds: system.concat(question), outputTokens: params.outputLen, prefixGroup: g });
    }
  }
  return shuffled(rngFor(seed, STREAM.shuffle), items);
}
