export { BLOCK_HASH_ALGORITHMS, hashBlock, hashFullBlocks, extendBlockHashes, type BlockHash, type BlockHashAlgorithm } from "./block-hash.js";
export { BlockPool, type TakenBlocks } from "./block-pool.js";
export { BlockTable } from "./block-table.js";
export type { KvEvent, KvStoredEvent, KvRemovedEvent, KvClearedEvent } from "./events.js";
export { FreeBlockQueue } from "./free-queue.js";
export { KvCacheManager, type KvCacheConfig, type CachedPrefix, type PrefixCacheStats } from "./kv-cache-manager.js";
export { numBlocksForMemory, kvBytesPerBlock, parseByteSize, ByteSizeError, type KvBlockLayout, type KvCacheDtype } from "./memory.js";
