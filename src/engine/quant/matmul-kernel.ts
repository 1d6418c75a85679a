/**
 * f32 register-tiled kernels for out[t*rows + r] = dot(W row r, x row t): 4 weight rows by
 * 2 activation rows per inner loop (8 accumulators), accumulated in f64. Weight rows are read from
 * `wf` starting at element `wo`, `cols` apart, so the same code serves f32 weights in place and
 * quantized rows decoded into a scratch buffer.
 */

/** Rows r..r+3 (read from wf[wo ..], row stride cols) against all numTokens activation rows. */
export function tile4(
  wf: Float32Array,
  wo: number,
  cols: number,
  x: Float32Array,
  numTokens: number,
  out: Float32Array,
  rows: number,
  r: number,
): void {
  const a = wo;
  const b = a + cols;
  const c = b + cols;
  const d = c + cols;
  let t = 0;
  for (; t + 1 < numTokens; t += 2) {
    const xo = t * cols;
    const yo = xo + cols;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, u0 = 0, u1 = 0, u2 = 0, u3 = 0;
    for (let k = 0; k < cols; k++) {
      const xv = x[xo + k]!;
      const yv = x[yo + k]!;
      const wa = wf[a + k]!;
      const wb = wf[b + k]!;
      const wc = wf[c + k]!;
      const wd = wf[d + k]!;
      s0 += wa * xv;
      s1 += wb * xv;
      s2 += wc * xv;
      s3 += wd * xv;
      u0 += wa * yv;
      u1 += wb * yv;
      u2 += wc * yv;
      u3 += wd * yv;
    }
    const o = t * rows + r;
    out[o] = s0;
    out[o + 1] = s1;
    out[o + 2] = s2;
    out[o + 3] = s3;
    const o2 = o + rows;
    out[o2] = u0;
    out[o2 + 1] = u1;
    out[o2 + 2] = u2;
    out[o2 + 3] = u3;
  }
  if (t < numTokens) {
    const xo = t * cols;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let k = 0; k < cols; k++) {
      const xv = x[xo + k]!;
      s0 += wf[a + k]! * xv;
      s1 += wf[b + k]! * xv;
      s2 += wf[c + k]! * xv;
      s3 += wf[d + k]! * xv;
    }
    const o = t * rows + r;
    out[o] = s0;
    out[o + 1] = s1;
    out[o + 2] = s2;
    out[o + 3] = s3;
  }
}

/** One row (wf[wo .. wo+cols)) against all numTokens activation rows. */
export function tile1(
  wf: Float32Array,
  wo: number,
  cols: number,
  x: Float32Array,
  numTokens: number,
  out: Float32Array,
  rows: number,
  r: number,
): void {
  for (let t = 0; t < numTokens; t++) {
    const xo = t * cols;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    let k = 0;
    for (; k + 3 < cols; k += 4) {
      s0 += wf[wo + k]! * x[xo + k]!;
      s1 += wf[wo + k + 1]! * x[xo + k + 1]!;
      s2 += wf[wo + k + 2]! * x[xo + k + 2]!;
      s3 += wf[wo + k + 3]! * x[xo + k + 3]!;
    }
    for (; k < cols; k++) s0 += wf[wo + k]! * x[xo + k]!;
    out[t * rows + r] = s0 + s1 + s2 + s3;
  }
}
