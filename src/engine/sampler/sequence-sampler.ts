import { SamplingError, SamplingParamsError } from "./errors.js";
import { computeLogprobs, type TokenLogprob } from "./logprobs.js";
import { applyLogitBias, applyPenalties, PenaltyHistory, penaltiesDisabled } from "./penalties.js";
import { isGreedy, type SamplingParams, validateSamplingParams } from "./params.js";
import { Xoshiro128StarStar } from "./rng.js";
import { argmax, kthLargest } from "./select.js";
import { applyTopP } from "./top-p.js";
import { type SamplerWorkspace, sharedWorkspace } from "./workspace.js";

export interface SampleResult {
  tokenId: number;
  /** The remaining fields are present exactly when params.logprobs is set; see computeLogprobs. */
  logprob?: number;
  rank?: number;
  topLogprobs?: TokenLogprob[];
}

export interface TokenProbability {
  tokenId: number;
  probability: number;
}

export interface SequenceSamplerOptions {
  /**
   * Seed to use when params.seed is absent; draw it with randomSeed(). Required then for
   * non-greedy params, so that this class stays pure. Ignored when params.seed is set.
   */
  defaultSeed?: number;
  /** Scratch to use; defaults to the per-thread sharedWorkspace(). */
  workspace?: SamplerWorkspace;
}

/** Candidates left after every filter: ids[0..count) with unnormalised weights (each > 0). */
interface Candidates {
  ids: Int32Array;
  weights: Float64Array;
  count: number;
}

/**
 * Sampling state of one sequence: its parameters, its own RNG and its token history (for
 * penalties). Call sample() once per generated token with that sequence's last-position logits.
 *
 * Pipeline, in vLLM V1's order:
 *   1. logit bias                          (additive, may ban with -Infinity)
 *   2. repetition, frequency, presence penalties
 *   3. greedy (temperature < 1e-5, or topK 1) => argmax, lowest token id among ties; no RNG draw
 *   4. temperature                         (logits / T)
 *   5. min-p                               (keep p >= minP * max p)
 *   6. top-k                               (keep logits >= the k-th largest: ties at the boundary are
 *                                           all kept, as in vLLM and HF, so more than k may survive)
 *   7. top-p                               (over the survivors, renormalised; see applyTopP)
 *   8. one draw from the RNG (53-bit uniform) picks from the survivors by inverse CDF.
 * Greedy via topK 1 is our choice (vLLM would sample among tied maxima there; identical otherwise).
 * Logprobs come from the raw logits (step 0), see computeLogprobs.
 *
 * The caller's logits are never modified: they are copied into the workspace first.
 * Determinism: the outcome depends only on params, seed, prompt and the logits passed to this
 * instance's calls, never on other sequences or the workspace's previous contents.
 */
export class SequenceSampler {
  readonly params: SamplingParams;
  private readonly rng: Xoshiro128StarStar | undefined;
  private readonly history: PenaltyHistory;
  private readonly workspace: SamplerWorkspace;
  private readonly greedy: boolean;

  constructor(
    params: SamplingParams,
    readonly vocabSize: number,
    promptTokenIds: ArrayLike<number>,
    options: SequenceSamplerOptions = {},
  ) {
    this.params = validateSamplingParams(params, vocabSize);
    this.greedy = isGreedy(this.params);
    const seed = this.params.seed ?? options.defaultSeed;
    if (!this.greedy) {
      if (seed === undefined) {
        throw new SamplingParamsError("seed", "random sampling needs params.seed or options.defaultSeed (see randomSeed())");
      }
      if (!Number.isSafeInteger(seed)) throw new SamplingParamsError("seed", `must be a safe integer, got ${seed}`);
      this.rng = new Xoshiro128StarStar(seed);
    }
    this.history = new PenaltyHistory(vocabSize, promptTokenIds, this.params.repetitionPenalty !== 1);
    this.workspace = options.workspace ?? sharedWorkspace();
  }

  /** Picks the next token, records it in the history for penalties, and reports logprobs if asked. */
  sample(logits: Float32Array): SampleResult {
    const tokenId = this.choose(logits);
    this.history.recordOutput(tokenId);
    const n = this.params.logprobs;
    if (n === undefined) return { tokenId };
    return { tokenId, ...computeLogprobs(logits, tokenId, n) };
  }

  /**
   * Records a token that joined the output without sample() (e.g. forced by the caller), so
   * penalties see it. sample() already records its own picks.
   */
  recordOutputToken(tokenId: number): void {
    this.history.recordOutput(tokenId);
  }

