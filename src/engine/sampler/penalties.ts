import { SamplingParamsError } from "./errors.js";
import type { SamplingParams } from "./params.js";

/**
 * What a sequence's penalties need to know about its history: which token ids occur in the prompt
 * and how often each id occurs in the generated output. Sparse (Set/Map), so per-step cost is
 * proportional to the distinct tokens seen, not the vocabulary.
 */
export class PenaltyHistory {
  /** Distinct prompt token ids. Only repetition penalty reads them, so empty unless it is enabled. */
  private readonly promptTokens: ReadonlySet<number>;
  private readonly outputCounts = new Map<number, number>();

  constructor(
    readonly vocabSize: number,
    promptTokenIds: ArrayLike<number>,
    keepPrompt: boolean,
  ) {
    const prompt = new Set<number>();
    for (let i = 0; i < promptTokenIds.length; i++) {
      const id = promptTokenIds[i]!;
      if (!isTokenId(id, vocabSize)) {
        throw new SamplingParamsError("promptTokenIds", `token id ${id} at ${i} is not in [0, ${vocabSize})`);
      }
      if (keepPrompt) prompt.add(id);
    }
    this.promptTokens = prompt;
  }

  /** Counts one more occurrence of `tokenId` in the output. */
  recordOutput(tokenId: number): void {
    if (!isTokenId(tokenId, this.vocabSize)) {
      throw new RangeError(`output token id ${tokenId} is not in [0, ${this.vocabSize})`);
    }
    this.outputCounts.set(tokenId, (this.outputCounts.get(tokenId) ?? 0) + 1);
  }

  /** How many times `tokenId` occurs in the output so far. */
  outputCount(tokenId: number): number {
    return this.outputCounts.get(tokenId) ?? 0;
  }

  get prompt(): ReadonlySet<number> {
    return this.promptTokens;
  }
  get output(): ReadonlyMap<number, number> {
    return this.outputCounts;
  }
}

/** Adds each bias to its token's logit, in place. Ids were range-checked by validateSamplingParams. */
export function applyLogitBias(logits: Float32Array, bias: ReadonlyMap<number, number>): void {
  for (const [tokenId, value] of bias) logits[tokenId]! += value;
}

export type PenaltyParams = Pick<SamplingParams, "repetitionPenalty" | "frequencyPenalty" | "presencePenalty">;

/** True when applyPenalties would change nothing. */
export function penaltiesDisabled(p: PenaltyParams): boolean {
  return p.repetitionPenalty === 1 && p.frequencyPenalty === 0 && p.presencePenalty === 0;
}

/**
 * Applies, in place and in vLLM's order:
 *  1. repetition penalty (vLLM/HF): each token id in prompt ∪ output, once: logit > 0 ? logit / r : logit * r;
 *  2. frequency penalty (OpenAI): logit -= f * outputCount;
 *  3. presence penalty (OpenAI): logit -= p if outputCount > 0.
 * Frequency and presence look at output tokens only, repetition at prompt and output (vLLM).
 */
export function applyPenalties(logits: Float32Array, p: PenaltyParams, history: PenaltyHistory): void {
  const r = p.repetitionPenalty;
  if (r !== 1) {
    for (const id of history.prompt) logits[id] = repetitionPenalized(logits[id]!, r);
    for (const id of history.output.keys()) {
      if (!history.prompt.has(id)) logits[id] = repetitionPenalized(logits[id]!, r);
    }
  }
  const f = p.frequencyPenalty;
  const pres = p.presencePenalty;
  if (f !== 0 || pres !== 0) {
    for (const [id, count] of history.output) logits[id]! -= f * count + pres;
  }
}

function repetitionPenalized(logit: number, r: number): number {
  return logit > 0 ? logit / r : logit * r;
}

function isTokenId(id: number, vocabSize: number): boolean {
  return Number.isInteger(id) && id >= 0 && id < vocabSize;
}
