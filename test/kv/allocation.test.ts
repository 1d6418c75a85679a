import { describe, expect, it } from "vitest";
import { BlockPool, hashFullBlocks } from "../../src/engine/kv/index.js";
import { checkedManager, range, table } from "./helpers.js";

describe("allocation is all or nothing", () => {
  it("a request that does not fit gets false and the pool is untouched", () => {
    const kv = checkedManager({ numBlocks: 4, blockSize: 4 });
    expect(kv.allocate("a", 9)).toBe(true);
    expect(table(kv, "a")).toEqual([0, 1, 2]);
    expect(kv.allocate("b", 8)).toBe(false);
    expect(kv.hasRequest("b")).toBe(false);
    expect(kv.numBlocksOf("b")).toBe(0);
    expect(kv.numFreeBlocks).toBe(1);

    expect(kv.allocate("a", 12)).toBe(true); // still three blocks
    expect(kv.allocate("a", 5)).toBe(true); // never shrinks
    expect(table(kv, "a")).toEqual([0, 1, 2]);
    expect(kv.allocate("a", 13)).toBe(true);
    expect(table(kv, "a")).toEqual([0, 1, 2, 3]);
    expect(kv.allocate("a", 17)).toBe(false);
    expect(table(kv, "a")).toEqual([0, 1, 2, 3]);
    expect(kv.numFreeBlocks).toBe(0);
    expect(kv.usage).toBe(1);
    expect(kv.takeEvents()).toEqual([]);
  });

  it("evictable prefix blocks count against the free blocks they leave", () => {
    const kv = checkedManager({ numBlocks: 4, blockSize: 4 });
    const shared = range(0, 8);
    kv.allocate("a", 9, kv.findCachedPrefix([...shared, 99]));
    kv.commitTokens("a", [...shared, 99], 9);
    kv.free("a");
    kv.takeEvents();
    expect(kv.freeQueueOrder()).toEqual([2, 3, 1, 0]);

    // 17 tokens = 5 blocks: 2 revived from the cache + 3 new > 4 free.
    const long = [...shared, ...range(300, 9)];
    const prefix = kv.findCachedPrefix(long);
    expect(prefix.blockIds).toEqual([0, 1]);
    expect(kv.allocate("b", 17, prefix)).toBe(false);
    expect(kv.freeQueueOrder()).toEqual([2, 3, 1, 0]);
    expect(kv.numCachedBlocks).toBe(2);
    expect(kv.takeEvents()).toEqual([]);

    // 13 tokens = 4 blocks fits exactly, and the new blocks never evict the prefix.
    expect(kv.allocate("b", 13, prefix)).toBe(true);
    expect(table(kv, "b")).toEqual([0, 1, 2, 3]);
    expect(kv.numCachedBlocks).toBe(0);
  });

  it("a cached prefix evicted before allocate is rejected, not silently reused", () => {
    const kv = checkedManager({ numBlocks: 3, blockSize: 4 });
    const prompt = range(0, 9);
    kv.allocate("a", 9, kv.findCachedPrefix(prompt));
    kv.commitTokens("a", prompt, 9);
    kv.free("a");
    const prefix = kv.findCachedPrefix(prompt);
    expect(prefix.blockIds).toEqual([0, 1]);
    expect(kv.allocate("other", 12)).toBe(true); // evicts 1 and 0
    kv.free("other");
    expect(() => kv.allocate("a2", 9, prefix)).toThrow(/stale cached prefix/);
    expect(kv.hasRequest("a2")).toBe(false);
  });

  it("rejects a cached prefix on a later allocate and bad token counts", () => {
    const kv = checkedManager({ numBlocks: 4, blockSize: 4 });
    const prefix = kv.findCachedPrefix(range(0, 5));
    kv.allocate("a", 5, prefix);
    expect(() => kv.allocate("a", 8, prefix)).toThrow(/first allocate/);
    expect(() => kv.allocate("b", -1)).toThrow(RangeError);
    expect(() => kv.allocate("b", 1.5)).toThrow(RangeError);
    expect(() => kv.blockTable("nobody")).toThrow(RangeError);
    expect(() => kv.commitTokens("nobody", [], 0)).toThrow(RangeError);
  });

  it("a request with zero tokens holds no blocks and frees cleanly", () => {
    const kv = checkedManager({ numBlocks: 2, blockSize: 4 });
    expect(kv.allocate("a", 0)).toBe(true);
    expect(table(kv, "a")).toEqual([]);
    expect(kv.free("a")).toBe(true);
  });
});

