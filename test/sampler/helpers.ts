import { SequenceSampler, type SamplingParams, validateSamplingParams } from "../../src/engine/sampler/index.js";
import { mulberry32 } from "../../src/util/mulberry32.js";

/** mulberry32 (src/util/mulberry32.ts): seeded uniform [0, 1). */
export const testRandom = mulberry32;

/** Roughly LLM-shaped logits: gaussian body (std `spread`) plus a few strong tokens. */
export function randomLogits(vocabSize: number, seed: number, spread = 2): Float32Array {
  const rnd = testRandom(seed);
  const out = new Float32Array(vocabSize);
  for (let i = 0; i < vocabSize; i++) {
    const u1 = rnd() || 1e-12;
    const u2 = rnd();
    out[i] = spread * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
  for (let j = 0; j < 5; j++) out[Math.floor(rnd() * vocabSize)] = 8 + 4 * rnd();
  return out;
}

export function sampler(
  params: Partial<SamplingParams>,
  vocabSize: number,
  prompt: readonly number[] = [],
): SequenceSampler {
  return new SequenceSampler(validateSamplingParams(params, vocabSize), vocabSize, prompt);
}

/** Textbook softmax in float64. */
export function softmax(logits: ArrayLike<number>, temperature = 1): number[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  const e = Array.from({ length: logits.length }, (_, i) => Math.exp((logits[i]! - max) / temperature));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}

/**
 * The filters written out the slow, obvious way (full sorts), as vLLM documents them: temperature,
 * then min-p, top-k (ties at the k-th value kept), top-p (smallest prefix by probability, ties by
 * lower id, with mass >= p). Returns token id -> probability.
 */
export function referenceDistribution(
  logits: ArrayLike<number>,
  p: { temperature: number; topK?: number; topP?: number; minP?: number },
): Map<number, number> {
  const probs = softmax(logits, p.temperature);
  const maxP = probs.reduce((m, x) => Math.max(m, x), 0);
  let ids = probs.map((_, i) => i).filter((i) => probs[i]! > 0);
  if (p.minP) ids = ids.filter((i) => probs[i]! >= p.minP! * maxP);
  if (p.topK && p.topK < logits.length) {
    const sorted = Array.from(logits).sort((a, b) => b - a);
    const kth = sorted[p.topK - 1]!;
    ids = ids.filter((i) => logits[i]! >= kth);
  }
  if (p.topP !== undefined && p.topP < 1) {
    const mass = ids.reduce((s, i) => s + probs[i]!, 0);
    ids.sort((a, b) => probs[b]! - probs[a]! || a - b);
    const kept: number[] = [];
    let cum = 0;
    for (const i of ids) {
      kept.push(i);
      cum += probs[i]! / mass;
      if (cum >= p.topP) break;
    }
    ids = kept;
  }
  const total = ids.reduce((s, i) => s + probs[i]!, 0);
  return new Map(ids.map((i) => [i, probs[i]! / total]));
}

/** Pearson chi-square statistic of observed counts against expected probabilities. */
export function chiSquare(counts: ReadonlyMap<number, number>, expected: ReadonlyMap<number, number>, draws: number): number {
  let chi2 = 0;
  for (const [id, prob] of expected) {
    const e = prob * draws;
    const o = counts.get(id) ?? 0;
    chi2 += ((o - e) * (o - e)) / e;
  }
  return chi2;
}

export function countDraws(s: SequenceSampler, logits: Float32Array, draws: number): Map<number, number> {
  const counts = new Map<number, number>();
  for (let i = 0; i < draws; i++) {
    const t = s.sample(logits).tokenId;
    counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  return counts;
}

/**
 * Upper critical value of chi-square with `df` degrees of freedom at tail probability 1e-4
 * (Wilson–Hilferty approximation, accurate to a few percent for df >= 3).
 */
export function chiSquareCritical(df: number): number {
  const z = 3.719; // standard normal upper 1e-4 quantile
  const a = 2 / (9 * df);
  return df * (1 - a + z * Math.sqrt(a)) ** 3;
}
