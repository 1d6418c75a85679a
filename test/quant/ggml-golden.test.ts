/**
 * Bytes produced by llama.cpp's own ggml (libggml-base from the node-llama-cpp dev dependency,
 * see fixtures/gen-ggml-golden.py): our decoder must reproduce ggml's dequantized floats bit for
 * bit, and our reference quantizers currently reproduce ggml's `quantize_row_*_ref` bytes exactly.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { dequantize, f32ToBf16, f32ToF16, GgmlType, quantize } from "../../src/engine/quant/index.js";

interface Golden {
  input: string;
  Q8_0: { quantized: string; dequantized: string };
  Q4_0: { quantized: string; dequantized: string };
  Q4_K: { quantized: string; dequantized: string };
  Q6_K: { quantized: string; dequantized: string };
  convert: { f32: string; f16: string; bf16: string };
}

const golden = JSON.parse(
  readFileSync(join(dirname(fileURLToPath(import.meta.url)), "fixtures/ggml-golden.json"), "utf8"),
) as Golden;

const bytes = (b64: string): Uint8Array => new Uint8Array(Buffer.from(b64, "base64"));
const floats = (b64: string): Float32Array => {
  const u = bytes(b64);
  return new Float32Array(u.buffer, u.byteOffset, u.length / 4);
};
const u16s = (b64: string): Uint16Array => {
  const u = bytes(b64);
  return new Uint16Array(u.buffer, u.byteOffset, u.length / 2);
};

const input = floats(golden.input);
const CASES = [
  ["Q8_0", GgmlType.Q8_0],
  ["Q4_0", GgmlType.Q4_0],
  ["Q4_K", GgmlType.Q4_K],
  ["Q6_K", GgmlType.Q6_K],
] as const;

describe("agreement with ggml", () => {
  for (const [name, type] of CASES) {
    it(`${name}: dequantize(ggml bytes) is bit-identical to ggml's dequantize_row`, () => {
      const q = bytes(golden[name].quantized);
      const want = floats(golden[name].dequantized);
      const got = new Float32Array(input.length);
      dequantize(type, q, 0, got, 0, input.length);
      const gotBits = new Uint32Array(got.buffer);
      const wantBits = new Uint32Array(want.slice().buffer);
      expect(gotBits).toEqual(wantBits);
    });

    it(`${name}: quantize(x) matches ggml's quantize_row_ref bytes`, () => {
      expect(quantize(type, input)).toEqual(bytes(golden[name].quantized));
    });
  }

  it("f32 -> f16 and f32 -> bf16 match ggml_fp32_to_fp16 / ggml_fp32_to_bf16", () => {
    const vals = floats(golden.convert.f32);
    const f16 = u16s(golden.convert.f16);
    const bf16 = u16s(golden.convert.bf16);
    for (let i = 0; i < vals.length; i++) {
      if (f32ToF16(vals[i]!) !== f16[i]) throw new Error(`f16(${vals[i]}) = ${f32ToF16(vals[i]!)}, ggml ${f16[i]}`);
      if (f32ToBf16(vals[i]!) !== bf16[i]) throw new Error(`bf16(${vals[i]}) = ${f32ToBf16(vals[i]!)}, ggml ${bf16[i]}`);
    }
  });
});
