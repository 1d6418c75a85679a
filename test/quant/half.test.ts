import { describe, expect, it } from "vitest";
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16, F16_TO_F32 } from "../../src/engine/quant/half.js";
import { f32Bits, fromF32Bits } from "./util.js";

const TWO_M24 = 2 ** -24; // smallest f16 subnormal

describe("f16 -> f32", () => {
  it("decodes known bit patterns", () => {
    expect(f16ToF32(0x3c00)).toBe(1);
    expect(f16ToF32(0xc000)).toBe(-2);
    expect(f16ToF32(0x7bff)).toBe(65504);
    expect(f16ToF32(0x3555)).toBe(0.333251953125);
    expect(f16ToF32(0x0001)).toBe(TWO_M24);
    expect(f16ToF32(0x03ff)).toBe(1023 * TWO_M24); // largest subnormal
    expect(f16ToF32(0x0400)).toBe(2 ** -14); // smallest normal
    expect(f16ToF32(0x8001)).toBe(-TWO_M24);
    expect(Object.is(f16ToF32(0x0000), 0)).toBe(true);
    expect(Object.is(f16ToF32(0x8000), -0)).toBe(true);
    expect(f16ToF32(0x7c00)).toBe(Infinity);
    expect(f16ToF32(0xfc00)).toBe(-Infinity);
    expect(Number.isNaN(f16ToF32(0x7e00))).toBe(true);
    expect(Number.isNaN(f16ToF32(0xfc01))).toBe(true);
  });

  it("keeps NaN payloads in the table's f32 bits", () => {
    const bits = new Uint32Array(F16_TO_F32.buffer);
    expect(bits[0x7e00]).toBe(0x7fc00000);
    expect(bits[0x7c01]).toBe(0x7f802000);
    expect(bits[0xfe00]).toBe(0xffc00000);
  });
});

describe("f32 -> f16 (round to nearest even)", () => {
  it("encodes exact values", () => {
    expect(f32ToF16(1)).toBe(0x3c00);
    expect(f32ToF16(-2)).toBe(0xc000);
    expect(f32ToF16(65504)).toBe(0x7bff);
    expect(f32ToF16(TWO_M24)).toBe(0x0001);
    expect(f32ToF16(2 ** -14)).toBe(0x0400);
    expect(f32ToF16(0)).toBe(0x0000);
    expect(f32ToF16(-0)).toBe(0x8000);
    expect(f32ToF16(Infinity)).toBe(0x7c00);
    expect(f32ToF16(-Infinity)).toBe(0xfc00);
  });

  it("round-trips every non-NaN f16", () => {
    for (let h = 0; h < 65536; h++) {
      if ((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0) continue;
      if (f32ToF16(f16ToF32(h)) !== h) throw new Error(`f16 0x${h.toString(16)} does not round-trip`);
    }
  });

  it("rounds ties to even for normals", () => {
    expect(f32ToF16(1 + 2 ** -11)).toBe(0x3c00); // halfway 1 .. 1+2^-10 -> even (1)
    expect(f32ToF16(1 + 3 * 2 ** -11)).toBe(0x3c02); // halfway 1+2^-10 .. 1+2^-9 -> even
    expect(f32ToF16(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01); // just above halfway
    expect(f32ToF16(-(1 + 3 * 2 ** -11))).toBe(0xbc02);
    expect(f32ToF16(1 - 2 ** -12)).toBe(0x3c00); // halfway 1-2^-11 (0x3bff, odd) .. 1 -> 1
    expect(f32ToF16(1 - 2 ** -11)).toBe(0x3bff); // exact
  });

  it("rounds ties to even for subnormals and carries into the normals", () => {
    expect(f32ToF16(2 ** -25)).toBe(0x0000); // halfway 0 .. 2^-24 -> 0
    expect(f32ToF16(1.5 * 2 ** -25)).toBe(0x0001);
    expect(f32ToF16(3 * 2 ** -25)).toBe(0x0002); // halfway 1 .. 2 units -> 2
    expect(f32ToF16(5 * 2 ** -25)).toBe(0x0002); // halfway 2 .. 3 units -> 2
    expect(f32ToF16(1023.5 * TWO_M24)).toBe(0x0400); // halfway largest subnormal .. smallest normal
    expect(f32ToF16(2 ** -30)).toBe(0x0000);
    expect(f32ToF16(-(2 ** -30))).toBe(0x8000);
    expect(f32ToF16(fromF32Bits(1))).toBe(0x0000); // f32 subnormal
  });

  it("overflows to inf from 65520 (the tie above 65504)", () => {
    expect(f32ToF16(65519)).toBe(0x7bff);
    expect(f32ToF16(65520)).toBe(0x7c00);
    expect(f32ToF16(-65520)).toBe(0xfc00);
    expect(f32ToF16(1e10)).toBe(0x7c00);
  });

  it("keeps NaN a NaN", () => {
    const h = f32ToF16(NaN);
    expect(h & 0x7c00).toBe(0x7c00);
    expect(h & 0x3ff).not.toBe(0);
    expect(Number.isNaN(f16ToF32(h))).toBe(true);
  });

  it("rounds its argument to f32 first, like ggml's float parameter", () => {
    // 1 + 2^-11 + 2^-40 is 1 + 2^-11 in f32, an exact tie that goes to 1
    expect(f32ToF16(1 + 2 ** -11 + 2 ** -40)).toBe(0x3c00);
  });
});

describe("bf16", () => {
  it("decodes known bit patterns", () => {
    expect(bf16ToF32(0x3f80)).toBe(1);
    expect(bf16ToF32(0xc000)).toBe(-2);
    expect(bf16ToF32(0x7f80)).toBe(Infinity);
    expect(bf16ToF32(0x0001)).toBe(2 ** -133); // smallest subnormal
    expect(Number.isNaN(bf16ToF32(0x7fc0))).toBe(true);
    expect(bf16ToF32(0x3e80)).toBe(0.25);
  });

  it("encodes with round to nearest even", () => {
    expect(f32ToBf16(1)).toBe(0x3f80);
    expect(f32ToBf16(-2)).toBe(0xc000);
    expect(f32ToBf16(1 + 2 ** -8)).toBe(0x3f80); // tie -> even
    expect(f32ToBf16(1 + 3 * 2 ** -8)).toBe(0x3f82); // tie -> even
    expect(f32ToBf16(1 + 2 ** -8 + 2 ** -20)).toBe(0x3f81);
    expect(f32ToBf16(fromF32Bits(0x7f7fffff))).toBe(0x7f80); // FLT_MAX rounds to inf
    expect(f32ToBf16(Infinity)).toBe(0x7f80);
    expect(f32ToBf16(fromF32Bits(1))).toBe(0x0000);
    expect(f32ToBf16(fromF32Bits(0x00018000))).toBe(0x0002); // subnormal tie -> even
  });

  it("keeps NaN a quiet NaN", () => {
    const b = f32ToBf16(NaN);
    expect(b & 0x7f80).toBe(0x7f80);
    expect(b & 0x40).toBe(0x40);
    expect(Number.isNaN(bf16ToF32(b))).toBe(true);
  });

  it("round-trips every non-NaN bf16", () => {
    for (let b = 0; b < 65536; b++) {
      if ((b & 0x7f80) === 0x7f80 && (b & 0x7f) !== 0) continue;
      if (f32ToBf16(bf16ToF32(b)) !== b) throw new Error(`bf16 0x${b.toString(16)} does not round-trip`);
    }
    expect(f32Bits(bf16ToF32(0x8000))).toBe(0x80000000);
  });
});