describe("free", () => {
  it("freeing twice returns false the second time and leaves the pool whole", () => {
    const kv = checkedManager({ numBlocks: 4, blockSize: 4 });
    kv.allocate("a", 10);
    expect(kv.free("a")).toBe(true);
    expect(kv.free("a")).toBe(false);
    expect(kv.free("never-seen")).toBe(false);
    expect(kv.numFreeBlocks).toBe(4);
  });

  it("without hashes, freed blocks return to the front, so the same ids come back first", () => {
    const kv = checkedManager({ numBlocks: 6, blockSize: 4 });
    kv.allocate("a", 12);
    kv.allocate("b", 4);
    kv.free("a");
    expect(kv.freeQueueOrder()).toEqual([0, 1, 2, 4, 5]);
    kv.allocate("c", 8);
    expect(table(kv, "c")).toEqual([0, 1]);
  });

  it("the pool refuses a real double free", () => {
    const pool = new BlockPool(2);
    const taken = pool.takeFreeBlocks(1)!;
    expect(taken.blockIds).toEqual([0]);
    pool.release(0);
    expect(() => pool.release(0)).toThrow(/double free/);
    expect(pool.checkInvariants()).toEqual([]);
  });
});

describe("two requests computing the same prefix at once", () => {
  const prompt = range(0, 9);
  const hashes = hashFullBlocks(prompt, 4);

  it("the first commit wins; the copy stays private and is reused first when freed", () => {
    const kv = checkedManager({ numBlocks: 8, blockSize: 4 });
    kv.allocate("a", 9, kv.findCachedPrefix(prompt));
    kv.allocate("b", 9, kv.findCachedPrefix(prompt)); // nothing committed yet: no hit
    expect(table(kv, "b")).toEqual([3, 4, 5]);
    kv.commitTokens("a", prompt, 9);
    kv.commitTokens("b", prompt, 9);
    expect(kv.takeEvents()).toEqual([
      { type: "stored", blockHashes: hashes, parentHash: null, tokenIds: range(0, 8), blockSize: 4 },
    ]);
    kv.free("b"); // a's blocks still hold the hashes: b's copies are just empty blocks
    expect(kv.takeEvents()).toEqual([]);
    expect(kv.freeQueueOrder()).toEqual([3, 4, 5, 6, 7]);
    expect(kv.findCachedPrefix(prompt).blockIds).toEqual([0, 1]);
  });

  it("a private copy is published on free if the original was evicted meanwhile", () => {
    const kv = checkedManager({ numBlocks: 6, blockSize: 4 });
    kv.allocate("a", 9, kv.findCachedPrefix(prompt));
    kv.allocate("b", 9, kv.findCachedPrefix(prompt));
    kv.commitTokens("a", prompt, 9);
    kv.commitTokens("b", prompt, 9);
    kv.free("a");
    kv.takeEvents();
    expect(kv.allocate("c", 12)).toBe(true); // 2, then evicts 1 and 0
    expect(table(kv, "c")).toEqual([2, 1, 0]);
    expect(kv.takeEvents()).toEqual([{ type: "removed", blockHashes: [hashes[1], hashes[0]] }]);

    kv.free("b");
    expect(kv.takeEvents()).toEqual([
      { type: "stored", blockHashes: hashes, parentHash: null, tokenIds: range(0, 8), blockSize: 4 },
    ]);
    expect(table(kv, "c")).toEqual([2, 1, 0]);
    expect(kv.findCachedPrefix(prompt).blockIds).toEqual([3, 4]);
  });
});
