import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hashBlock, type KvEvent } from "../../src/engine/kv/index.js";
import { KvCacheManager } from "../../src/engine/kv/index.js";

// Random request streams against small pools (so allocation fails and eviction happens), driven
// like a scheduler would: admit with a prefix lookup, prefill in chunks, decode token by token,
// free on finish or abort. After every operation the manager's invariants hold and the events
// replay into a consistent router-side index.

interface LiveRequest {
  readonly id: string;
  readonly tokens: number[];
  readonly salt: string | undefined;
  numComputedTokens: number;
  /** reset() ran while live: its blocks are never published, so no hit is promised after free. */
  sawReset: boolean;
}

type Op =
  | { kind: "add"; family: number; numSharedTokens: number; suffix: number[]; salt: string | undefined; chunk: number }
  | { kind: "step"; pick: number; chunk: number; decodeToken: number }
  | { kind: "free"; pick: number }
  | { kind: "resubmit"; pick: number; chunk: number }
  | { kind: "reset" };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("add" as const),
      family: fc.nat(2),
      numSharedTokens: fc.nat(14),
      suffix: fc.array(fc.nat(3), { maxLength: 10 }),
      salt: fc.constantFrom(undefined, "tenant"),
      chunk: fc.integer({ min: 1, max: 12 }),
    }),
  },
  {
    weight: 10,
    arbitrary: fc.record({
      kind: fc.constant("step" as const),
      pick: fc.nat(),
      chunk: fc.integer({ min: 1, max: 8 }),
      decodeToken: fc.nat(3),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("free" as const), pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("resubmit" as const), pick: fc.nat(), chunk: fc.integer({ min: 1, max: 12 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: "reset" as const }) },
);

const scenarioArb = fc.record({
  numBlocks: fc.integer({ min: 2, max: 10 }),
  blockSize: fc.constantFrom(1, 2, 4),
  enablePrefixCaching: fc.boolean(),
  ops: fc.array(opArb, { minLength: 1, maxLength: 80, size: "max" }),
});

/** A fleet router's view of this replica, rebuilt from events only; throws on an inconsistent stream. */
class EventIndex {
  readonly hashes = new Set<string>();

  apply(events: readonly KvEvent[], blockSize: number): void {
    for (const event of events) {
      switch (event.type) {
        case "stored": {
          expect(event.blockSize).toBe(blockSize);
          expect(event.tokenIds).toHaveLength(event.blockHashes.length * blockSize);
          let parent = event.parentHash;
          event.blockHashes.forEach((hash, i) => {
            // The event carries enough to recompute its own chain.
            const tokens = event.tokenIds.slice(i * blockSize, (i + 1) * blockSize);
            expect(hashBlock(parent, tokens, parent === null ? event.salt : undefined)).toBe(hash);
            expect(this.hashes.has(hash), "stored twice without removal").toBe(false);
            this.hashes.add(hash);
            parent = hash;
          });
          break;
        }
        case "removed":
          for (const hash of event.blockHashes) {
            expect(this.hashes.has(hash), "removed a hash never stored").toBe(true);
            this.hashes.delete(hash);
          }
          break;
        case "cleared":
          this.hashes.clear();
          break;
      }
    }
  }
}

/** What the random streams exercised, summed over runs: the generator must reach the hard paths. */
const reached = { allocationFailures: 0, prefixHits: 0, evictions: 0, sharedPrefixAdmissions: 0, resets: 0 };

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function runScenario(scenario: Scenario): void {
  const { numBlocks, blockSize, enablePrefixCaching, ops } = scenario;
  const kv = new KvCacheManager({ numBlocks, blockSize, enablePrefixCaching });
  const index = new EventIndex();
  const live: LiveRequest[] = [];
  const finished: Array<{ tokens: number[]; salt: string | undefined }> = [];
  let nextId = 0;

  const admit = (tokens: number[], salt: string | undefined, chunk: number) => {
    const prefix = kv.findCachedPrefix(tokens, salt);
    expect(prefix.numCachedTokens).toBe(prefix.blockIds.length * blockSize);
    expect(prefix.numCachedTokens).toBeLessThan(tokens.length);
    if (!enablePrefixCaching) expect(prefix.blockIds).toEqual([]);
    const target = Math.min(tokens.length, prefix.numCachedTokens + chunk);
    const id = `r${nextId++}`;
    const numFreeBefore = kv.numFreeBlocks;
    if (!kv.allocate(id, target, prefix)) {
      reached.allocationFailures++;
      expect(kv.hasRequest(id)).toBe(false);
      expect(kv.numFreeBlocks).toBe(numFreeBefore);
      return;
    }
    expect([...kv.blockTable(id)].slice(0, prefix.blockIds.length)).toEqual(prefix.blockIds);
    if (prefix.blockIds.length > 0) reached.sharedPrefixAdmissions++;
    kv.commitTokens(id, tokens, target);
    live.push({ id, tokens, salt, numComputedTokens: target, sawReset: false });
  };

  const release = (request: LiveRequest) => {
    expect(kv.free(request.id)).toBe(true);
    expect(kv.free(request.id)).toBe(false);
    live.splice(live.indexOf(request), 1);
    finished.push({ tokens: request.tokens, salt: request.salt });
    if (!enablePrefixCaching || request.sawReset) return;
    // Re-submitting the same prompt right away hits every block it committed (up to the cap).
    const expectedHitBlocks = Math.min(
      Math.floor(request.numComputedTokens / blockSize),
      Math.floor((request.tokens.length - 1) / blockSize),
    );
    const hit = kv.findCachedPrefix(request.tokens, request.salt);
    expect(hit.blockIds.length).toBeGreaterThanOrEqual(expectedHitBlocks);
    if (hit.blockIds.length > 0) reached.prefixHits++;
  };

  for (const op of ops) {
    switch (op.kind) {
      case "add": {
        const family = Array.from({ length: 14 }, (_, i) => 100 * (op.family + 1) + i);
        const tokens = [...family.slice(0, op.numSharedTokens), ...op.suffix];
        if (tokens.length === 0) tokens.push(0);
        admit(tokens, op.salt, op.chunk);
        break;
      }
      case "resubmit": {
        const previous = finished[op.pick % Math.max(1, finished.length)];
        if (previous !== undefined) admit([...previous.tokens], previous.salt, op.chunk);
        break;
      }
      case "step": {
        const request = live[op.pick % Math.max(1, live.length)];
        if (request === undefined) break;
        if (request.numComputedTokens === request.tokens.length) request.tokens.push(op.decodeToken);
        const target = Math.min(request.tokens.length, request.numComputedTokens + op.chunk);
        const numBlocksBefore = kv.numBlocksOf(request.id);
        if (kv.allocate(request.id, target)) {
          kv.commitTokens(request.id, request.tokens, target);
          request.numComputedTokens = target;
        } else {
          expect(kv.numBlocksOf(request.id)).toBe(numBlocksBefore);
        }
        break;
      }
      case "free": {
        const request = live[op.pick % Math.max(1, live.length)];
        if (request !== undefined) release(request);
        break;
      }
      case "reset":
        reached.resets++;
        kv.reset();
        for (const request of live) request.sawReset = true;
        break;
    }
    kv.assertInvariants();
    expect(kv.numFreeBlocks + kv.numUsedBlocks).toBe(numBlocks);
    for (const request of live) expect(kv.numBlocksOf(request.id)).toBe(Math.ceil(request.numComputedTokens / blockSize));
    const events = kv.takeEvents();
    if (!enablePrefixCaching) {
      expect(events).toEqual([]);
      const held = live.flatMap((request) => [...kv.blockTable(request.id)]);
      expect(new Set(held).size).toBe(held.length); // nothing is ever shared
    }
    index.apply(events, blockSize);
    reached.evictions += events.filter((event) => event.type === "removed").length;
    expect(index.hashes.size).toBeGreaterThanOrEqual(kv.numCachedBlocks);
    const stats = kv.prefixCacheStats;
    expect(stats.numHitTokens).toBeLessThanOrEqual(stats.numQueriedTokens);
  }

  for (const request of [...live]) release(request);
  kv.assertInvariants();
  index.apply(kv.takeEvents(), blockSize);
  expect(kv.numRequests).toBe(0);
  expect(kv.numFreeBlocks).toBe(numBlocks);
  expect(kv.numUsedBlocks).toBe(0);
  expect(kv.usage).toBe(0);
  // With nothing referenced, every hash the router knows is a cached-evictable block, and vice versa.
  expect(index.hashes.size).toBe(kv.numCachedBlocks);
}

describe("KV cache manager under random request streams", () => {
  it("keeps its invariants, leaks nothing, and its events replay consistently", () => {
    fc.assert(fc.property(scenarioArb, (scenario) => runScenario(scenario)), { numRuns: 300 });
    for (const [path, count] of Object.entries(reached)) expect(count, `random streams never reached: ${path}`).toBeGreaterThan(20);
  });

  it("a re-submitted identical prompt hits after the pool was churned", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 40 }), fc.constantFrom(1, 2, 4, 16), (promptLength, blockSize) => {
        const kv = new KvCacheManager({ numBlocks: Math.ceil(promptLength / blockSize) + 2, blockSize });
        const prompt = Array.from({ length: promptLength }, (_, i) => (i * 7919) % 50_000);
        kv.allocate("first", promptLength, kv.findCachedPrefix(prompt));
        kv.commitTokens("first", prompt, promptLength);
        kv.free("first");
        kv.allocate("small", 1); // takes an empty block, not the cached prefix
        const hit = kv.findCachedPrefix(prompt);
        expect(hit.numCachedTokens).toBe(Math.floor((promptLength - 1) / blockSize) * blockSize);
        expect(kv.allocate("second", promptLength, hit)).toBe(true);
        kv.free("second");
        kv.free("small");
        kv.assertInvariants();
        expect(kv.numFreeBlocks).toBe(kv.numBlocks);
      }),
      { numRuns: 100 },
    );
  });
});
