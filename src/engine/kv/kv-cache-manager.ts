import { type BlockHash, type BlockHashAlgorithm, extendBlockHashes, hashFullBlocks, sliceTokens } from "./block-hash.js";
import { BlockPool } from "./block-pool.js";
import { BlockTable } from "./block-table.js";
import type { KvEvent } from "./events.js";

export interface KvCacheConfig {
  /** Physical blocks in the pool (see `numBlocksForMemory`). */
  readonly numBlocks: number;
  /** Tokens per block; default 16. */
  readonly blockSize?: number;
  /** Share full blocks across requests by content hash; default true. Off: no hashing, no events. */
  readonly enablePrefixCaching?: boolean;
  /** How full blocks are hashed (see BlockHash); default "sha256". */
  readonly hashAlgorithm?: BlockHashAlgorithm;
  /** Queue events for `takeEvents()`; default true. Turn off when nobody drains them (they would pile up). */
  readonly recordEvents?: boolean;
}

/**
 * The answer of a prefix-cache lookup; pass it to the request's first `allocate` even when it found
 * nothing, because it also carries the salt and the prompt's block hashes (a prompt is hashed
 * once, not again at commit). Valid until the next `allocate` or `reset` (either may evict the
 * blocks it names); `allocate` throws on a stale prefix.
 */
export interface CachedPrefix {
  /** Cached blocks holding the prompt's first `blockIds.length` blocks, in order. */
  readonly blockIds: readonly number[];
  /** blockIds.length * blockSize, always below the prompt length (the last token is recomputed for logits). */
  readonly numCachedTokens: number;
  /** Hashes of every full block of the prompt, hit or not (empty with prefix caching off). */
  readonly blockHashes: readonly BlockHash[];
  /** The request's cache salt; an empty salt is normalised to undefined. */
  readonly salt: string | undefined;
}

/** Prefix-cache lookup counters, cumulative since construction (`reset()` keeps them: they feed Prometheus counters). */
export interface PrefixCacheStats {
  /** Lookups made (`findCachedPrefix*` calls with prefix caching on). */
  readonly numLookups: number;
  /** Prompt tokens looked up. */
  readonly numQueriedTokens: number;
  /** Prompt tokens found in the cache. */
  readonly numHitTokens: number;
}

interface RequestKv {
  readonly table: BlockTable;
  /** Hashes of the request's full blocks known so far: the prompt's (from the lookup), then more as blocks fill. */
  readonly blockHashes: BlockHash[];
  readonly salt: string | undefined;
  /** Blocks [0, numCommittedBlocks) are full, computed, and were offered to the cache. */
  numCommittedBlocks: number;
  /**
   * Committed blocks that stayed private copies (another block held their hash at commit time),
   * by block index, with their token ids for the `stored` event should `free` publish them. Rare:
   * only when two requests compute the same prefix at once.
   */
  readonly privateCopies: Map<number, readonly number[]>;
  /** False once `reset()` ran while the request was live: its KV predates the reset and is never published. */
  cacheable: boolean;
}

const NO_HASHES: readonly BlockHash[] = Object.freeze([]);

/**
 * Paged KV cache bookkeeping with automatic prefix caching, per request id. Pure, deterministic
 * and synchronous: it holds block ids, refcounts and hashes (never tensors), reads no clock and
 * does no I/O, so the engine and the simulator run the same code. Allocation failure is a `false`
 * return; the scheduler decides what to preempt. Mutating calls: `findCachedPrefix*` (stats only),
 * `allocate`, `commitTokens`, `free`, `reset`, `takeEvents`.
 *
 * Request lifecycle: `findCachedPrefix(prompt, salt)` -> `allocate(id, n, prefix)` -> after each
 * step `commitTokens(id, tokens, numComputed)` and `allocate(id, more)` -> `free(id)` on finish,
 * abort or preemption.
 *
 * Eviction order (see BlockPool): a request's blocks are released tail first; empty blocks are
 * reused before any cached block; cached blocks are evicted least recently released first. So the
 * last block of a finished request goes first and shared prefixes live longest.
 */
export class KvCacheManager {
  readonly numBlocks: number;
  readonly blockSize: number;
  readonly enablePrefixCaching: boolean;
  readonly hashAlgorithm: BlockHashAlgorithm;
  private readonly recordEvents: boolean;
  private readonly pool: BlockPool;
  private readonly requests = new Map<string, RequestKv>();
  private events: KvEvent[] = [];
  private numLookups = 0;
  private numQueriedTokens = 0;
  private numHitTokens = 0;

