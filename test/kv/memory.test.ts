import { describe, expect, it } from "vitest";
import { ByteSizeError, kvBytesPerBlock, numBlocksForMemory, parseByteSize } from "../../src/engine/kv/memory.js";

describe("numBlocksForMemory", () => {
  // Llama-2-7B: 32 layers, 32 KV heads of 128, f16, 16-token blocks -> 8 MiB per block.
  const llama7b = { numLayers: 32, numKvHeads: 32, headDim: 128, blockSize: 16, dtype: "f16" } as const;

  it("divides memory by the bytes of K and V for every layer", () => {
    expect(kvBytesPerBlock(llama7b)).toBe(2 * 32 * 16 * 32 * 128 * 2);
    expect(numBlocksForMemory(2 * 2 ** 30, llama7b)).toBe(256);
    expect(numBlocksForMemory(2 * 2 ** 30 - 1, llama7b)).toBe(255);
    expect(numBlocksForMemory(0, llama7b)).toBe(0);
    expect(numBlocksForMemory(2 * 2 ** 30, { ...llama7b, dtype: "f32" })).toBe(128);
    // GQA (8 KV heads) fits four times as many blocks.
    expect(numBlocksForMemory(2 * 2 ** 30, { ...llama7b, numKvHeads: 8 })).toBe(1024);
  });

  it("rejects nonsense shapes", () => {
    expect(() => numBlocksForMemory(-1, llama7b)).toThrow(RangeError);
    expect(() => numBlocksForMemory(1e6, { ...llama7b, numLayers: 0 })).toThrow(/numLayers/);
    expect(() => numBlocksForMemory(1e6, { ...llama7b, headDim: 1.5 })).toThrow(/headDim/);
  });
});

describe("parseByteSize", () => {
  it.each([
    ["1000000", 1_000_000],
    ["0", 0],
    ["512B", 512],
    ["2GiB", 2 * 2 ** 30],
    ["512MiB", 512 * 2 ** 20],
    ["1.5GB", 1_500_000_000],
    ["1.5KiB", 1536],
    ["4 kib", 4096],
    [" 3TB ", 3e12],
    ["1TiB", 2 ** 40],
    ["0.5MB", 500_000],
    [".5KB", 500],
  ])("%j is %d bytes", (input, expected) => {
    expect(parseByteSize(input)).toBe(expected);
  });

  it.each([
    ["", /expected a number/],
    ["GiB", /expected a number/],
    ["-1GiB", /expected a number/],
    ["2XB", /unknown unit "XB"/],
    ["2 G", /unknown unit "G"/],
    ["1e9", /expected a number/],
    ["99999999999TiB", /too large/],
  ])("%j is rejected", (input, message) => {
    expect(() => parseByteSize(input)).toThrow(ByteSizeError);
    expect(() => parseByteSize(input)).toThrow(message);
  });
});
