/**
 * `Scheduler.decodeRunLength` / `advanceDecodes` (the simulator's fast path): running k decode
 * steps at once must leave requests and the KV cache exactly as k `plan` + `commit` pairs would —
 * same block ids, same evictions, same prefix-cache contents and counters — and a run must never
 * cover a step that finishes, admits or preempts a request.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KvCacheManager } from "../../src/engine/kv/kv-cache-manager.js";
import type { RequestSpec } from "../../src/engine/scheduler/request.js";
import { Scheduler } from "../../src/engine/scheduler/scheduler.js";

const TOKEN = 7;

interface Setup {
  readonly numBlocks: number;
  readonly blockSize: number;
  readonly maxNumSeqs: number;
  readonly maxNumBatchedTokens: number;
  readonly maxModelLen: number;
  readonly requests: readonly RequestSpec[];
}

function build(setup: Setup): Scheduler {
  const kv = new KvCacheManager({ numBlocks: setup.numBlocks, blockSize: setup.blockSize, hashAlgorithm: "fast64", recordEvents: false });
  // As the engine: no sequence outgrows the pool (or preempting it could never make room).
  const maxModelLen = Math.min(setup.maxModelLen, setup.numBlocks * setup.blockSize);
  return new Scheduler({ maxNumSeqs: setup.maxNumSeqs, maxNumBatchedTokens: setup.maxNumBatchedTokens, maxModelLen }, kv);
}

/** One ordinary step: every sampled position gets TOKEN. Returns the ids that finished. */
function step(s: Scheduler, now: number): string[] {
  const plan = s.plan(now);
  const sampled = new Map<string, number>();
  for (const e of plan.scheduled) if (e.sample) sampled.set(e.requestId, TOKEN);
  return s.commit(plan, sampled).flatMap((o) => (o.finishReason !== undefined ? [o.requestId] : []));
}

/** Everything observable about a scheduler and its cache. */
function snapshot(s: Scheduler, ids: readonly string[]) {
  const kv = s.kv;
  return {
    requests: ids.map((id) => {
      const r = s.get(id);
      return r === undefined ? null : { tokens: r.tokenIds.length, computed: r.numComputedTokens, status: r.status.kind, blocks: kv.hasRequest(id) ? [...kv.blockTable(id)] : [] };
    }),
    freeQueue: kv.freeQueueOrder(),
    numCached: kv.numCachedBlocks,
    stats: kv.prefixCacheStats,
    sched: s.stats,
  };
}

const setupArb = fc
  .record({
    numBlocks: fc.integer({ min: 12, max: 60 }),
    blockSize: fc.integer({ min: 1, max: 6 }),
    maxNumSeqs: fc.integer({ min: 1, max: 6 }),
    maxNumBatchedTokens: fc.integer({ min: 4, max: 40 }),
    maxModelLen: fc.integer({ min: 24, max: 64 }),
    prompts: fc.array(
      fc.record({ len: fc.integer({ min: 1, max: 20 }), family: fc.integer({ min: 0, max: 2 }), maxTokens: fc.integer({ min: 1, max: 30 }), arriveAt: fc.integer({ min: 0, max: 30 }) }),
      { minLength: 1, maxLength: 8 },
    ),
    runFraction: fc.double({ min: 0.2, max: 1, noNaN: true }),
  })
  .map((r) => ({
    ...r,
    requests: r.prompts.map((p, i) => ({
      id: `r${i}`,
      // Families share prefixes, so commits and evictions of equal hashes interleave.
      promptTokenIds: Array.from({ length: p.len }, (_, j) => (p.family === 0 ? 1000 * i + j : 100 * p.family + j)),
      maxTokens: p.maxTokens,
      arrivalTime: p.arriveAt,
    })),
  }));