  constructor(config: KvCacheConfig) {
    const blockSize = config.blockSize ?? 16;
    if (!Number.isSafeInteger(blockSize) || blockSize < 1) throw new RangeError(`blockSize must be a positive integer, got ${blockSize}`);
    this.pool = new BlockPool(config.numBlocks);
    this.numBlocks = config.numBlocks;
    this.blockSize = blockSize;
    this.enablePrefixCaching = config.enablePrefixCaching ?? true;
    this.hashAlgorithm = config.hashAlgorithm ?? "sha256";
    this.recordEvents = config.recordEvents ?? true;
  }

  /** Blocks an allocation can take now, counting cached-evictable ones. */
  get numFreeBlocks(): number {
    return this.pool.numFreeBlocks;
  }

  /** Blocks nobody references that still hold a cached full block (a later prompt can hit them). */
  get numCachedBlocks(): number {
    return this.pool.numCachedBlocks;
  }

  /** Blocks referenced by at least one request. */
  get numUsedBlocks(): number {
    return this.pool.numUsedBlocks;
  }

  /** Fraction of the pool in use, in [0, 1] (vLLM's kv_cache_usage): cached-evictable blocks count as free. */
  get usage(): number {
    return this.pool.numUsedBlocks / this.numBlocks;
  }

  get prefixCacheStats(): PrefixCacheStats {
    return { numLookups: this.numLookups, numQueriedTokens: this.numQueriedTokens, numHitTokens: this.numHitTokens };
  }

  /** Number of requests holding a block table. */
  get numRequests(): number {
    return this.requests.size;
  }

  hasRequest(requestId: string): boolean {
    return this.requests.has(requestId);
  }

  /**
   * The longest run of the prompt's full blocks already cached, capped at
   * floor((len - 1) / blockSize) blocks so at least one token is left to compute (the engine needs
   * its logits). Hashes the prompt once; a scheduler that looks a waiting request up every step can
   * keep `blockHashes` and call `findCachedPrefixOfHashes` instead. Counts toward `prefixCacheStats`.
   */
  findCachedPrefix(tokenIds: ArrayLike<number>, salt?: string): CachedPrefix {
    const normalisedSalt = salt === "" ? undefined : salt;
    if (!this.enablePrefixCaching) return { blockIds: [], numCachedTokens: 0, blockHashes: NO_HASHES, salt: normalisedSalt };
    return this.findCachedPrefixOfHashes(hashFullBlocks(tokenIds, this.blockSize, normalisedSalt, this.hashAlgorithm), tokenIds.length, normalisedSalt);
  }

  /**
   * Hashes of every full block of `tokenIds`, reusing `known`: hashes of its first blocks, as an
   * earlier call gave them (tokens are only ever appended, so they still hold). Only the blocks
   * past them are hashed: a request preempted after generating tokens is not rehashed from its
   * first token. Empty with prefix caching off.
   */
  blockHashesOf(tokenIds: ArrayLike<number>, salt?: string, known: readonly BlockHash[] = NO_HASHES): readonly BlockHash[] {
    if (!this.enablePrefixCaching) return NO_HASHES;
    const numFullBlocks = Math.floor(tokenIds.length / this.blockSize);
    if (known.length >= numFullBlocks) return known.length === numFullBlocks ? known : known.slice(0, numFullBlocks);
    const hashes = known.slice();
    extendBlockHashes(hashes, tokenIds, numFullBlocks, this.blockSize, salt === "" ? undefined : salt, this.hashAlgorithm);
    return hashes;
  }

  /** `findCachedPrefix` for a prompt of `numPromptTokens` tokens whose full-block hashes are known. */
  findCachedPrefixOfHashes(blockHashes: readonly BlockHash[], numPromptTokens: number, salt?: string): CachedPrefix {
    const normalisedSalt = salt === "" ? undefined : salt;
    if (!this.enablePrefixCaching) return { blockIds: [], numCachedTokens: 0, blockHashes: NO_HASHES, salt: normalisedSalt };
    const maxHitBlocks = Math.min(blockHashes.length, Math.max(0, Math.floor((numPromptTokens - 1) / this.blockSize)));
    const blockIds: number[] = [];
    for (let i = 0; i < maxHitBlocks; i++) {
      const blockId = this.pool.blockIdOf(blockHashes[i]!);
      if (blockId === undefined) break;
      blockIds.push(blockId);
    }
    const numCachedTokens = blockIds.length * this.blockSize;
    this.numLookups++;
    this.numQueriedTokens += numPromptTokens;
    this.numHitTokens += numCachedTokens;
    return { blockIds, numCachedTokens, blockHashes, salt: normalisedSalt };
  }

