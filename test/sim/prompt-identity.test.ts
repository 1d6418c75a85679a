/** Described prompts: block hashes from where the content comes from, equal exactly when the tokens would be. */
import { describe, expect, it } from "vitest";
import { describedBlockHashes } from "../../src/sim/prompt-identity.js";

const seg = (stream: number, id: number, length: number) => ({ stream, id, length });

describe("describedBlockHashes", () => {
  it("shares the blocks of a common prefix of pieces, and no block after the pieces differ", () => {
    // A: 20 tokens of block stream 7, then 10 of its own. B: the same 20, then 12 of another.
    const a = describedBlockHashes([seg(6, 7, 20), seg(2, 1, 10)], 30, 4, undefined, "fast64");
    const b = describedBlockHashes([seg(6, 7, 20), seg(2, 2, 12)], 32, 4, undefined, "fast64");
    expect(a).toHaveLength(7);
    expect(b).toHaveLength(8);
    expect(a.slice(0, 5)).toEqual(b.slice(0, 5));
    expect(a[5]).not.toBe(b[5]);
    // A prompt whose first piece is a shorter start of the same stream shares only whole blocks inside it.
    const c = describedBlockHashes([seg(6, 7, 6), seg(2, 3, 10)], 16, 4, undefined, "fast64");
    expect(c[0]).toBe(a[0]);
    expect(c[1]).not.toBe(a[1]);
    // Salted chains never meet unsalted ones.
    expect(describedBlockHashes([seg(6, 7, 20)], 20, 4, "t", "fast64")[0]).not.toBe(a[0]);
  });

  it("needs segments that cover the prompt", () => {
    expect(() => describedBlockHashes([seg(6, 7, 5)], 12, 4, undefined, "fast64")).toThrow(/cover fewer/);
  });
});