describe("decode runs", () => {
  it("advance exactly as the same number of single steps would", () => {
    let runSteps = 0;
    fc.assert(
      fc.property(setupArb, (setup) => {
        const stepped = build(setup);
        const jumped = build(setup);
        const ids = setup.requests.map((r) => r.id);
        const pending = [...setup.requests].sort((a, b) => a.arrivalTime - b.arrivalTime);
        let now = 0;
        for (let guard = 0; guard < 2000 && (pending.length > 0 || stepped.hasUnfinished); guard++) {
          while (pending.length > 0 && pending[0]!.arrivalTime <= now) {
            const spec = pending.shift()!;
            for (const s of [stepped, jumped]) {
              try {
                s.add(spec);
              } catch (e) {
                if (!(e instanceof RangeError)) throw e;
              }
            }
          }
          // Run up to the next arrival, as the simulator does.
          const untilArrival = pending.length > 0 ? pending[0]!.arrivalTime - now : Number.MAX_SAFE_INTEGER;
          const k = jumped.decodeRunLength(TOKEN, untilArrival);
          expect(k).toBe(stepped.decodeRunLength(TOKEN, untilArrival));
          const m = Math.max(0, Math.min(k, Math.ceil(k * setup.runFraction)));
          if (m > 0) {
            runSteps += m;
            for (let j = 0; j < m; j++) {
              const before = stepped.stats;
              expect(step(stepped, now + j)).toEqual([]); // a run never covers a finishing step
              expect(stepped.stats).toEqual(before); // nor an admission or a preemption
            }
            jumped.advanceDecodes(m, TOKEN);
            now += m;
          } else {
            const a = step(stepped, now);
            const b = step(jumped, now);
            expect(b).toEqual(a);
            now++;
          }
          expect(snapshot(jumped, ids)).toEqual(snapshot(stepped, ids));
          jumped.kv.assertInvariants();
        }
        expect(stepped.hasUnfinished).toBe(false);
        expect(jumped.plan(now).stepId).toBe(stepped.plan(now).stepId); // a run counts its steps
      }),
      { numRuns: 200 },
    );
    expect(runSteps).toBeGreaterThan(1000); // the property was about runs, not only single steps
  });

  it("stop before a request's last token, a stop token, or a step the free blocks cannot cover", () => {
    const setup: Setup = { numBlocks: 6, blockSize: 4, maxNumSeqs: 4, maxNumBatchedTokens: 16, maxModelLen: 64, requests: [] };
    const s = build(setup);
    s.add({ id: "a", promptTokenIds: [1, 2, 3], maxTokens: 10, arrivalTime: 0 });
    s.add({ id: "b", promptTokenIds: [4, 5, 6, 7, 8], maxTokens: 30, arrivalTime: 0 });
    step(s, 0); // both prompts: a holds 1 block (3 tokens), b holds 2 (5 tokens); each sampled 1 token
    // a has 9 tokens to go, the 9th finishes it: 8 steps before that. But 3 blocks are free; a
    // needs new ones at positions 4 and 8, b at 8 and 12 (step 7): 7 steps fit.
    expect(s.decodeRunLength(TOKEN, 100)).toBe(7);
    expect(s.decodeRunLength(TOKEN, 5)).toBe(5);
    // A token that stops a request ends the run before its first step.
    const t = build(setup);
    t.add({ id: "c", promptTokenIds: [1, 2], maxTokens: 10, arrivalTime: 0, eosTokenIds: new Set([TOKEN]), minTokens: 3 });
    step(t, 0); // 1 output token; EOS ignored among the first 3
    expect(t.decodeRunLength(TOKEN, 100)).toBe(2);
    expect(t.decodeRunLength(TOKEN + 1, 100)).toBe(8);
    // Too few blocks: two requests of 2 blocks each in a pool of 5; both need a third block at
    // position 8 (step 3), one is free: 3 steps run (positions 5, 6, 7).
    const u = build({ ...setup, numBlocks: 5 });
    u.add({ id: "b", promptTokenIds: [4, 5, 6, 7, 8], maxTokens: 30, arrivalTime: 0 });
    u.add({ id: "d", promptTokenIds: [9, 5, 6, 7, 8], maxTokens: 30, arrivalTime: 0 });
    step(u, 0);
    expect(u.decodeRunLength(TOKEN, 100)).toBe(3);
    expect(() => u.advanceDecodes(4, TOKEN)).toThrow(/cannot advance/);
  });
});