  /**
   * Makes the request's block table cover `numTokensTotal` tokens. The first call creates the table
   * and may pass `cachedPrefix` (from `findCachedPrefix` just before): its blocks are shared
   * (refcount + 1, leaving the evictable queue; when freed again they count as recently used).
   * New blocks come from the free queue head, evicting cached blocks when no empty one is left.
   * All or nothing: returns false and changes nothing when the pool is short. Never shrinks a table.
   */
  allocate(requestId: string, numTokensTotal: number, cachedPrefix?: CachedPrefix): boolean {
    if (!Number.isSafeInteger(numTokensTotal) || numTokensTotal < 0) {
      throw new RangeError(`numTokensTotal must be a non-negative integer, got ${numTokensTotal}`);
    }
    const numBlocksNeeded = Math.ceil(numTokensTotal / this.blockSize);
    const request = this.requests.get(requestId);
    if (request !== undefined) {
      if (cachedPrefix !== undefined) throw new Error(`request ${requestId} already has blocks; a cached prefix is for its first allocate`);
      const numNewBlocks = numBlocksNeeded - request.table.length;
      if (numNewBlocks <= 0) return true;
      if (numNewBlocks > this.pool.numFreeBlocks) return false;
      this.takeInto(request.table, numNewBlocks);
      return true;
    }

    const prefixBlockIds = cachedPrefix?.blockIds ?? [];
    this.checkPrefix(prefixBlockIds, cachedPrefix, numTokensTotal);
    // Cached-evictable prefix blocks leave the free queue too, so they count against what is free.
    let numRevivedBlocks = 0;
    for (const blockId of prefixBlockIds) if (this.pool.refCount(blockId) === 0) numRevivedBlocks++;
    const numNewBlocks = Math.max(0, numBlocksNeeded - prefixBlockIds.length);
    if (numNewBlocks + numRevivedBlocks > this.pool.numFreeBlocks) return false;

    // Acquire the prefix before taking new blocks, so the eviction below cannot pick it.
    for (const blockId of prefixBlockIds) this.pool.acquire(blockId);
    const table = new BlockTable(prefixBlockIds.length + numNewBlocks);
    for (const blockId of prefixBlockIds) table.push(blockId);
    this.takeInto(table, numNewBlocks);
    this.requests.set(requestId, {
      table,
      blockHashes: this.enablePrefixCaching ? [...(cachedPrefix?.blockHashes ?? [])] : [],
      salt: cachedPrefix?.salt,
      numCommittedBlocks: prefixBlockIds.length,
      privateCopies: new Map(),
      cacheable: true,
    });
    return true;
  }

  /** Appends `count` free blocks (the caller checked there are enough) to `table`, queuing a `removed` event for evicted hashes. */
  private takeInto(table: BlockTable, count: number): void {
    const evicted: BlockHash[] | null = this.recordEvents ? [] : null;
    for (let k = 0; k < count; k++) table.push(this.pool.takeFreeBlock(evicted));
    if (evicted !== null) this.emitRemoved(evicted);
  }

