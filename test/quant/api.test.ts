import { describe, expect, it } from "vitest";
import { dequantize, dotRow, GgmlType, isSupportedWeightType, matmul, quantize } from "../../src/engine/quant/index.js";

describe("quant API contract", () => {
  it("reports which types are supported", () => {
    for (const t of [GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K]) {
      expect(isSupportedWeightType(t)).toBe(true);
    }
    for (const t of [GgmlType.Q5_K, GgmlType.Q4_1, GgmlType.IQ4_NL, GgmlType.I32, 999]) {
      expect(isSupportedWeightType(t)).toBe(false);
    }
  });

  it("names the type in the error for unsupported ones", () => {
    const msg = "tensor type Q5_K is not supported (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K)";
    expect(() => dequantize(GgmlType.Q5_K, new Uint8Array(176), 0, new Float32Array(256), 0, 256)).toThrow(msg);
    expect(() => quantize(GgmlType.Q5_K, new Float32Array(256))).toThrow(msg);
    expect(() => dotRow(GgmlType.Q5_K, new Uint8Array(176), 0, new Float32Array(256), 0, 256)).toThrow(msg);
    expect(() => matmul(GgmlType.Q5_K, new Uint8Array(176), 1, 256, new Float32Array(256), 1, new Float32Array(1))).toThrow(msg);
    expect(() => quantize(123 as GgmlType, new Float32Array(4))).toThrow(/tensor type unknown\(123\) is not supported/);
  });

  it("rejects lengths that are not whole blocks", () => {
    expect(() => quantize(GgmlType.Q8_0, new Float32Array(40))).toThrow(/Q8_0 .*multiple of 32 elements, got 40/);
    expect(() => quantize(GgmlType.Q4_K, new Float32Array(512), 300)).toThrow(/multiple of 256/);
    expect(() => matmul(GgmlType.Q6_K, new Uint8Array(210), 1, 128, new Float32Array(128), 1, new Float32Array(1))).toThrow(
      /multiple of 256/,
    );
  });

  it("rejects ranges that run past the arrays", () => {
    expect(() => dequantize(GgmlType.Q8_0, new Uint8Array(34), 1, new Float32Array(32), 0, 32)).toThrow(RangeError);
    expect(() => dequantize(GgmlType.Q8_0, new Uint8Array(34), 0, new Float32Array(32), 1, 32)).toThrow(RangeError);
    expect(() => dotRow(GgmlType.F32, new Uint8Array(8), 0, new Float32Array(1), 0, 2)).toThrow(RangeError);
    expect(() => matmul(GgmlType.F32, new Uint8Array(16), 2, 2, new Float32Array(4), 2, new Float32Array(3))).toThrow(RangeError);
  });

  it("dequantize writes only out[outOffset .. outOffset+n)", () => {
    const q = quantize(GgmlType.Q4_0, new Float32Array(64).fill(1));
    const out = new Float32Array(70).fill(-5);
    dequantize(GgmlType.Q4_0, q, 18, out, 3, 32);
    expect(out[2]).toBe(-5);
    expect(out.subarray(3, 35).every((v) => Math.abs(v - 1) < 1e-3)).toBe(true);
    expect(out[35]).toBe(-5);
  });

  it("quantize F32/F16/BF16 writes little-endian element bytes", () => {
    expect([...quantize(GgmlType.F32, new Float32Array([1]))]).toEqual([0, 0, 0x80, 0x3f]);
    expect([...quantize(GgmlType.F16, new Float32Array([1, -2]))]).toEqual([0x00, 0x3c, 0x00, 0xc0]);
    expect([...quantize(GgmlType.BF16, new Float32Array([1, -2]))]).toEqual([0x80, 0x3f, 0x00, 0xc0]);
  });
});
