/**
 * The prefix cache's open-addressing hash index against a plain Map, under random inserts and
 * deletes (backward-shift deletion must keep every remaining key findable), with keys that
 * collide on purpose.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HashIndex } from "../../src/engine/kv/hash-index.js";

describe("HashIndex", () => {
  it("agrees with a Map under random inserts and deletes", () => {
    const op = fc.record({ add: fc.boolean(), block: fc.integer({ min: 0, max: 39 }), key: fc.integer({ min: 0, max: 60 }) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), fc.boolean(), (ops, hexKeys) => {
        const numBlocks = 40;
        const hashOf: (string | null)[] = new Array(numBlocks).fill(null);
        const index = new HashIndex(numBlocks, (id) => hashOf[id]!);
        const model = new Map<string, number>();
        // Short keys sharing a long prefix land in few home slots: long probe runs to shift through.
        const keyOf = (k: number) => (hexKeys ? k.toString(16).padStart(16, "0") : `h${k % 7}-${k}`);
        for (const { add, block, key } of ops) {
          const hash = keyOf(key);
          if (add) {
            if (hashOf[block] !== null) continue; // one hash per block
            if (model.has(hash)) {
              // One block per hash: a second block asking for it is refused, and nothing changes.
              expect(index.addIfAbsent(hash, block)).toBe(false);
              continue;
            }
            hashOf[block] = hash;
            if (block % 2 === 0) index.add(hash, block);
            else expect(index.addIfAbsent(hash, block)).toBe(true);
            model.set(hash, block);
          } else {
            const holder = model.get(hash);
            // By hash, or (when indexed) by block id as eviction does.
            if (holder !== undefined && key % 2 === 0) index.deleteBlock(holder);
            else expect(index.delete(hash)).toBe(holder !== undefined);
            if (holder !== undefined) {
              model.delete(hash);
              hashOf[holder] = null;
            }
          }
          expect(index.size).toBe(model.size);
        }
        for (let k = 0; k <= 60; k++) expect(index.get(keyOf(k))).toBe(model.get(keyOf(k)));
        expect([...index.blockIds()].sort((a, b) => a - b)).toEqual([...model.values()].sort((a, b) => a - b));
        index.clear();
        expect(index.size).toBe(0);
        for (let k = 0; k <= 60; k++) expect(index.get(keyOf(k))).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });
});
