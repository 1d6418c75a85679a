/**
 * Weight-matrix times activations for any supported format: F32 weights are used in place when
 * 4-byte aligned; everything else is decoded 4 rows at a time into a reused f32 scratch buffer
 * (each weight row decoded once per call, whatever numTokens is) and fed to the f32 tile kernels.
 */
import type { WeightFormat } from "./format.js";
import { tile1, tile4 } from "./matmul-kernel.js";

const TILE_ROWS = 4;
let scratch = new Float32Array(TILE_ROWS * 1024);

function scratchFor(elements: number): Float32Array {
  if (scratch.length < elements) scratch = new Float32Array(elements);
  return scratch;
}

/** Rows of f32 weights already viewed as a Float32Array (row-major, `cols` per row). */
export function matmulF32View(
  wf: Float32Array,
  rows: number,
  cols: number,
  x: Float32Array,
  numTokens: number,
  out: Float32Array,
): void {
  let r = 0;
  for (; r + TILE_ROWS <= rows; r += TILE_ROWS) tile4(wf, r * cols, cols, x, numTokens, out, rows, r);
  for (; r < rows; r++) tile1(wf, r * cols, cols, x, numTokens, out, rows, r);
}

/** Encoded weights: decode TILE_ROWS rows at a time, then run the f32 kernels on the scratch. */
export function matmulDecoded(
  format: WeightFormat,
  w: Uint8Array,
  rows: number,
  cols: number,
  x: Float32Array,
  numTokens: number,
  out: Float32Array,
): void {
  const rowBytes = (cols / format.blockSize) * format.typeSize;
  const buf = scratchFor(TILE_ROWS * cols);
  let r = 0;
  for (; r + TILE_ROWS <= rows; r += TILE_ROWS) {
    format.dequantize(w, r * rowBytes, buf, 0, TILE_ROWS * cols);
    tile4(buf, 0, cols, x, numTokens, out, rows, r);
  }
  for (; r < rows; r++) {
    format.dequantize(w, r * rowBytes, buf, 0, cols);
    tile1(buf, 0, cols, x, numTokens, out, rows, r);
  }
}

/** One token: fused per-row dot products straight from the encoded bytes (no scratch traffic). */
export function matvecFused(
  format: WeightFormat,
  w: Uint8Array,
  rows: number,
  cols: number,
  x: Float32Array,
  out: Float32Array,
): void {
  const rowBytes = (cols / format.blockSize) * format.typeSize;
  for (let r = 0; r < rows; r++) out[r] = format.dot(w, r * rowBytes, x, 0, cols);
}
