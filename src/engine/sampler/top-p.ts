/**
 * Nucleus (top-p) truncation of a candidate set without sorting it whole.
 *
 * Keeps the smallest set of most-likely candidates whose weight sum reaches topP * (sum of all
 * candidate weights); candidates of equal weight are taken lowest token id first (vLLM leaves that
 * order to an unstable sort). This equals vLLM's rule "drop, from the least likely up, while the
 * cumulative probability <= 1 - p" up to rounding, and always keeps at least one token.
 *
 * Method: a histogram of the weights on a log scale (BINS_PER_OCTAVE bins per factor of 2, read
 * straight from the float64 exponent and top mantissa bits) finds the boundary bin where the
 * running mass from the top first reaches the target. Candidates in higher bins are all kept
 * without sorting; only the boundary bin (a 1/16-octave slice of probabilities) is sorted. Peaked,
 * LLM-like distributions put few tokens there; a near-flat one over a large vocabulary can put
 * thousands there, and a perfectly flat one degrades to sorting every candidate.
 */

const MANTISSA_BITS_USED = 4;
const BINS_PER_OCTAVE = 1 << MANTISSA_BITS_USED;
/**
 * Weights below 2^-OCTAVES (relative to the most likely token, whose weight is 1) share one last
 * bin. Their total mass is below vocab * 2^-128, far under float64 resolution of a sum >= 1, so the
 * boundary only lands there when topP is within rounding of 1 — correct, just slow.
 */
const OCTAVES = 128;
export const TOP_P_BINS = OCTAVES * BINS_PER_OCTAVE + 1;

/** Float64 exponent (11 bits) and top mantissa bits, from the high 32-bit word, as one integer. */
const KEY_SHIFT = 20 - MANTISSA_BITS_USED;
/** Key of 1.0 (exponent 1023, mantissa 0): weight 1 falls in bin 0. */
const KEY_OF_ONE = 1023 << MANTISSA_BITS_USED;

/** Index of the high 32-bit word of each float64 in a Uint32Array view (platform byte order). */
const HIGH_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/** Scratch the nucleus step needs; owned by SamplerWorkspace. */
export interface TopPScratch {
  /** TOP_P_BINS entries. */
  readonly binMass: Float64Array;
  /** Positions of boundary-bin candidates, then sorted. */
  readonly order: Int32Array;
  readonly outIds: Int32Array;
  readonly outWeights: Float64Array;
}

/**
 * Truncates candidates (ids[0..count), weights[0..count), every weight in (0, 1]) to the nucleus
 * of mass topP, writing the survivors to scratch.outIds/outWeights and returning their number.
 * Inputs are not modified. Survivors come in this order: those above the boundary bin in input
 * order, then boundary-bin ones by weight descending.
 */
export function applyTopP(
  ids: Int32Array,
  weights: Float64Array,
  count: number,
  topP: number,
  scratch: TopPScratch,
): number {
  const { binMass, order, outIds, outWeights } = scratch;
  const weightWords = new Uint32Array(weights.buffer, weights.byteOffset, 2 * count);
  binMass.fill(0);
  let total = 0;
  for (let j = 0; j < count; j++) {
    const w = weights[j]!;
    total += w;
    binMass[binOf(weightWords, j)]! += w;
  }
  const target = topP * total;

  // First bin where the mass from the top reaches the target; rounding may push it to the last bin.
  let boundary = TOP_P_BINS - 1;
  let massAbove = 0;
  for (let b = 0; b < TOP_P_BINS; b++) {
    if (massAbove + binMass[b]! >= target) {
      boundary = b;
      break;
    }
    massAbove += binMass[b]!;
  }

  let kept = 0;
  let inBoundary = 0;
  for (let j = 0; j < count; j++) {
    const b = binOf(weightWords, j);
    if (b < boundary) {
      outIds[kept] = ids[j]!;
      outWeights[kept] = weights[j]!;
      kept++;
    } else if (b === boundary) {
      order[inBoundary++] = j;
    }
  }
  order
    .subarray(0, inBoundary)
    .sort((a, b) => weights[b]! - weights[a]! || ids[a]! - ids[b]!);
  // massAbove < target, so at least one boundary candidate is always taken.
  let mass = massAbove;
  for (let t = 0; t < inBoundary && (t === 0 || mass < target); t++) {
    const j = order[t]!;
    outIds[kept] = ids[j]!;
    outWeights[kept] = weights[j]!;
    mass += weights[j]!;
    kept++;
  }
  return kept;
}

/** Log-scale bin of weights[j]: 0 for weight 1, one more per 1/BINS_PER_OCTAVE octave below. */
function binOf(words: Uint32Array, j: number): number {
  const key = words[2 * j + HIGH_WORD]! >>> KEY_SHIFT;
  const bin = KEY_OF_ONE - key;
  return bin < 0 ? 0 : bin >= TOP_P_BINS ? TOP_P_BINS - 1 : bin;
}
