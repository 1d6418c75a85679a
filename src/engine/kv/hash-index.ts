import type { BlockHash } from "./block-hash.js";

const EMPTY = -1;

/**
 * The prefix cache's hash -> block id index: an open-addressing table (linear probing, deletion by
 * backward shift, so no tombstones) over Int32Arrays. Keys are not stored here: a slot holds a
 * block id and the key is that block's hash in the pool's `hashOfBlock`, so the table allocates
 * nothing per entry (a `Map` of millions of short-lived string keys was most of a long
 * simulation's bookkeeping). At most one hash per block, so at most `numBlocks` entries: the table
 * has at least twice as many slots and never grows.
 */
export class HashIndex {
  private readonly slots: Int32Array;
  /**
   * Each indexed block's key hash (32 bits; its home slot is the low bits). Probes compare these
   * first and read a block's hash string only on a match: a string lives elsewhere in the heap,
   * and reading one per probed slot made the table miss the cache on every step.
   */
  private readonly keyHashOf: Int32Array;
  private readonly mask: number;
  private count = 0;

  constructor(
    numBlocks: number,
    /** The hash a block holds (only read for blocks in the table). */
    private readonly hashOf: (blockId: number) => BlockHash | null,
  ) {
    let capacity = 16;
    while (capacity < 2 * numBlocks) capacity *= 2;
    this.slots = new Int32Array(capacity).fill(EMPTY);
    this.keyHashOf = new Int32Array(numBlocks);
    this.mask = capacity - 1;
  }

  get size(): number {
    return this.count;
  }

  /** The block indexed under `hash`, or undefined. */
  get(hash: BlockHash): number | undefined {
    const slots = this.slots;
    const key = keyHash(hash);
    for (let i = key & this.mask; ; i = (i + 1) & this.mask) {
      const id = slots[i]!;
      if (id === EMPTY) return undefined;
      if (this.keyHashOf[id] === key && this.hashOf(id) === hash) return id;
    }
  }

  /** Indexes `blockId` under `hash`; the caller guarantees neither is indexed already. */
  add(hash: BlockHash, blockId: number): void {
    if (!this.addIfAbsent(hash, blockId)) throw new Error(`hash ${hash} is indexed already`);
  }

  /**
   * Indexes `blockId` (not indexed yet) under `hash` unless some block already is: one probe for
   * the lookup and the insertion. Returns whether it was added.
   */
  addIfAbsent(hash: BlockHash, blockId: number): boolean {
    const slots = this.slots;
    const key = keyHash(hash);
    let i = key & this.mask;
    for (let id = slots[i]!; id !== EMPTY; id = slots[i]!) {
      if (this.keyHashOf[id] === key && this.hashOf(id) === hash) return false;
      i = (i + 1) & this.mask;
    }
    slots[i] = blockId;
    this.keyHashOf[blockId] = key;
    this.count++;
    return true;
  }

  /** Drops `hash` (still the hash of its block when called); false when it was not indexed. */
  delete(hash: BlockHash): boolean {
    const slots = this.slots;
    const mask = this.mask;
    const key = keyHash(hash);
    for (let i = key & mask; ; i = (i + 1) & mask) {
      const id = slots[i]!;
      if (id === EMPTY) return false;
      if (this.keyHashOf[id] === key && this.hashOf(id) === hash) {
        this.removeSlot(i);
        return true;
      }
    }
  }

  /**
   * Drops the entry of `blockId`, which must be indexed (an evicted block): found by its stored
   * key hash and id alone, without reading its hash string (cold in memory by eviction time).
   */
  deleteBlock(blockId: number): void {
    const slots = this.slots;
    const mask = this.mask;
    for (let i = this.keyHashOf[blockId]! & mask; ; i = (i + 1) & mask) {
      const id = slots[i]!;
      if (id === EMPTY) throw new Error(`block ${blockId} is not in the hash index`);
      if (id === blockId) {
        this.removeSlot(i);
        return;
      }
    }
  }

  /**
   * Empties slot i by backward shift: later entries of its probe run move into the hole unless
   * that would put them before their home slot (so no tombstones are needed).
   */
  private removeSlot(i: number): void {
    const slots = this.slots;
    const mask = this.mask;
    for (let j = (i + 1) & mask; slots[j] !== EMPTY; j = (j + 1) & mask) {
      const home = this.keyHashOf[slots[j]!]! & mask;
      const reachable = i <= j ? home <= i || home > j : home <= i && home > j;
      if (reachable) {
        slots[i] = slots[j]!;
        i = j;
      }
    }
    slots[i] = EMPTY;
    this.count--;
  }

  clear(): void {
    this.slots.fill(EMPTY);
    this.count = 0;
  }

  /** Indexed block ids, in table order (for invariant checks). */
  *blockIds(): IterableIterator<number> {
    for (const id of this.slots) if (id !== EMPTY) yield id;
  }

}

/**
 * FNV-1a over the first 8 characters, then a finaliser (an int32). A block hash is a hex digest,
 * so its first 8 characters alone carry 32 random bits: more than the table's index needs.
 */
function keyHash(hash: BlockHash): number {
  let h = 0x811c9dc5;
  const len = Math.min(hash.length, 8);
  for (let k = 0; k < len; k++) h = Math.imul(h ^ hash.charCodeAt(k), 0x01000193);
  h ^= hash.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h | 0;
}