  /**
   * After a step computed the request's tokens up to `numComputedTokens` (`allTokenIds` holds at
   * least that many: prompt, then generated), registers every newly full block in the prefix cache
   * and queues `stored` events for them. A block whose hash another block already holds stays a
   * private copy (the existing mapping wins); `free` publishes it if the other copy is gone by then.
   * No-op with prefix caching off.
   */
  commitTokens(requestId: string, allTokenIds: ArrayLike<number>, numComputedTokens: number): void {
    const request = this.requestOrThrow(requestId);
    if (!this.enablePrefixCaching || !request.cacheable) return;
    if (!Number.isSafeInteger(numComputedTokens) || numComputedTokens < 0 || numComputedTokens > allTokenIds.length) {
      throw new RangeError(`numComputedTokens must be an integer in [0, ${allTokenIds.length}], got ${numComputedTokens}`);
    }
    if (numComputedTokens > request.table.length * this.blockSize) {
      throw new RangeError(`request ${requestId} computed ${numComputedTokens} tokens but holds only ${request.table.length} blocks`);
    }
    const numFullBlocks = Math.floor(numComputedTokens / this.blockSize);
    if (numFullBlocks <= request.numCommittedBlocks) return;
    extendBlockHashes(request.blockHashes, allTokenIds, numFullBlocks, this.blockSize, request.salt, this.hashAlgorithm);
    const registered: number[] | null = this.recordEvents ? [] : null;
    for (let i = request.numCommittedBlocks; i < numFullBlocks; i++) {
      if (this.pool.registerHash(request.table.at(i), request.blockHashes[i]!)) registered?.push(i);
      else request.privateCopies.set(i, this.blockTokens(allTokenIds, i));
    }
    request.numCommittedBlocks = numFullBlocks;
    if (registered !== null) this.emitStored(request, registered, (i) => this.blockTokens(allTokenIds, i));
  }

  /**
   * Releases the request's blocks, tail first (so its last block is evicted first and its prefix
   * survives longest), and forgets the request. Before releasing, full blocks that stayed private
   * copies are published if their hash is no longer cached. Returns false for an unknown or
   * already-freed id (the engine frees on both abort and finish). A refcount going below zero is a
   * real double free and throws.
   */
  free(requestId: string): boolean {
    const request = this.requests.get(requestId);
    if (request === undefined) return false;
    if (this.enablePrefixCaching && request.cacheable) this.publishPrivateCopies(request);
    for (let i = request.table.length - 1; i >= 0; i--) this.pool.release(request.table.at(i));
    this.requests.delete(requestId);
    return true;
  }

  /**
   * The request's physical block ids in logical order, as a view (no copy) valid until its next
   * `allocate`. Throws for an unknown id.
   */
  blockTable(requestId: string): Int32Array {
    return this.requestOrThrow(requestId).table.view();
  }

  /** Blocks the request holds; 0 for an unknown id. */
  numBlocksOf(requestId: string): number {
    return this.requests.get(requestId)?.table.length ?? 0;
  }

  /**
   * Drops the whole prefix cache and queues a `cleared` event (e.g. after a weight update). Live
   * requests keep their blocks but never publish them afterwards: their KV predates the reset.
   * No-op with prefix caching off (there is no cache, and no events are ever queued).
   */
  reset(): void {
    if (!this.enablePrefixCaching) return;
    this.pool.clearHashes();
    for (const request of this.requests.values()) request.cacheable = false;
    this.emit({ type: "cleared" });
  }

  /** Queued events, oldest first; the queue is emptied. */
  takeEvents(): KvEvent[] {
    const events = this.events;
    this.events = [];
    return events;
  }

  /** Free queue head to tail: the order blocks are handed out (cached ones evicted). For tests and debugging. */
  freeQueueOrder(): number[] {
    return this.pool.freeQueueOrder();
  }

  /**
   * Violations of the manager's invariants, empty when sound. O(numBlocks + table sizes); for tests.
   * Every block is exactly one of empty / referenced / cached-evictable; refcounts equal the number
   * of tables holding the block; hashes and the hash map agree; no table holds a block twice.
   */
  checkInvariants(): string[] {
    const problems = this.pool.checkInvariants();
    const numHolders = new Int32Array(this.numBlocks);
    for (const [requestId, request] of this.requests) {
      const ids = request.table.view();
      if (new Set(ids).size !== ids.length) problems.push(`request ${requestId} holds a block twice`);
      for (const blockId of ids) {
        if (blockId < 0 || blockId >= this.numBlocks) problems.push(`request ${requestId} holds block id ${blockId}`);
        else numHolders[blockId]!++;
      }
      if (request.numCommittedBlocks > ids.length) problems.push(`request ${requestId} committed more blocks than it holds`);
      if (this.enablePrefixCaching && request.blockHashes.length < request.numCommittedBlocks) {
        problems.push(`request ${requestId} committed blocks without hashes`);
      }
      for (let i = 0; i < Math.min(request.numCommittedBlocks, request.blockHashes.length); i++) {
        const hash = this.pool.hashOf(ids[i]!);
        if (hash !== null && hash !== request.blockHashes[i]) problems.push(`request ${requestId} block ${i} holds a foreign hash`);
      }
    }
    for (let blockId = 0; blockId < this.numBlocks; blockId++) {
      if (numHolders[blockId] !== this.pool.refCount(blockId)) {
        problems.push(`block ${blockId} has refCount ${this.pool.refCount(blockId)} but ${numHolders[blockId]} holders`);
      }
    }
    if (!this.enablePrefixCaching && this.pool.numHashedBlocks > 0) problems.push("prefix caching is off but blocks hold hashes");
    return problems;
  }

