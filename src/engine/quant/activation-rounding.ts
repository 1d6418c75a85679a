/**
 * llama.cpp's CPU backend does not multiply quantized weights by f32 activations: it first
 * converts the activations to the weight type's "vec_dot_type" (F16 for F16, BF16 for BF16, Q8_0
 * for Q8_0/Q4_0, Q8_K for the K-quants) and takes integer or half-precision dot products. That
 * rounding is most of the difference between our exact reference and llama.cpp's logits. This
 * module reproduces it, so tests can separate "rounding llama.cpp does" from "a bug".
 */
import { GgmlType } from "./ggml-types.js";
import { bf16ToF32, f32ToBf16, roundToF16 } from "./half.js";
import { nearestInt } from "./rounding.js";

/** The type activations are converted to before a dot product with weights of `weightType`. */
export function ggmlVecDotType(weightType: GgmlType): GgmlType {
  switch (weightType) {
    case GgmlType.F16:
      return GgmlType.F16;
    case GgmlType.BF16:
      return GgmlType.BF16;
    case GgmlType.Q8_0:
    case GgmlType.Q4_0:
      return GgmlType.Q8_0;
    case GgmlType.Q4_K:
    case GgmlType.Q6_K:
      return GgmlType.Q8_K;
    default:
      return GgmlType.F32;
  }
}

const Q8K = 256;

/** Q8_K round trip (quantize_row_q8_K_ref): per 256 values, d = max/-127 with max the signed extreme. */
function roundQ8K(x: Float32Array, out: Float32Array, n: number): void {
  for (let b = 0; b < n; b += Q8K) {
    let amax = 0;
    let max = 0;
    for (let j = 0; j < Q8K; j++) {
      const ax = Math.abs(x[b + j]!);
      if (ax > amax) {
        amax = ax;
        max = x[b + j]!;
      }
    }
    if (amax === 0) {
      out.fill(0, b, b + Q8K);
      continue;
    }
    const iscale = Math.fround(-127 / max);
    const d = Math.fround(1 / iscale);
    for (let j = 0; j < Q8K; j++) out[b + j] = Math.fround(Math.min(127, nearestInt(Math.fround(iscale * x[b + j]!))) * d);
  }
}

/**
 * Q8_0 round trip as ggml's x86 SIMD `quantize_row_q8_0` does it: scale 127/amax (not 1/d),
 * round half to even, scale d = amax/127 stored as f16.
 */
function roundQ8_0(x: Float32Array, out: Float32Array, n: number): void {
  for (let b = 0; b < n; b += 32) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b + j]!));
    const d = roundToF16(Math.fround(amax / 127));
    const id = amax !== 0 ? Math.fround(127 / amax) : 0;
    for (let j = 0; j < 32; j++) out[b + j] = Math.fround(nearestInt(Math.fround(x[b + j]! * id)) * d);
  }
}

/**
 * out = x as llama.cpp would see it in a dot product with `weightType` weights, for `numRows`
 * rows of `cols` values (cols is a multiple of the weight's block size).
 */
export function roundActivationsLikeGgml(weightType: GgmlType, x: Float32Array, numRows: number, cols: number, out: Float32Array): void {
  const vt = ggmlVecDotType(weightType);
  const n = numRows * cols;
  switch (vt) {
    case GgmlType.F16:
      for (let i = 0; i < n; i++) out[i] = roundToF16(x[i]!);
      return;
    case GgmlType.BF16:
      for (let i = 0; i < n; i++) out[i] = bf16ToF32(f32ToBf16(x[i]!));
      return;
    case GgmlType.Q8_0:
      roundQ8_0(x, out, n);
      return;
    case GgmlType.Q8_K:
      for (let r = 0; r < numRows; r++) roundQ8K(x.subarray(r * cols, (r + 1) * cols), out.subarray(r * cols, (r + 1) * cols), cols);
      return;
    default:
      if (out !== x) out.set(x.subarray(0, n));
  }
}
