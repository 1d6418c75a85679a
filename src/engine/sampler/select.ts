/**
 * Order statistics over logit arrays without sorting the vocabulary: argmax, the k-th largest value
 * (min-heap of size k, O(V log k)) and the top-n indices. All read only the first `length` entries
 * and never modify their input. Only argmax tolerates NaN (it reports it); the others need NaN-free input.
 */

export type Values = Float32Array | Float64Array;

/**
 * Index of the largest value, the lowest index among equal maxima; -1 when all are -Infinity.
 * Also reports whether any entry is NaN (NaN never compares greater, so it is never the argmax),
 * letting callers validate in the same pass.
 */
export function argmax(values: Values, length: number): { index: number; sawNaN: boolean } {
  let best = -1;
  let bestValue = -Infinity;
  let sawNaN = false;
  for (let i = 0; i < length; i++) {
    const v = values[i]!;
    // Strict ">" keeps the first (lowest) index of a tie.
    if (v > bestValue) {
      bestValue = v;
      best = i;
    } else if (v !== v) {
      sawNaN = true;
    }
  }
  return { index: best, sawNaN };
}

/**
 * The k-th largest value counting duplicates ([5, 5, 3] with k = 2 gives 5), or -Infinity when
 * length < k. `heap` is caller-owned scratch of at least k entries (min-heap: heap[0] is the
 * smallest of the k largest seen so far).
 */
export function kthLargest(values: Values, length: number, k: number, heap: Float64Array): number {
  if (k < 1) throw new RangeError(`k must be >= 1, got ${k}`);
  if (length < k) return -Infinity;
  if (heap.length < k) throw new RangeError(`heap scratch holds ${heap.length} < k = ${k}`);
  for (let i = 0; i < k; i++) heap[i] = values[i]!;
  for (let i = (k >> 1) - 1; i >= 0; i--) siftDownMin(heap, k, i);
  for (let i = k; i < length; i++) {
    const v = values[i]!;
    if (v > heap[0]!) {
      heap[0] = v;
      siftDownMin(heap, k, 0);
    }
  }
  return heap[0]!;
}

function siftDownMin(heap: Float64Array, size: number, start: number): void {
  let i = start;
  const v = heap[i]!;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= size) break;
    const r = l + 1;
    const c = r < size && heap[r]! < heap[l]! ? r : l;
    if (heap[c]! >= v) break;
    heap[i] = heap[c]!;
    i = c;
  }
  heap[i] = v;
}

/**
 * Indices of the n largest values, sorted by value descending and, among equal values, by index
 * ascending. Returns fewer when length < n. Meant for small n (logprobs: n <= 20).
 */
export function topNIndices(values: Values, length: number, n: number): number[] {
  const size = Math.min(n, length);
  if (size <= 0) return [];
  // Min-heap of indices ordered by "worse": lower value, or equal value and higher index.
  const heap: number[] = [];
  const worse = (a: number, b: number): boolean =>
    values[a]! < values[b]! || (values[a]! === values[b]! && a > b);
  const siftDown = (start: number): void => {
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= size) break;
      const r = l + 1;
      const c = r < size && worse(heap[r]!, heap[l]!) ? r : l;
      if (!worse(heap[c]!, heap[i]!)) break;
      [heap[i], heap[c]] = [heap[c]!, heap[i]!];
      i = c;
    }
  };
  for (let i = 0; i < size; i++) heap.push(i);
  for (let i = (size >> 1) - 1; i >= 0; i--) siftDown(i);
  for (let i = size; i < length; i++) {
    // Indices arrive in ascending order, so a later index only beats the root with a strictly larger value.
    if (values[i]! > values[heap[0]!]!) {
      heap[0] = i;
      siftDown(0);
    }
  }
  return heap.sort((a, b) => values[b]! - values[a]! || a - b);
}
