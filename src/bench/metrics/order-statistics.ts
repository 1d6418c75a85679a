/** At or below this many values, sorting a copy is as quick as anything. */
const SMALL = 1 << 16;
const NUM_BUCKETS = 1 << 16;

/**
 * The values at the 0-based `ranks` of `values` in ascending order, as `Float64Array#sort`
 * orders them (-Infinity first, -0 before +0, NaN last), without sorting them all: a simulated
 * run has millions of gaps between tokens, and its summary needs only a few hundred ranks
 * (percentiles, CDF points). One pass buckets the finite values linearly between their minimum
 * and maximum; a second collects the members of the buckets that hold a wanted rank, which are
 * sorted (or, if still large, selected from the same way). Exact: the same values a full sort
 * gives at those ranks. `values` is not changed.
 */
export function orderStatistics(values: Float64Array, ranks: readonly number[]): Float64Array {
  const n = values.length;
  for (const r of ranks) if (!Number.isInteger(r) || r < 0 || r >= n) throw new RangeError(`rank ${r} out of [0, ${n})`);
  if (n <= SMALL) {
    const sorted = values.slice().sort();
    return Float64Array.from(ranks, (r) => sorted[r]!);
  }
  let numNegInf = 0;
  let numPosInf = 0;
  let numNaN = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = values[i]!;
    if (x === -Infinity) numNegInf++;
    else if (x === Infinity) numPosInf++;
    else if (x !== x) numNaN++;
    else {
      if (x < min) min = x;
      if (x > max) max = x;
    }
  }
  const numFinite = n - numNegInf - numPosInf - numNaN;
  const outside = (r: number): number => (r < numNegInf ? -Infinity : r < numNegInf + numFinite + numPosInf ? Infinity : NaN);
  const inside = (r: number): boolean => r >= numNegInf && r < numNegInf + numFinite;
  if (numFinite > 0 && min === max) {
    // Every finite value is the same; zeros may be -0 or +0, and -0 sorts first.
    let numNegZero = 0;
    if (min === 0) for (let i = 0; i < n; i++) if (Object.is(values[i], -0)) numNegZero++;
    return Float64Array.from(ranks, (r) => (!inside(r) ? outside(r) : r - numNegInf < numNegZero ? -0 : min === 0 ? 0 : min));
  }
  const scale = (NUM_BUCKETS - 1) / (max - min);
  // A range too wide or too narrow to scale (beyond the doubles' range): sort instead.
  if (numFinite > 0 && !(scale > 0 && Number.isFinite(scale))) {
    const sorted = values.slice().sort();
    return Float64Array.from(ranks, (r) => sorted[r]!);
  }
  const bucketOf = (x: number): number => Math.min(NUM_BUCKETS - 1, Math.max(0, Math.floor((x - min) * scale)));
  const counts = new Int32Array(NUM_BUCKETS + 1);
  for (let i = 0; i < n; i++) {
    const x = values[i]!;
    if (x > -Infinity && x < Infinity) counts[bucketOf(x) + 1]!++;
  }
  for (let b = 0; b < NUM_BUCKETS; b++) counts[b + 1]! += counts[b]!; // counts[b] = finite values in buckets before b
  const out = new Float64Array(ranks.length);
  // Per wanted rank among the finite values: its bucket, and its rank inside it.
  const wanted = new Map<number, { rank: number; slot: number }[]>();
  ranks.forEach((r, slot) => {
    if (!inside(r)) out[slot] = outside(r);
    else {
      const f = r - numNegInf;
      let lo = 0;
      let hi = NUM_BUCKETS - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (counts[mid]! <= f) lo = mid;
        else hi = mid - 1;
      }
      const list = wanted.get(lo) ?? [];
      list.push({ rank: f - counts[lo]!, slot });
      wanted.set(lo, list);
    }
  });
  if (wanted.size === 0) return out;
  // The wanted buckets' members, gathered in one pass: bucket -> its index in `members`, or -1.
  const memberIndex = new Int32Array(NUM_BUCKETS).fill(-1);
  const buckets = [...wanted.keys()];
  const members = buckets.map((b, k) => {
    memberIndex[b] = k;
    return new Float64Array(counts[b + 1]! - counts[b]!);
  });
  const sizes = new Int32Array(buckets.length);
  for (let i = 0; i < n; i++) {
    const x = values[i]!;
    if (!(x > -Infinity && x < Infinity)) continue;
    const k = memberIndex[bucketOf(x)]!;
    if (k >= 0) members[k]![sizes[k]!++] = x;
  }
  buckets.forEach((b, k) => {
    const list = wanted.get(b)!;
    const got = orderStatistics(members[k]!, list.map((w) => w.rank));
    list.forEach((w, j) => (out[w.slot] = got[j]!));
  });
  return out;
}