  /**
   * The distribution the next sample() would draw from for these logits, most likely first (ties:
   * lower id first); probabilities sum to 1. Draws nothing and records nothing. For tests, the
   * simulator and debugging; it allocates.
   */
  distribution(logits: Float32Array): TokenProbability[] {
    const best = this.prepare(logits);
    if (this.greedy) return [{ tokenId: best, probability: 1 }];
    const { ids, weights, count } = this.candidates(best);
    let total = 0;
    for (let j = 0; j < count; j++) total += weights[j]!;
    const out: TokenProbability[] = [];
    for (let j = 0; j < count; j++) out.push({ tokenId: ids[j]!, probability: weights[j]! / total });
    return out.sort((a, b) => b.probability - a.probability || a.tokenId - b.tokenId);
  }

  private choose(logits: Float32Array): number {
    const best = this.prepare(logits);
    if (this.greedy) return best;
    const { ids, weights, count } = this.candidates(best);
    let total = 0;
    for (let j = 0; j < count; j++) total += weights[j]!;
    // Inverse CDF; summing in the same order as `total` makes the last prefix sum equal it exactly.
    const target = this.rng!.nextDouble() * total;
    let cumulative = 0;
    for (let j = 0; j < count; j++) {
      cumulative += weights[j]!;
      if (cumulative > target) return ids[j]!;
    }
    return ids[count - 1]!; // u * total rounded up to total
  }

  /**
   * Copies the logits into the workspace, applies logit bias and penalties there, and returns the
   * argmax of the result (lowest id among ties). Checks the logits on the way: -Infinity is a
   * legitimate mask, but NaN or +Infinity mean the model computation went wrong. Bias and penalties
   * keep a NaN a NaN and turn +Infinity into +Infinity or NaN, so checking the processed copy
   * catches every bad input in the argmax pass, with no pass of its own.
   */
  private prepare(logits: Float32Array): number {
    const vocab = this.vocabSize;
    if (logits.length !== vocab) {
      throw new SamplingError(`expected ${vocab} logits, got ${logits.length}`);
    }
    this.workspace.ensure(vocab);
    const work = this.workspace.logits;
    work.set(logits);
    const p = this.params;
    if (p.logitBias !== undefined) applyLogitBias(work, p.logitBias);
    if (!penaltiesDisabled(p)) applyPenalties(work, p, this.history);
    const { index, sawNaN } = argmax(work, vocab);
    if (sawNaN || (index >= 0 && work[index] === Infinity)) {
      const bad = firstBad(logits);
      throw new SamplingError(
        bad >= 0 ? `logit of token ${bad} is ${logits[bad]}` : "a penalised logit overflowed float32",
      );
    }
    if (index < 0) throw new SamplingError("every token's logit is -Infinity after logit bias and penalties");
    return index;
  }

  /** Steps 4-7 on the prepared logits, whose argmax is `best`. */
  private candidates(best: number): Candidates {
    const ws = this.workspace;
    const work = ws.logits;
    const vocab = this.vocabSize;
    const { temperature, topK, topP, minP } = this.params;
    const max = work[best]!;
    // Top-k as a threshold on the logits: temperature is a positive scale, so it keeps the order.
    const kth = topK > 0 ? kthLargest(work, vocab, topK, ws.ensureHeap(topK)) : -Infinity;
    const invTemperature = 1 / temperature;
    const ids = ws.candidateIds;
    const weights = ws.candidateWeights;
    let count = 0;
    for (let i = 0; i < vocab; i++) {
      const logit = work[i]!;
      if (logit < kth) continue;
      // Weight relative to the most likely token, so the max has weight 1 and nothing overflows;
      // min-p compares p / p_max = weight with minP directly. Zero weights (masked or underflowed)
      // can never be drawn, so they are not candidates.
      const w = Math.exp((logit - max) * invTemperature);
      if (w === 0 || w < minP) continue;
      ids[count] = i;
      weights[count] = w;
      count++;
    }
    if (topP < 1) {
      const scratch = ws.topPScratch();
      const kept = applyTopP(ids, weights, count, topP, scratch);
      return { ids: scratch.outIds, weights: scratch.outWeights, count: kept };
    }
    return { ids, weights, count };
  }
}

/** Index of the first NaN or +Infinity logit (for the error message), -1 if none. */
function firstBad(logits: Float32Array): number {
  return logits.findIndex((v) => Number.isNaN(v) || v === Infinity);
}
