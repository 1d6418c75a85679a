/**
 * Non-negative least squares: x >= 0 minimising |A x - b|^2 (Lawson & Hanson's active-set
 * method). For the few columns of a step-time fit, with columns scaled to unit norm first so
 * features in very different units (GFLOP, sequences, 1) are comparable.
 *
 * `rows[i]` is row i of A (all the same length n); returns x of length n.
 */
export function nnls(rows: readonly ArrayLike<number>[], b: ArrayLike<number>, maxIterations = 200): Float64Array {
  const m = rows.length;
  const n = m === 0 ? 0 : rows[0]!.length;
  // Normal equations of the scaled problem: G = S A^T A S, h = S A^T b (S: diag of 1 / column norms).
  const scale = new Float64Array(n);
  for (const row of rows) for (let j = 0; j < n; j++) scale[j]! += row[j]! * row[j]!;
  for (let j = 0; j < n; j++) scale[j] = scale[j]! > 0 ? 1 / Math.sqrt(scale[j]!) : 0;
  const g = Array.from({ length: n }, () => new Float64Array(n));
  const h = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    const row = rows[i]!;
    for (let j = 0; j < n; j++) {
      const aj = row[j]! * scale[j]!;
      if (aj === 0) continue;
      h[j]! += aj * b[i]!;
      for (let k = 0; k < n; k++) g[j]![k]! += aj * row[k]! * scale[k]!;
    }
  }
  const x = new Float64Array(n);
  const passive = new Array<boolean>(n).fill(false);
  // A column that is all zero can never help; keep it out of the passive set.
  const usable = Array.from({ length: n }, (_, j) => scale[j]! > 0);
  const tol = 1e-12 * Math.max(1, ...Array.from(h, Math.abs));
  const gradient = (): Float64Array => {
    const w = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      let gx = 0;
      for (let k = 0; k < n; k++) gx += g[j]![k]! * x[k]!;
      w[j] = h[j]! - gx;
    }
    return w;
  };
  for (let iter = 0; iter < maxIterations; iter++) {
    const w = gradient();
    let t = -1;
    for (let j = 0; j < n; j++) if (!passive[j] && usable[j] && w[j]! > tol && (t < 0 || w[j]! > w[t]!)) t = j;
    if (t < 0) break;
    passive[t] = true;
    for (;;) {
      const s = solvePassive(g, h, passive);
      let alpha = Infinity;
      for (let j = 0; j < n; j++) {
        if (passive[j] && s[j]! <= 0) alpha = Math.min(alpha, x[j]! / (x[j]! - s[j]!));
      }
      if (alpha === Infinity) {
        x.set(s);
        break;
      }
      for (let j = 0; j < n; j++) x[j] = x[j]! + alpha * (s[j]! - x[j]!);
      for (let j = 0; j < n; j++) {
        if (passive[j] && x[j]! <= 1e-15) {
          passive[j] = false;
          x[j] = 0;
        }
      }
    }
  }
  for (let j = 0; j < n; j++) x[j] = x[j]! * scale[j]!;
  return x;
}

/** Solves G_PP s_P = h_P (Gaussian elimination with partial pivoting); s is 0 outside P. */
function solvePassive(g: readonly Float64Array[], h: Float64Array, passive: readonly boolean[]): Float64Array {
  const idx = passive.flatMap((p, j) => (p ? [j] : []));
  const k = idx.length;
  const a = idx.map((r) => [...idx.map((c) => g[r]![c]!), h[r]!]);
  for (let col = 0; col < k; col++) {
    let pivot = col;
    for (let r = col + 1; r < k; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    const p = a[col]![col]!;
    if (Math.abs(p) < 1e-300) continue; // singular direction: leave it at 0
    for (let r = 0; r < k; r++) {
      if (r === col) continue;
      const f = a[r]![col]! / p;
      if (f === 0) continue;
      for (let c = col; c <= k; c++) a[r]![c]! -= f * a[col]![c]!;
    }
  }
  const s = new Float64Array(passive.length);
  for (let i = 0; i < k; i++) {
    const p = a[i]![i]!;
    s[idx[i]!] = Math.abs(p) < 1e-300 ? 0 : a[i]![k]! / p;
  }
  return s;
}
