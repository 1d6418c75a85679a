import { topNIndices } from "./select.js";

export interface TokenLogprob {
  tokenId: number;
  /** Natural log of the probability; -Infinity for a masked (-Infinity logit) token. */
  logprob: number;
}

export interface LogprobsResult {
  /** log-softmax of the raw logits at the chosen token. */
  logprob: number;
  /** 1-based: how many tokens have a raw logprob >= the chosen one's (vLLM: ties rank ahead). */
  rank: number;
  /** The n most likely tokens under the raw logits, descending; ties lowest id first. */
  topLogprobs: TokenLogprob[];
}

/**
 * Logprobs as vLLM reports them by default ("raw_logprobs"): log-softmax of the RAW model logits,
 * before logit bias, penalties, temperature and filters, so they describe the model rather than the
 * sampling settings. Numerically stable: max subtracted, exp summed in float64. Reads `logits`
 * without modifying it; entries must not be NaN and the chosen token's logit must be finite.
 */
export function computeLogprobs(logits: Float32Array, chosenTokenId: number, topN: number): LogprobsResult {
  const length = logits.length;
  let max = -Infinity;
  for (let i = 0; i < length; i++) {
    const v = logits[i]!;
    if (v > max) max = v;
  }
  const chosen = logits[chosenTokenId]!;
  let sum = 0;
  let rank = 0;
  for (let i = 0; i < length; i++) {
    const v = logits[i]!;
    sum += Math.exp(v - max);
    if (v >= chosen) rank++;
  }
  const logNormalizer = max + Math.log(sum);
  const topLogprobs = topNIndices(logits, length, topN).map((tokenId) => ({
    tokenId,
    logprob: logits[tokenId]! - logNormalizer,
  }));
  return { logprob: chosen - logNormalizer, rank, topLogprobs };
}
