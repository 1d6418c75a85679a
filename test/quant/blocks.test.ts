/**
 * Hand-built blocks with known bytes -> exact dequantized values. Expectations are computed here
 * element by element from the block layouts in ggml-common.h, independently of the decoder's loops.
 */
import { describe, expect, it } from "vitest";
import { dequantize, GgmlType } from "../../src/engine/quant/index.js";
import { putU16 } from "./util.js";

const fr = Math.fround;

function decode(type: GgmlType, bytes: Uint8Array, n: number): Float32Array {
  const out = new Float32Array(n);
  dequantize(type, bytes, 0, out, 0, n);
  return out;
}

/** Exact (bitwise, -0 distinguished) comparison with a helpful message. */
function expectExact(got: Float32Array, want: number[]): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], fr(want[i]!))) throw new Error(`element ${i}: got ${got[i]}, want ${fr(want[i]!)}`);
  }
}

describe("F32 / F16 / BF16", () => {
  it("F32 bytes are little-endian floats", () => {
    const vals = [1, -2.5, 3.4028234663852886e38, 1e-45, -0];
    const bytes = new Uint8Array(vals.length * 4);
    const dv = new DataView(bytes.buffer);
    vals.forEach((v, i) => dv.setFloat32(i * 4, v, true));
    expectExact(decode(GgmlType.F32, bytes, vals.length), vals);
  });

  it("F16 bytes decode per IEEE binary16", () => {
    const bits = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x03ff, 0x0400, 0x7c00, 0x8000, 0x3555];
    const bytes = new Uint8Array(bits.length * 2);
    bits.forEach((b, i) => putU16(bytes, i * 2, b));
    expectExact(decode(GgmlType.F16, bytes, bits.length), [
      1, -2, 65504, 2 ** -24, 1023 * 2 ** -24, 2 ** -14, Infinity, -0, 0.333251953125,
    ]);
  });

  it("BF16 bytes are the top halves of f32s", () => {
    const bits = [0x3f80, 0xc000, 0x7f80, 0x0001, 0x4049];
    const bytes = new Uint8Array(bits.length * 2);
    bits.forEach((b, i) => putU16(bytes, i * 2, b));
    expectExact(decode(GgmlType.BF16, bytes, bits.length), [1, -2, Infinity, 2 ** -133, 3.140625]);
  });

  it("F16/BF16 decode from odd byte offsets too", () => {
    const bytes = new Uint8Array(1 + 4);
    putU16(bytes, 1, 0x3c00);
    putU16(bytes, 3, 0xc000);
    const out = new Float32Array(2);
    dequantize(GgmlType.F16, bytes, 1, out, 0, 2);
    expectExact(out, [1, -2]);
    putU16(bytes, 1, 0x3f80);
    putU16(bytes, 3, 0xc000);
    dequantize(GgmlType.BF16, bytes, 1, out, 0, 2);
    expectExact(out, [1, -2]);
  });
});

describe("Q8_0", () => {
  it("8 blocks covering qs = -128..127 with assorted f16 scales", () => {
    // d per block: 0.5, -0.25, 1.5, 2^-24 (f16 subnormal), 3, 0.125, 65504, 1
    const dBits = [0x3800, 0xb400, 0x3e00, 0x0001, 0x4200, 0x3000, 0x7bff, 0x3c00];
    const dVals = [0.5, -0.25, 1.5, 2 ** -24, 3, 0.125, 65504, 1];
    const bytes = new Uint8Array(8 * 34);
    const want: number[] = [];
    for (let b = 0; b < 8; b++) {
      putU16(bytes, b * 34, dBits[b]!);
      for (let j = 0; j < 32; j++) {
        const q = -128 + 32 * b + j;
        bytes[b * 34 + 2 + j] = q & 0xff;
        want.push(q * dVals[b]!);
      }
    }
    expectExact(decode(GgmlType.Q8_0, bytes, 256), want);
  });
});

describe("Q4_0", () => {
  it("low nibbles are weights 0..15, high nibbles weights 16..31, minus 8", () => {
    const bytes = new Uint8Array(2 * 18);
    putU16(bytes, 0, 0x3800); // d = 0.5
    putU16(bytes, 18, 0xbe00); // d = -1.5
    for (let j = 0; j < 16; j++) {
      bytes[2 + j] = j | ((15 - j) << 4);
      bytes[18 + 2 + j] = ((j * 5) & 15) | (((j * 3 + 1) & 15) << 4);
    }
    const want: number[] = [];
    for (let j = 0; j < 16; j++) want.push((j - 8) * 0.5);
    for (let j = 0; j < 16; j++) want.push((15 - j - 8) * 0.5);
    for (let j = 0; j < 16; j++) want.push((((j * 5) & 15) - 8) * -1.5);
    for (let j = 0; j < 16; j++) want.push((((j * 3 + 1) & 15) - 8) * -1.5);
    expectExact(decode(GgmlType.Q4_0, bytes, 64), want);
  });
});

