/**
 * The contract each supported ggml weight format implements. Offsets are in bytes for the encoded
 * side and in elements for float arrays; `n` is always a whole number of blocks (callers check).
 */
export interface WeightFormat {
  readonly name: string;
  /** Elements per block. */
  readonly blockSize: number;
  /** Bytes per block. */
  readonly typeSize: number;
  /** Decodes n elements starting at byte `srcOff` into out[outOff ..]; exact per ggml's dequantize_row_*. */
  dequantize(src: Uint8Array, srcOff: number, out: Float32Array, outOff: number, n: number): void;
  /** Encodes src[srcOff .. srcOff+n) into dst at byte `dstOff` (ggml's quantize_row_*_ref). */
  quantize(src: Float32Array, srcOff: number, n: number, dst: Uint8Array, dstOff: number): void;
  /** dot(n encoded weights at byte `wOff`, x[xOff .. xOff+n)) accumulated in f64, no allocation. */
  dot(w: Uint8Array, wOff: number, x: Float32Array, xOff: number, n: number): number;
}
