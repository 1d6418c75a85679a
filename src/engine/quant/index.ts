/**
 * Public API of the ggml weight formats: dequantize / quantize / dot / matmul dispatching on
 * the tensor type. Supported: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K (bit-exact decoding with
 * llama.cpp's ggml; quantization follows its `_ref` reference quantizers).
 */
import { GgmlType, ggmlTypeName } from "./ggml-types.js";
import type { WeightFormat } from "./format.js";
import { BF16_FORMAT, F16_FORMAT, F32_FORMAT } from "./float.js";
import { Q8_0_FORMAT } from "./q8_0.js";
import { Q4_0_FORMAT } from "./q4_0.js";
import { Q4_K_FORMAT } from "./q4_k.js";
import { Q6_K_FORMAT } from "./q6_k.js";
import { matmulDecoded, matmulF32View, matvecFused } from "./matmul.js";

export { GgmlType } from "./ggml-types.js";
export { f16ToF32, f32ToF16, bf16ToF32, f32ToBf16 } from "./half.js";

const FORMATS: ReadonlyMap<number, WeightFormat> = new Map<number, WeightFormat>([
  [GgmlType.F32, F32_FORMAT],
  [GgmlType.F16, F16_FORMAT],
  [GgmlType.BF16, BF16_FORMAT],
  [GgmlType.Q8_0, Q8_0_FORMAT],
  [GgmlType.Q4_0, Q4_0_FORMAT],
  [GgmlType.Q4_K, Q4_K_FORMAT],
  [GgmlType.Q6_K, Q6_K_FORMAT],
]);

const SUPPORTED_NAMES = [...FORMATS.values()].map((f) => f.name).join(", ");

/** Types whose quantized dot products beat decode-then-multiply for a single token. */
const FUSED_MATVEC: ReadonlySet<number> = new Set<number>([GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K]);

export function isSupportedWeightType(type: number): boolean {
  return FORMATS.has(type);
}

function formatOf(type: number): WeightFormat {
  const f = FORMATS.get(type);
  if (!f) throw new Error(`tensor type ${ggmlTypeName(type)} is not supported (supported: ${SUPPORTED_NAMES})`);
  return f;
}

function checkBlocks(f: WeightFormat, n: number, what: string): void {
  if (!Number.isInteger(n) || n < 0 || n % f.blockSize !== 0) {
    throw new Error(`${f.name} ${what} must be a multiple of ${f.blockSize} elements, got ${n}`);
  }
}

function checkRange(what: string, offset: number, length: number, available: number): void {
  if (!Number.isInteger(offset) || offset < 0 || offset + length > available) {
    throw new RangeError(`${what}: range [${offset}, ${offset + length}) exceeds length ${available}`);
  }
}

/** Dequantizes n elements (a whole number of blocks) starting at byte `srcByteOffset`. */
export function dequantize(
  type: GgmlType,
  src: Uint8Array,
  srcByteOffset: number,
  out: Float32Array,
  outOffset: number,
  n: number,
): void {
  const f = formatOf(type);
  checkBlocks(f, n, "dequantize length");
  checkRange("dequantize source bytes", srcByteOffset, (n / f.blockSize) * f.typeSize, src.length);
  checkRange("dequantize output", outOffset, n, out.length);
  f.dequantize(src, srcByteOffset, out, outOffset, n);
}

/** Quantizes n floats (multiple of the block size) into a new byte array. */
export function quantize(type: GgmlType, src: Float32Array, n: number = src.length): Uint8Array {
  const f = formatOf(type);
  checkBlocks(f, n, "quantize length");
  checkRange("quantize source", 0, n, src.length);
  const dst = new Uint8Array((n / f.blockSize) * f.typeSize);
  f.quantize(src, 0, n, dst, 0);
  return dst;
}

/** dot(row of n weights at byte offset, x[xOffset .. xOffset+n)) */
export function dotRow(
  type: GgmlType,
  w: Uint8Array,
  wByteOffset: number,
  x: Float32Array,
  xOffset: number,
  n: number,
): number {
  const f = formatOf(type);
  checkBlocks(f, n, "dot length");
  checkRange("dot weight bytes", wByteOffset, (n / f.blockSize) * f.typeSize, w.length);
  checkRange("dot activations", xOffset, n, x.length);
  return f.dot(w, wByteOffset, x, xOffset, n);
}

/**
 * out[t*rows + r] = dot(weight row r, x[t*cols ..]) for t < numTokens, r < rows.
 * Weights are row-major as in GGUF/ggml: `rows` rows of `cols` elements (ggml ne0 = cols).
 * Each weight row is decoded once per call and applied to all numTokens activation rows through
 * 4-row x 2-token register tiles; a single token uses fused quantized dot products instead.
 * `w` need not be aligned (unaligned F32 weights are decoded through the byte path).
 */
export function matmul(
  type: GgmlType,
  w: Uint8Array,
  rows: number,
  cols: number,
  x: Float32Array,
  numTokens: number,
  out: Float32Array,
): void {
  const f = formatOf(type);
  checkBlocks(f, cols, "row length (cols)");
  if (!Number.isInteger(rows) || rows < 0) throw new RangeError(`matmul: bad rows ${rows}`);
  if (!Number.isInteger(numTokens) || numTokens < 0) throw new RangeError(`matmul: bad numTokens ${numTokens}`);
  checkRange("matmul weight bytes", 0, rows * (cols / f.blockSize) * f.typeSize, w.length);
  checkRange("matmul activations", 0, numTokens * cols, x.length);
  checkRange("matmul output", 0, numTokens * rows, out.length);
  if (rows === 0 || numTokens === 0) return;
  if (type === GgmlType.F32 && (w.byteOffset & 3) === 0) {
    matmulF32View(new Float32Array(w.buffer, w.byteOffset, rows * cols), rows, cols, x, numTokens, out);
  } else if (numTokens === 1 && FUSED_MATVEC.has(type)) {
    matvecFused(f, w, rows, cols, x, out);
  } else {
    matmulDecoded(f, w, rows, cols, x, numTokens, out);
  }
}
