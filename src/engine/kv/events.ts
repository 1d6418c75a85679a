import type { BlockHash } from "./block-hash.js";

/**
 * What the prefix cache tells the outside world (a fleet router keeps a per-replica index of
 * cached block hashes from these). The KV manager only queues events; the caller drains them
 * with `takeEvents()`, so the cache never calls anyone and stays pure.
 */
export type KvEvent = KvStoredEvent | KvRemovedEvent | KvClearedEvent;

/**
 * Full blocks whose hashes entered the cache. `blockHashes` is a chain: `blockHashes[0]`'s parent
 * is `parentHash` (null when it is a prompt's first block), each later hash's parent is the one
 * before it. `tokenIds` holds `blockHashes.length * blockSize` ids, block after block.
 */
export interface KvStoredEvent {
  readonly type: "stored";
  readonly blockHashes: readonly BlockHash[];
  readonly parentHash: BlockHash | null;
  readonly tokenIds: readonly number[];
  readonly blockSize: number;
  /** The request's cache salt; it entered only the first block of the chain (see block-hash.ts). */
  readonly salt?: string;
}

/** Cached blocks that were evicted to make room; their hashes no longer hit. */
export interface KvRemovedEvent {
  readonly type: "removed";
  readonly blockHashes: readonly BlockHash[];
}

/** Every hash was dropped at once (`KvCacheManager.reset()`). */
export interface KvClearedEvent {
  readonly type: "cleared";
}