describe("Q4_K", () => {
  // 6-bit scales and mins per sub-block; entries 4..7 have nonzero top bits in most cases so the
  // packing into bits 6..7 of bytes 0..7 is exercised for every sub-block.
  const sc = [1, 63, 17, 32, 48, 5, 62, 33];
  const mn = [0, 2, 63, 31, 16, 47, 1, 60];
  const d = 0.25; // f16 0x3400
  const dmin = 0.125; // f16 0x3000

  function block(): Uint8Array {
    const bytes = new Uint8Array(144);
    putU16(bytes, 0, 0x3400);
    putU16(bytes, 2, 0x3000);
    // ggml-common.h: scales[0..3] = sc[0..3] | (sc[4..7] >> 4) << 6, scales[4..7] = mn[0..3] | (mn[4..7] >> 4) << 6,
    // scales[8..11] = (sc[4..7] & 15) | (mn[4..7] & 15) << 4
    for (let j = 0; j < 4; j++) {
      bytes[4 + j] = sc[j]! | ((sc[j + 4]! >> 4) << 6);
      bytes[4 + 4 + j] = mn[j]! | ((mn[j + 4]! >> 4) << 6);
      bytes[4 + 8 + j] = (sc[j + 4]! & 15) | ((mn[j + 4]! & 15) << 4);
    }
    for (let c = 0; c < 4; c++) {
      for (let l = 0; l < 32; l++) bytes[16 + 32 * c + l] = ((l + c) & 15) | (((l * 3 + c) & 15) << 4);
    }
    return bytes;
  }

  it("decodes every element as d*sc*q - dmin*m", () => {
    const bytes = block();
    const want: number[] = [];
    for (let e = 0; e < 256; e++) {
      const c = e >> 6; // 64-element chunk sharing 32 qs bytes
      const i = e & 63;
      const byte = bytes[16 + 32 * c + (i & 31)]!;
      const q = i < 32 ? byte & 15 : byte >> 4;
      const s = 2 * c + (i < 32 ? 0 : 1); // sub-block
      want.push(fr(fr(d * sc[s]!) * q) - fr(dmin * mn[s]!));
    }
    expectExact(decode(GgmlType.Q4_K, bytes, 256), want);
  });

  it("decodes the scale packing: a constant q=1 block gives d*sc - dmin*m per sub-block", () => {
    const bytes = block();
    bytes.fill(0x11, 16); // every nibble = 1
    const out = decode(GgmlType.Q4_K, bytes, 256);
    for (let s = 0; s < 8; s++) {
      for (let i = 0; i < 32; i++) expect(out[32 * s + i]).toBe(d * sc[s]! - dmin * mn[s]!);
    }
  });
});

describe("Q6_K", () => {
  const scales = [-128, 127, -1, 1, 50, -50, 3, -7, 100, -100, 9, -9, 64, -64, 0, 13];
  const d = 0.0625; // f16 0x2c00

  it("decodes ql/qh/scales in both 128-element halves", () => {
    const bytes = new Uint8Array(210);
    for (let i = 0; i < 128; i++) bytes[i] = (i * 7 + 3) & 0xff; // ql
    for (let i = 0; i < 64; i++) bytes[128 + i] = (i * 37 + 11) & 0xff; // qh
    for (let i = 0; i < 16; i++) bytes[192 + i] = scales[i]! & 0xff;
    putU16(bytes, 208, 0x2c00);
    const want: number[] = [];
    for (let e = 0; e < 256; e++) {
      const h = e >> 7; // half
      const i = e & 127;
      const group = i >> 5; // 0..3: which 32-run of the half
      const l = i & 31;
      const qlByte = bytes[64 * h + l + (group & 1 ? 32 : 0)]!;
      const low = group < 2 ? qlByte & 15 : qlByte >> 4;
      const high = (bytes[128 + 32 * h + l]! >> (2 * group)) & 3;
      const q = (low | (high << 4)) - 32;
      const s = scales[8 * h + (l >> 4) + 2 * group]!;
      want.push(fr(d * s) * q);
    }
    expectExact(decode(GgmlType.Q6_K, bytes, 256), want);
  });

  it("q = 0 and q = 63 extremes", () => {
    const bytes = new Uint8Array(210);
    bytes.fill(0xff, 0, 192); // all q = 63 -> +31
    for (let i = 0; i < 16; i++) bytes[192 + i] = scales[i]! & 0xff;
    putU16(bytes, 208, 0x2c00);
    let out = decode(GgmlType.Q6_K, bytes, 256);
    for (let s = 0; s < 16; s++) expect(out[16 * s]).toBe(d * scales[s]! * 31);
    bytes.fill(0, 0, 192); // all q = 0 -> -32
    out = decode(GgmlType.Q6_K, bytes, 256);
    for (let s = 0; s < 16; s++) expect(out[16 * s + 15]).toBe(d * scales[s]! * -32);
  });
});
