import { drawTokens } from "./token-pool.js";
import { rngFor, STREAM, uniformInt } from "./rng.js";
import type { DatasetItem } from "./types.js";

export interface RandomDatasetParams {
  /** Mean prompt length in tokens (vLLM `--random-input-len`). */
  readonly inputLen: number;
  /** Mean output length in tokens (vLLM `--random-output-len`). */
  readonly outputLen: number;
  /**
   * Lengths are uniform over [floor(len x (1 - r)), ceil(len x (1 + r))], as vLLM's random
   * dataset draws them; 0 gives every request exactly `inputLen` / `outputLen`. In [0, 1).
   */
  readonly rangeRatio: number;
  /** Tokens every prompt starts with (vLLM `--random-prefix-len`), added to the drawn length. */
  readonly prefixLen: number;
}

export const DEFAULT_RANDOM: RandomDatasetParams = { inputLen: 1024, outputLen: 128, rangeRatio: 0, prefixLen: 0 };

/** The inclusive integer range a length is drawn from; never below `min`. */
export function lengthRange(mean: number, rangeRatio: number, min: number): [number, number] {
  if (!(rangeRatio >= 0 && rangeRatio < 1)) throw new RangeError(`range ratio must be in [0, 1), got ${rangeRatio}`);
  return [Math.max(min, Math.floor(mean * (1 - rangeRatio))), Math.max(min, Math.ceil(mean * (1 + rangeRatio)))];
}

/**
 * Unbounded stream of random prompts: item i's lengths and content come from streams of
 * (seed, i), so the first n items are the same whatever n is.
 */
export function* randomDataset(params: RandomDatasetParams, pool: readonly number[], seed: number): Generator<DatasetItem> {
  const [inLo, inHi] = lengthRange(params.inputLen, params.rangeRatio, params.prefixLen > 0 ? 0 : 1);
  const [outLo, outHi] = lengthRange(params.outputLen, params.rangeRatio, 1);
  const prefix = drawTokens(rngFor(seed, STREAM.prefix), pool, params.prefixLen);
  for (let i = 0; ; i++) {
    const lengths = rngFor(seed, STREAM.lengths, i);
    const inputLen = uniformInt(lengths, inLo, inHi);
    const outputTokens = uniformInt(lengths, outLo, outHi);
    const body = drawTokens(rngFor(seed, STREAM.content, i), pool, inputLen);
    yield {
      promptTokenIds: prefix.length > 0 ? prefix.concat(body) : body,
      outputTokens,
      ...(prefix.length > 0 ? { prefixGroup: 0 } : {}),
    };
  }
}
