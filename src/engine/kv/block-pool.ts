import type { BlockHash } from "./block-hash.js";
import { FreeBlockQueue } from "./free-queue.js";
import { HashIndex } from "./hash-index.js";

/** New blocks handed out by `BlockPool.takeFreeBlocks`, and the cached hashes evicted for them. */
export interface TakenBlocks {
  readonly blockIds: readonly number[];
  /** Hashes dropped from the cache, in eviction order (empty when only empty blocks were taken). */
  readonly evictedHashes: readonly BlockHash[];
}

/**
 * `numBlocks` physical KV blocks: a refcount per block, the prefix cache's hash <-> block map, and
 * the free queue. Every block is in exactly one state:
 *   referenced       refCount > 0 (may hold a hash: a full block other requests can share)
 *   empty            refCount 0, no hash: free, holds nothing worth keeping
 *   cached-evictable refCount 0, holds a hash: free, but a later prompt can still hit it
 * The free queue holds exactly the refCount-0 blocks, laid out as [empty ...][cached ...]:
 * released empty blocks go to the FRONT (reused first, so a cached block is never evicted while
 * an empty one is free) and released cached blocks go to the BACK, so the cached part is in
 * release order and allocation evicts the least recently released cached block first (LRU).
 * Hashes change only on referenced blocks (or all at once in `clearHashes`), which keeps the split.
 * Pure bookkeeping over integer ids: no tensors, no I/O, no clock.
 */
export class BlockPool {
  private readonly refCounts: Int32Array;
  private readonly hashOfBlock: Array<BlockHash | null>;
  private readonly blockOfHash: HashIndex;
  private readonly freeQueue: FreeBlockQueue;
  private numCachedFreeBlocks = 0;

  constructor(readonly numBlocks: number) {
    if (!Number.isSafeInteger(numBlocks) || numBlocks < 1) {
      throw new RangeError(`numBlocks must be a positive integer, got ${numBlocks}`);
    }
    this.refCounts = new Int32Array(numBlocks);
    this.hashOfBlock = new Array<BlockHash | null>(numBlocks).fill(null);
    this.blockOfHash = new HashIndex(numBlocks, (id) => this.hashOfBlock[id]!);
    this.freeQueue = new FreeBlockQueue(numBlocks);
  }

  /** Blocks an allocation can take now: empty plus cached-evictable. */
  get numFreeBlocks(): number {
    return this.freeQueue.length;
  }

  /** Cached-evictable blocks: refCount 0 with a hash. */
  get numCachedBlocks(): number {
    return this.numCachedFreeBlocks;
  }

  /** Blocks with refCount > 0. */
  get numUsedBlocks(): number {
    return this.numBlocks - this.freeQueue.length;
  }

  refCount(blockId: number): number {
    return this.refCounts[blockId]!;
  }

  hashOf(blockId: number): BlockHash | null {
    return this.hashOfBlock[blockId]!;
  }

  /** The block registered under `hash`, referenced or cached-evictable; undefined on a miss. */
  blockIdOf(hash: BlockHash): number | undefined {
    return this.blockOfHash.get(hash);
  }

  /** Number of registered hashes (referenced and cached-evictable blocks together). */
  get numHashedBlocks(): number {
    return this.blockOfHash.size;
  }

  /** Free queue head to tail: the order blocks would be handed out (and cached ones evicted). */
  freeQueueOrder(): number[] {
    return this.freeQueue.toArray();
  }

  /**
   * Takes `count` blocks from the head of the free queue, each with refCount 1, dropping the hash of
   * any cached block taken (eviction). All or nothing: null, and nothing changed, if fewer than
   * `count` blocks are free.
   */
  takeFreeBlocks(count: number): TakenBlocks | null {
    if (count > this.freeQueue.length) return null;
    const blockIds: number[] = [];
    const evictedHashes: BlockHash[] = [];
    for (let i = 0; i < count; i++) blockIds.push(this.takeFreeBlock(evictedHashes));
    return { blockIds, evictedHashes };
  }

