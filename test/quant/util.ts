/** Small deterministic helpers shared by the quant tests. */

/** mulberry32: a seeded uniform [0, 1) generator. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
