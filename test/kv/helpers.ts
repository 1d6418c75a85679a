import { KvCacheManager, type KvCacheConfig } from "../../src/engine/kv/index.js";

/** [start, start + count) as token ids. */
export function range(start: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start + i);
}

/** A manager that checks its invariants after every mutating call, so stories fail where they break. */
export function checkedManager(config: KvCacheConfig): KvCacheManager {
  const manager = new KvCacheManager(config);
  for (const method of ["allocate", "commitTokens", "free", "reset"] as const) {
    const original = manager[method].bind(manager) as (...args: unknown[]) => unknown;
    Object.defineProperty(manager, method, {
      value: (...args: unknown[]) => {
        const result = original(...args);
        manager.assertInvariants();
        return result;
      },
    });
  }
  return manager;
}

/** Block table as a plain array, for toEqual. */
export function table(manager: KvCacheManager, requestId: string): number[] {
  return [...manager.blockTable(requestId)];
}
