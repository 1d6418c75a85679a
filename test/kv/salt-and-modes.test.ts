import { describe, expect, it } from "vitest";
import { hashFullBlocks } from "../../src/engine/kv/index.js";
import { checkedManager, range, table } from "./helpers.js";

describe("cache salt", () => {
  const prompt = range(0, 9);

  it("requests with different salts never share blocks", () => {
    const kv = checkedManager({ numBlocks: 8, blockSize: 4 });
    kv.allocate("t1", 9, kv.findCachedPrefix(prompt, "tenant-1"));
    kv.commitTokens("t1", prompt, 9);
    const [stored] = kv.takeEvents();
    expect(stored).toEqual({
      type: "stored",
      blockHashes: hashFullBlocks(prompt, 4, "tenant-1"),
      parentHash: null,
      tokenIds: range(0, 8),
      blockSize: 4,
      salt: "tenant-1",
    });

    const other = kv.findCachedPrefix(prompt, "tenant-2");
    expect(other.blockIds).toEqual([]);
    kv.allocate("t2", 9, other);
    expect(table(kv, "t2")).toEqual([3, 4, 5]);
    kv.commitTokens("t2", prompt, 9);
    expect(kv.takeEvents()).toHaveLength(1); // both tenants' blocks are cached side by side

    expect(kv.findCachedPrefix(prompt).blockIds).toEqual([]); // unsalted never sees salted blocks
    expect(kv.findCachedPrefix(prompt, "tenant-1").blockIds).toEqual([0, 1]);
    expect(kv.findCachedPrefix(prompt, "tenant-2").blockIds).toEqual([3, 4]);
  });

  it("an empty salt is no salt", () => {
    const kv = checkedManager({ numBlocks: 8, blockSize: 4 });
    kv.allocate("a", 9, kv.findCachedPrefix(prompt, ""));
    kv.commitTokens("a", prompt, 9);
    expect(kv.takeEvents()[0]).not.toHaveProperty("salt");
    expect(kv.findCachedPrefix(prompt).blockIds).toEqual([0, 1]);
  });
});

describe("prefix caching off", () => {
  it("never shares, hashes nothing, records no events or lookups", () => {
    const kv = checkedManager({ numBlocks: 6, blockSize: 4, enablePrefixCaching: false });
    const prompt = range(0, 9);
    const first = kv.findCachedPrefix(prompt);
    expect(first).toEqual({ blockIds: [], numCachedTokens: 0, blockHashes: [], salt: undefined });
    kv.allocate("a", 9, first);
    kv.commitTokens("a", prompt, 9);
    kv.allocate("b", 9, kv.findCachedPrefix(prompt));
    expect(table(kv, "b")).toEqual([3, 4, 5]);
    kv.free("a");
    expect(kv.numCachedBlocks).toBe(0);
    expect(kv.freeQueueOrder()).toEqual([0, 1, 2]);
    expect(kv.findCachedPrefix(prompt).blockIds).toEqual([]);
    kv.reset();
    expect(kv.takeEvents()).toEqual([]);
    expect(kv.prefixCacheStats).toEqual({ numLookups: 0, numQueriedTokens: 0, numHitTokens: 0 });
  });
});

describe("reset", () => {
  it("drops every hash, emits cleared, keeps counters; live requests never publish afterwards", () => {
    const kv = checkedManager({ numBlocks: 8, blockSize: 4 });
    const prompt = range(0, 9);
    kv.allocate("a", 9, kv.findCachedPrefix(prompt));
    kv.commitTokens("a", prompt, 9);
    kv.free("a");
    kv.allocate("live", 9, kv.findCachedPrefix(range(50, 9)));
    kv.takeEvents();
    const stats = kv.prefixCacheStats;

    kv.reset();
    expect(kv.takeEvents()).toEqual([{ type: "cleared" }]);
    expect(kv.numCachedBlocks).toBe(0);
    expect(kv.prefixCacheStats).toEqual(stats);
    expect(kv.findCachedPrefix(prompt).blockIds).toEqual([]);

    kv.commitTokens("live", range(50, 9), 9);
    kv.free("live");
    expect(kv.takeEvents()).toEqual([]);
    expect(kv.numCachedBlocks).toBe(0);
    expect(kv.numFreeBlocks).toBe(8);
  });
});

describe("events", () => {
  it("recordEvents: false queues nothing", () => {
    const kv = checkedManager({ numBlocks: 4, blockSize: 4, recordEvents: false });
    const prompt = range(0, 9);
    kv.allocate("a", 9, kv.findCachedPrefix(prompt));
    kv.commitTokens("a", prompt, 9);
    kv.reset();
    expect(kv.takeEvents()).toEqual([]);
  });

  it("takeEvents drains the queue", () => {
    const kv = checkedManager({ numBlocks: 4, blockSize: 4 });
    kv.reset();
    expect(kv.takeEvents()).toHaveLength(1);
    expect(kv.takeEvents()).toEqual([]);
  });
});