  /** Throws with every violation listed; for tests. */
  assertInvariants(): void {
    const problems = this.checkInvariants();
    if (problems.length > 0) throw new Error(`KV cache invariants violated:\n  ${problems.join("\n  ")}`);
  }

  private checkPrefix(prefixBlockIds: readonly number[], cachedPrefix: CachedPrefix | undefined, numTokensTotal: number): void {
    if (cachedPrefix === undefined) return;
    if (cachedPrefix.numCachedTokens !== prefixBlockIds.length * this.blockSize) {
      throw new RangeError(`cached prefix of ${prefixBlockIds.length} blocks cannot hold ${cachedPrefix.numCachedTokens} tokens`);
    }
    if (numTokensTotal < cachedPrefix.numCachedTokens) {
      throw new RangeError(`numTokensTotal ${numTokensTotal} is below the cached prefix's ${cachedPrefix.numCachedTokens} tokens`);
    }
    for (let i = 0; i < prefixBlockIds.length; i++) {
      const hash = cachedPrefix.blockHashes[i];
      if (hash === undefined || this.pool.blockIdOf(hash) !== prefixBlockIds[i]) {
        throw new Error(`stale cached prefix: block ${prefixBlockIds[i]} no longer holds prompt block ${i} (look it up again after allocate/reset)`);
      }
    }
  }

  /**
   * Registers the request's committed full blocks that stayed private copies because another block
   * held the same hash at commit time, if that other block has been evicted since. Without this a
   * prompt computed concurrently by two requests could drop out of the cache while a copy survives.
   */
  private publishPrivateCopies(request: RequestKv): void {
    if (request.privateCopies.size === 0) return;
    const published: number[] = [];
    for (const blockIndex of [...request.privateCopies.keys()].sort((a, b) => a - b)) {
      if (this.pool.registerHash(request.table.at(blockIndex), request.blockHashes[blockIndex]!)) published.push(blockIndex);
    }
    this.emitStored(request, published, (i) => request.privateCopies.get(i)!);
  }

  private blockTokens(allTokenIds: ArrayLike<number>, blockIndex: number): number[] {
    return sliceTokens(allTokenIds, blockIndex * this.blockSize, (blockIndex + 1) * this.blockSize);
  }

  /**
   * One `stored` event per run of consecutive indices in `blockIndices` (ascending), so each event
   * is a hash chain hanging off its `parentHash`.
   */
  private emitStored(request: RequestKv, blockIndices: readonly number[], tokensOfBlock: (blockIndex: number) => readonly number[]): void {
    if (!this.recordEvents) return;
    let runStart = 0;
    for (let k = 1; k <= blockIndices.length; k++) {
      if (k < blockIndices.length && blockIndices[k] === blockIndices[k - 1]! + 1) continue;
      const first = blockIndices[runStart]!;
      const run = blockIndices.slice(runStart, k);
      this.emit({
        type: "stored",
        blockHashes: run.map((i) => request.blockHashes[i]!),
        parentHash: first === 0 ? null : request.blockHashes[first - 1]!,
        tokenIds: run.flatMap((i) => tokensOfBlock(i)),
        blockSize: this.blockSize,
        ...(request.salt === undefined ? {} : { salt: request.salt }),
      });
      runStart = k;
    }
  }

  private emitRemoved(evictedHashes: readonly BlockHash[]): void {
    if (evictedHashes.length > 0) this.emit({ type: "removed", blockHashes: evictedHashes });
  }

  private emit(event: KvEvent): void {
    if (this.recordEvents) this.events.push(event);
  }

  private requestOrThrow(requestId: string): RequestKv {
    const request = this.requests.get(requestId);
    if (request === undefined) throw new RangeError(`unknown request ${requestId}`);
    return request;
  }
}

