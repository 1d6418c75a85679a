import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { extendBlockHashes, hashBlock, hashFullBlocks, KvCacheManager } from "../../src/engine/kv/index.js";
import { range } from "./helpers.js";

/** The documented encoding, written out independently: what a router in any language would implement. */
function referenceHash(parentHex: string | null, tokenIds: number[], salt = ""): string {
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  };
  const parts: Buffer[] = [Buffer.from("flotilla/kv-block/v1\0")];
  if (parentHex === null) {
    const saltBytes = Buffer.from(salt, "utf8");
    parts.push(Buffer.from([0]), u32(saltBytes.length), saltBytes);
  } else {
    parts.push(Buffer.from([1]), Buffer.from(parentHex, "hex"));
  }
  parts.push(u32(tokenIds.length), ...tokenIds.map(u32));
  return createHash("sha256").update(Buffer.concat(parts)).digest("hex");
}

describe("block hashes", () => {
  it("follow the documented encoding", () => {
    const root = hashBlock(null, [1, 2, 3, 4]);
    expect(root).toMatch(/^[0-9a-f]{64}$/);
    expect(root).toBe(referenceHash(null, [1, 2, 3, 4]));
    expect(hashBlock(root, [5, 6, 7, 8])).toBe(referenceHash(root, [5, 6, 7, 8]));
    expect(hashBlock(null, [1, 2, 3, 4], "tenant-α")).toBe(referenceHash(null, [1, 2, 3, 4], "tenant-α"));
  });

  it("are chained: a block's hash depends on every token before it", () => {
    const a = hashFullBlocks([1, 2, 3, 4, 5, 6, 7, 8], 4);
    const b = hashFullBlocks([9, 2, 3, 4, 5, 6, 7, 8], 4);
    expect(a[1]).not.toBe(b[1]);
    expect(hashFullBlocks([1, 2, 3, 4, 5, 6, 7], 4)).toEqual([a[0]]); // a partial block has no hash
  });

  it("are the same across manager instances, and differ by salt in every block", () => {
    const prompt = range(0, 13);
    const stored = (salt?: string) => {
      const kv = new KvCacheManager({ numBlocks: 8, blockSize: 4 });
      kv.allocate("r", prompt.length, kv.findCachedPrefix(prompt, salt));
      kv.commitTokens("r", prompt, prompt.length);
      const [event] = kv.takeEvents();
      if (event?.type !== "stored") throw new Error("expected a stored event");
      return event.blockHashes;
    };
    expect(stored("s")).toEqual(stored("s"));
    expect(stored()).toEqual(hashFullBlocks(prompt, 4));
    const salted = stored("s");
    const unsalted = stored();
    const otherSalt = stored("t");
    for (let i = 0; i < 3; i++) {
      expect(salted[i]).not.toBe(unsalted[i]);
      expect(salted[i]).not.toBe(otherSalt[i]);
    }
  });

  it("salt and tokens cannot be confused", () => {
    // A salt that spells token bytes must not collide with those tokens.
    expect(hashBlock(null, [1], "\u0001\u0000\u0000\u0000")).not.toBe(hashBlock(null, [1, 1]));
    expect(hashBlock(null, [])).not.toBe(hashBlock(null, [0]));
  });

  it("extend incrementally to the same chain", () => {
    const tokens = range(100, 20);
    const hashes: string[] = [];
    extendBlockHashes(hashes, tokens, 2, 4, "s");
    extendBlockHashes(hashes, tokens, 5, 4, "s");
    expect(hashes).toEqual(hashFullBlocks(tokens, 4, "s"));
  });

  it("reject bad input", () => {
    const root = hashBlock(null, [1]);
    expect(() => hashBlock(root, [1], "salt")).toThrow(/first block/);
    expect(() => hashBlock("not-a-hash", [1])).toThrow(RangeError);
    expect(() => hashBlock(null, [-1])).toThrow(RangeError);
    expect(() => hashBlock(null, [1.5])).toThrow(RangeError);
    expect(() => hashBlock(null, [2 ** 32])).toThrow(RangeError);
    expect(() => extendBlockHashes([], [1, 2, 3], 1, 4, undefined)).toThrow(RangeError);
  });

  describe("fast64", () => {
    it("is a 16-hex-digit chain that depends on every token, the salt and the parent", () => {
      const a = hashFullBlocks(range(0, 12), 4, undefined, "fast64");
      expect(a.every((h) => /^[0-9a-f]{16}$/.test(h))).toBe(true);
      expect(hashFullBlocks(range(0, 12), 4, undefined, "fast64")).toEqual(a); // deterministic
      const b = hashFullBlocks([99, ...range(1, 11)], 4, undefined, "fast64");
      expect(b.map((h, i) => h === a[i])).toEqual([false, false, false]); // chained: all differ
      const salted = hashFullBlocks(range(0, 12), 4, "t", "fast64");
      expect(salted.some((h, i) => h === a[i])).toBe(false);
      expect(hashBlock(a[0]!, range(4, 4), undefined, "fast64")).toBe(a[1]);
      expect(hashBlock(null, [1], "\u0001\u0000\u0000\u0000", "fast64")).not.toBe(hashBlock(null, [1, 1], undefined, "fast64"));
      expect(() => hashBlock(a[0]!, [1])).toThrow(/sha256/); // a fast64 parent is not a sha256 one
    });

    it("has no collisions among 200,000 random blocks", () => {
      let seed = 7;
      const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % 50_000;
      const tokens = Array.from({ length: 200_000 * 4 }, rnd);
      const hashes = hashFullBlocks(tokens, 4, undefined, "fast64");
      expect(new Set(hashes).size).toBe(hashes.length);
    });

    it("drives the prefix cache like sha256 does", () => {
      const prompt = range(0, 13);
      for (const hashAlgorithm of ["sha256", "fast64"] as const) {
        const kv = new KvCacheManager({ numBlocks: 8, blockSize: 4, hashAlgorithm });
        kv.allocate("a", prompt.length, kv.findCachedPrefix(prompt));
        kv.commitTokens("a", prompt, prompt.length);
        kv.free("a");
        expect(kv.findCachedPrefix(prompt).numCachedTokens).toBe(12);
        expect(kv.findCachedPrefix(prompt, "other").numCachedTokens).toBe(0);
      }
    });
  });
});
