import { Xoshiro128StarStar } from "../../engine/sampler/rng.js";
import type { Rng } from "./rng.js";

/**
 * Prompt content is drawn from a pool of token ids that the target's own tokenizer produces for
 * ordinary English text: every id exists in the target's vocabulary, none is a control token,
 * and text made of them decodes and re-encodes to about the same count (needed when a prompt
 * must be sent as text). The pool is built once per run by tokenizing `POOL_CORPUS`.
 */
export const POOL_CORPUS = [
  "the of and to in is was he for it with as his on be at by had are but from or have an they which",
  "one you were her all she there would their we him been has when who will more no if out so said",
  "what up its about into than them can only other new some could time these two may then do first",
  "any my now such like our over man me even most made after also did many before must through back",
  "years where much your way well down should because each just those people how too little state good",
  "very make world still own see men work long get here between both life being under never day same",
  "another know while last might us great old year off come since against go came right used take three",
  "house garden river morning window market summer winter story friend children village mountain light",
  "water letter road table music paper number family evening answer history power country question city",
  "quickly slowly happy bright quiet gentle simple careful strong early late warm cold green blue small",
  "walked opened looked found asked turned carried watched played laughed remembered believed followed",
  "Once upon a time, a little girl named Lily found a shiny stone near the old bridge. She smiled and ran home.",
  "The quick brown fox jumps over the lazy dog while the farmer counts seven sheep in the field.",
].join("\n");

/**
 * The distinct ids of `encodedCorpus`, ascending, without `excludeIds` (BOS, EOS and other
 * specials the tokenizer may have added). Throws when nothing is left.
 */
export function tokenPool(encodedCorpus: readonly number[], excludeIds: Iterable<number> = []): number[] {
  const exclude = new Set(excludeIds);
  const pool = [...new Set(encodedCorpus)].filter((id) => !exclude.has(id)).sort((a, b) => a - b);
  if (pool.length === 0) throw new Error("the token pool is empty: the tokenizer produced no ordinary tokens");
  return pool;
}

/** `n` ids drawn uniformly (with replacement) from `pool`. */
export function drawTokens(rng: Rng, pool: readonly number[], n: number): number[] {
  const out = new Array<number>(n);
  drawTokensInto(rng, pool, out, 0, n);
  return out;
}

/**
 * `drawTokens` written into out[start, start + n) (the same ids for the same rng). A one-id pool
 * needs no draws (every caller gives each draw its own rng, so skipping them changes nothing
 * else): the simulator passes one when nothing reads prompt content.
 */
export function drawTokensInto(rng: Rng, pool: readonly number[], out: number[], start: number, n: number): void {
  const size = pool.length;
  if (size === 1) {
    out.fill(pool[0]!, start, start + n);
    return;
  }
  if (rng instanceof Xoshiro128StarStar) {
    rng.drawFromPool(pool, out, start, n);
    return;
  }
  for (let i = start; i < start + n; i++) out[i] = pool[Math.floor(rng.nextDouble() * size)]!;
}
