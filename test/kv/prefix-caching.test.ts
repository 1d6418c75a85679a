import { describe, expect, it } from "vitest";
import { hashFullBlocks } from "../../src/engine/kv/index.js";
import { checkedManager, range, table } from "./helpers.js";

// Stories in the style of vLLM's prefix-caching tests: block size 4, exact block ids everywhere,
// which pins allocation order (free queue head first) and eviction order.

describe("prefix caching: share, free, evict", () => {
  const common = range(0, 12); // three full blocks shared by A and (two of them) B
  const promptA = [...common, 100, 101]; // 3.5 blocks
  const promptB = [...common.slice(0, 8), ...range(200, 6)]; // shares A's first 2 blocks

  it("allocates fresh blocks in order and stores A's full blocks", () => {
    const kv = checkedManager({ numBlocks: 10, blockSize: 4 });
    const prefixA = kv.findCachedPrefix(promptA);
    expect(prefixA.blockIds).toEqual([]);
    expect(prefixA.numCachedTokens).toBe(0);
    expect(prefixA.blockHashes).toEqual(hashFullBlocks(promptA, 4));
    expect(kv.allocate("a", promptA.length, prefixA)).toBe(true);
    expect(table(kv, "a")).toEqual([0, 1, 2, 3]);

    kv.commitTokens("a", promptA, promptA.length);
    expect(kv.takeEvents()).toEqual([
      { type: "stored", blockHashes: prefixA.blockHashes, parentHash: null, tokenIds: common, blockSize: 4 },
    ]);
    expect(kv.numUsedBlocks).toBe(4);
    expect(kv.numFreeBlocks).toBe(6);
    expect(kv.usage).toBeCloseTo(0.4);
  });

  it("B hits A's first two blocks, then free and eviction go tail first, LRU", () => {
    const kv = checkedManager({ numBlocks: 10, blockSize: 4 });
    const prefixA = kv.findCachedPrefix(promptA);
    kv.allocate("a", promptA.length, prefixA);
    kv.commitTokens("a", promptA, promptA.length);
    kv.takeEvents();

    const prefixB = kv.findCachedPrefix(promptB);
    expect(prefixB.blockIds).toEqual([0, 1]);
    expect(prefixB.numCachedTokens).toBe(8);
    expect(kv.prefixCacheStats).toEqual({ numLookups: 2, numQueriedTokens: 28, numHitTokens: 8 });
    expect(kv.allocate("b", promptB.length, prefixB)).toBe(true);
    expect(table(kv, "b")).toEqual([0, 1, 4, 5]);
    expect(kv.numUsedBlocks).toBe(6); // 0 and 1 are shared, counted once

    kv.commitTokens("b", promptB, promptB.length);
    const hashesB = hashFullBlocks(promptB, 4);
    expect(kv.takeEvents()).toEqual([
      { type: "stored", blockHashes: [hashesB[2]], parentHash: prefixA.blockHashes[1], tokenIds: [200, 201, 202, 203], blockSize: 4 },
    ]);

    // A releases 3 (partial: empty -> front), 2 (cached -> back), then 1 and 0 stay held by B.
    expect(kv.free("a")).toBe(true);
    expect(kv.freeQueueOrder()).toEqual([3, 6, 7, 8, 9, 2]);
    expect(kv.numCachedBlocks).toBe(1);
    // B releases 5 (front), then 4, 1, 0 to the back in that order: its first block is evicted last.
    expect(kv.free("b")).toBe(true);
    expect(kv.freeQueueOrder()).toEqual([5, 3, 6, 7, 8, 9, 2, 4, 1, 0]);
    expect(kv.numCachedBlocks).toBe(4);
    expect(kv.numFreeBlocks).toBe(10);
    expect(kv.usage).toBe(0);

    // C needs 8 blocks: all six empty ones first, then the two least recently released cached ones.
    const promptC = range(1000, 29);
    expect(kv.allocate("c", promptC.length, kv.findCachedPrefix(promptC))).toBe(true);
    expect(table(kv, "c")).toEqual([5, 3, 6, 7, 8, 9, 2, 4]);
    expect(kv.takeEvents()).toEqual([{ type: "removed", blockHashes: [prefixA.blockHashes[2], hashesB[2]] }]);

    // The shared prefix survived.
    expect(kv.findCachedPrefix(promptA).blockIds).toEqual([0, 1]);
    expect(kv.findCachedPrefix(promptB).blockIds).toEqual([0, 1]);
  });

  it("a hit refreshes recency: re-used blocks are evicted after blocks released before them", () => {
    const kv = checkedManager({ numBlocks: 6, blockSize: 4 });
    const promptA = range(0, 9);
    const promptX = range(50, 9);
    const hashesA = hashFullBlocks(promptA, 4);
    const hashesX = hashFullBlocks(promptX, 4);

    kv.allocate("a", 9, kv.findCachedPrefix(promptA));
    kv.commitTokens("a", promptA, 9);
    kv.free("a");
    expect(kv.freeQueueOrder()).toEqual([2, 3, 4, 5, 1, 0]);

    kv.allocate("x", 9, kv.findCachedPrefix(promptX));
    expect(table(kv, "x")).toEqual([2, 3, 4]);
    kv.commitTokens("x", promptX, 9);
    kv.free("x");
    expect(kv.freeQueueOrder()).toEqual([4, 5, 1, 0, 3, 2]);

    // A again: hits 0 and 1 (they leave the queue), takes one empty block.
    const again = kv.findCachedPrefix(promptA);
    expect(again.blockIds).toEqual([0, 1]);
    kv.allocate("a2", 9, again);
    expect(table(kv, "a2")).toEqual([0, 1, 4]);
    expect(kv.freeQueueOrder()).toEqual([5, 3, 2]);
    kv.free("a2");
    expect(kv.freeQueueOrder()).toEqual([4, 5, 3, 2, 1, 0]);
    kv.takeEvents();

    // Five blocks: the empties 4, 5, then X's tail, X's head, then A's tail. A's first block stays.
    expect(kv.allocate("y", 20)).toBe(true);
    expect(table(kv, "y")).toEqual([4, 5, 3, 2, 1]);
    expect(kv.takeEvents()).toEqual([{ type: "removed", blockHashes: [hashesX[1], hashesX[0], hashesA[1]] }]);
    expect(kv.findCachedPrefix(promptA).blockIds).toEqual([0]);
    expect(kv.findCachedPrefix(promptX).blockIds).toEqual([]);
  });

  it("never hits the whole prompt: the last token is always computed", () => {
    const kv = checkedManager({ numBlocks: 8, blockSize: 4 });
    const prompt = range(0, 8); // exactly two blocks
    kv.allocate("a", 8, kv.findCachedPrefix(prompt));
    kv.commitTokens("a", prompt, 8);
    kv.free("a");
    const hit = kv.findCachedPrefix(prompt);
    expect(hit.blockIds).toEqual([0]);
    expect(hit.numCachedTokens).toBe(4);
    expect(kv.findCachedPrefix(range(0, 9)).blockIds).toEqual([0, 1]);
    expect(kv.findCachedPrefix([]).blockIds).toEqual([]);
    expect(kv.findCachedPrefix([0]).blockIds).toEqual([]);
  });

  it("decode fills blocks and commits them as they fill, chained to the prompt", () => {
    const kv = checkedManager({ numBlocks: 8, blockSize: 4 });
    const tokens = range(0, 6);
    kv.allocate("a", 6, kv.findCachedPrefix(tokens));
    kv.commitTokens("a", tokens, 6);
    const [prompt] = kv.takeEvents();
    expect(prompt).toMatchObject({ type: "stored", parentHash: null, tokenIds: [0, 1, 2, 3] });

    tokens.push(40);
    expect(kv.allocate("a", 7)).toBe(true);
    kv.commitTokens("a", tokens, 7);
    expect(kv.takeEvents()).toEqual([]);
    tokens.push(41);
    kv.allocate("a", 8);
    kv.commitTokens("a", tokens, 8);
    const hashes = hashFullBlocks(tokens, 4);
    expect(kv.takeEvents()).toEqual([
      { type: "stored", blockHashes: [hashes[1]], parentHash: hashes[0], tokenIds: [4, 5, 40, 41], blockSize: 4 },
    ]);
    expect(table(kv, "a")).toEqual([0, 1]);
    tokens.push(42);
    kv.allocate("a", 9);
    expect(table(kv, "a")).toEqual([0, 1, 2]);
  });

  it("chunked prefill commits only the blocks computed so far", () => {
    const kv = checkedManager({ numBlocks: 8, blockSize: 4 });
    const prompt = range(0, 14);
    const prefix = kv.findCachedPrefix(prompt);
    kv.allocate("a", 6, prefix);
    kv.commitTokens("a", prompt, 6);
    expect(kv.takeEvents()).toEqual([
      { type: "stored", blockHashes: [prefix.blockHashes[0]], parentHash: null, tokenIds: range(0, 4), blockSize: 4 },
    ]);
    kv.allocate("a", 14);
    kv.commitTokens("a", prompt, 14);
    expect(kv.takeEvents()).toEqual([
      { type: "stored", blockHashes: prefix.blockHashes.slice(1, 3), parentHash: prefix.blockHashes[0], tokenIds: range(4, 8), blockSize: 4 },
    ]);
    expect(() => kv.commitTokens("a", prompt, 15)).toThrow(RangeError);
  });
});