  /**
   * `takeFreeBlocks(1)` without the allocations: the head block of the free queue, with refCount 1;
   * a cached block's hash is dropped (eviction) and appended to `evictedHashes` unless that is
   * null. Throws when no block is free (check `numFreeBlocks` first).
   */
  takeFreeBlock(evictedHashes: BlockHash[] | null): number {
    const blockId = this.freeQueue.popFront();
    const hash = this.hashOfBlock[blockId]!;
    if (hash !== null) {
      this.blockOfHash.deleteBlock(blockId);
      this.hashOfBlock[blockId] = null;
      this.numCachedFreeBlocks--;
      evictedHashes?.push(hash);
    }
    this.refCounts[blockId] = 1;
    return blockId;
  }

  /** One more reference to a block; a refCount-0 block leaves the free queue (a cache hit revives it). */
  acquire(blockId: number): void {
    if (this.refCounts[blockId] === 0) {
      this.freeQueue.remove(blockId);
      if (this.hashOfBlock[blockId] !== null) this.numCachedFreeBlocks--;
    }
    this.refCounts[blockId]!++;
  }

  /**
   * One reference fewer. At 0 the block joins the free queue: empty blocks at the front, cached
   * ones at the back (see the class comment). Releasing a block nobody references is a double
   * free, a bug in the caller: it throws.
   */
  release(blockId: number): void {
    if (this.refCounts[blockId]! <= 0) throw new Error(`double free: block ${blockId} has refCount ${this.refCounts[blockId]}`);
    if (--this.refCounts[blockId]! > 0) return;
    if (this.hashOfBlock[blockId] === null) {
      this.freeQueue.pushFront(blockId);
    } else {
      this.freeQueue.pushBack(blockId);
      this.numCachedFreeBlocks++;
    }
  }

  /**
   * Registers a referenced, hash-less block under `hash`. Returns false, changing nothing, when
   * another block already holds that hash: the first mapping stays (one block per hash), and this
   * block remains a private copy.
   */
  registerHash(blockId: number, hash: BlockHash): boolean {
    if (this.refCounts[blockId]! <= 0) throw new Error(`block ${blockId} must be referenced to get a hash`);
    if (this.hashOfBlock[blockId] !== null) throw new Error(`block ${blockId} already has a hash`);
    // The index reads a block's hash from hashOfBlock: set it first, undo it on a clash.
    this.hashOfBlock[blockId] = hash;
    if (this.blockOfHash.addIfAbsent(hash, blockId)) return true;
    this.hashOfBlock[blockId] = null;
    return false;
  }

  /** Drops every hash; cached-evictable blocks become empty, in place (queue order is kept). */
  clearHashes(): void {
    this.blockOfHash.clear();
    this.hashOfBlock.fill(null);
    this.numCachedFreeBlocks = 0;
  }

  /** Violations of the class invariants (empty when sound). O(numBlocks); for tests. */
  checkInvariants(): string[] {
    const problems = this.freeQueue.checkInvariants();
    let numCached = 0;
    let numHashed = 0;
    for (let id = 0; id < this.numBlocks; id++) {
      const refCount = this.refCounts[id]!;
      const hash = this.hashOfBlock[id]!;
      if (refCount < 0) problems.push(`block ${id} has refCount ${refCount}`);
      if ((refCount === 0) !== this.freeQueue.has(id)) {
        problems.push(`block ${id} has refCount ${refCount} but is ${this.freeQueue.has(id) ? "" : "not "}in the free queue`);
      }
      if (hash !== null) {
        numHashed++;
        if (refCount === 0) numCached++;
        if (this.blockOfHash.get(hash) !== id) problems.push(`block ${id}'s hash maps to block ${this.blockOfHash.get(hash)}`);
      }
    }
    for (const id of this.blockOfHash.blockIds()) {
      const hash = this.hashOfBlock[id];
      if (hash === null || this.blockOfHash.get(hash) !== id) problems.push(`the hash index lists block ${id}, which holds ${hash === null ? "no hash" : "a hash indexed elsewhere"}`);
    }
    if (numHashed !== this.blockOfHash.size) problems.push(`${numHashed} blocks hold hashes, map has ${this.blockOfHash.size}`);
    if (numCached !== this.numCachedFreeBlocks) problems.push(`${numCached} cached free blocks, counter says ${this.numCachedFreeBlocks}`);
    let seenCached = false;
    for (const id of this.freeQueue.toArray()) {
      const isCached = this.hashOfBlock[id] !== null;
      if (seenCached && !isCached) {
        problems.push(`empty block ${id} sits behind a cached block in the free queue`);
        break;
      }
      seenCached ||= isCached;
    }
    return problems;
  }
}
