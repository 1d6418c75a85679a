import { mulberry32 } from "../../src/util/mulberry32.js";
/** Small deterministic helpers shared by the quant tests. */

/** mulberry32 (src/util/mulberry32.ts): seeded uniform [0, 1). */
export const rng = mulberry32;

/** n floats, uniform in [-scale, scale) plus `offset`. */
export function randomFloats(n: number, seed: number, scale = 1, offset = 0): Float32Array {
  const r = rng(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = offset + (r() * 2 - 1) * scale;
  return x;
}

/** Writes f16 bits little-endian at byte p. */
export function putU16(bytes: Uint8Array, p: number, v: number): void {
  bytes[p] = v & 0xff;
  bytes[p + 1] = (v >>> 8) & 0xff;
}

/** The f32 bit pattern of a number (after rounding to f32). */
export function f32Bits(v: number): number {
  return new Uint32Array(new Float32Array([v]).buffer)[0]!;
}

/** The number whose f32 bit pattern is `bits`. */
export function fromF32Bits(bits: number): number {
  return new Float32Array(new Uint32Array([bits >>> 0]).buffer)[0]!;
}
