/**
 * The scheduler alone, driven by a deterministic stand-in for the model: the "sampled" token is
 * a hash of every token before it, so any schedule must reproduce a request's solo output
 * exactly (what the real engine guarantees for greedy decoding).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KvCacheManager } from "../../src/engine/kv/kv-cache-manager.js";
import type { RequestSpec } from "../../src/engine/scheduler/request.js";
import { Scheduler, type SchedulerConfig } from "../../src/engine/scheduler/scheduler.js";
import type { StepPlan } from "../../src/engine/scheduler/step-plan.js";

const VOCAB = 1000;
const EOS = 999;

/** Next token as a pure function of the sequence so far (never EOS unless asked). */
function nextToken(tokens: readonly number[]): number {
  let h = 2166136261;
  for (const t of tokens) h = Math.imul(h ^ t, 16777619) >>> 0;
  return h % (VOCAB - 1);
}

function makeScheduler(config: Partial<SchedulerConfig> = {}, kv: { numBlocks?: number; blockSize?: number; enablePrefixCaching?: boolean } = {}) {
  const cache = new KvCacheManager({ numBlocks: kv.numBlocks ?? 64, blockSize: kv.blockSize ?? 4, enablePrefixCaching: kv.enablePrefixCaching ?? true });
  return new Scheduler({ maxNumSeqs: 8, maxNumBatchedTokens: 64, maxModelLen: 256, ...config }, cache);
}

function spec(id: string, prompt: number[], extra: Partial<RequestSpec> = {}): RequestSpec {
  return { id, promptTokenIds: prompt, maxTokens: 8, arrivalTime: 0, eosTokenIds: new Set([EOS]), ...extra };
}

/** Executes a plan with the stand-in model and commits it. */
function step(s: Scheduler, now = 0): { plan: StepPlan; outputs: ReturnType<Scheduler["commit"]> } {
  const plan = s.plan(now);
  const sampled = new Map<string, number>();
  for (const e of plan.scheduled) {
    if (e.sample) sampled.set(e.requestId, nextToken(s.get(e.requestId)!.tokenIds));
  }
  return { plan, outputs: s.commit(plan, sampled) };
}

function runToEnd(s: Scheduler, maxSteps = 10_000): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (let i = 0; s.hasUnfinished; i++) {
    if (i >= maxSteps) throw new Error("scheduler did not finish");
    for (const o of step(s, i).outputs) {
      if (o.newTokenId !== undefined) out.set(o.requestId, [...(out.get(o.requestId) ?? []), o.newTokenId]);
    }
    s.kv.assertInvariants();
  }
  return out;
}

const range = (n: number, from = 1) => Array.from({ length: n }, (_, i) => from + i);

describe("plans", () => {
  it("decodes first, then prompt chunks, under the token budget", () => {
    const s = makeScheduler({ maxNumBatchedTokens: 8 });
    s.add(spec("a", range(3)));
    s.add(spec("b", range(3, 10)));
    step(s); // both prompts (3 + 3 tokens) fit in one step
    s.add(spec("c", range(20, 100)));
    const { plan } = step(s);
    expect(plan.scheduled.map((e) => [e.requestId, e.numScheduledTokens, e.sample])).toEqual([
      ["a", 1, true],
      ["b", 1, true],
      ["c", 6, false], // chunked: 8 - 2 decodes
    ]);
    expect(plan.numBatchedTokens).toBe(8);
    const next = step(s).plan;
    // c is running now but is not a decode: a and b still go first.
    expect(next.scheduled.map((e) => [e.requestId, e.numScheduledTokens])).toEqual([["a", 1], ["b", 1], ["c", 6]]);
  });

  it("caps running sequences at maxNumSeqs", () => {
    const s = makeScheduler({ maxNumSeqs: 2 });
    for (const id of ["a", "b", "c"]) s.add(spec(id, range(4)));
    expect(step(s).plan.scheduled.map((e) => e.requestId)).toEqual(["a", "b"]);
    expect(s.stats).toMatchObject({ numRunning: 2, numWaiting: 1 });
  });

  it("is deterministic: same inputs and times, same plans", () => {
    const record = () => {
      const s = makeScheduler({ maxNumBatchedTokens: 5 }, { numBlocks: 12 });
      const plans: StepPlan[] = [];
      for (let i = 0; i < 6; i++) s.add(spec(`r${i}`, range(3 + i * 2, i * 7), { arrivalTime: i }));
      for (let t = 0; s.hasUnfinished; t++) plans.push(step(s, t).plan);
      return JSON.stringify(plans);
    };
    expect(record()).toBe(record());
  });

  it("reuses a cached prefix and skips its tokens", () => {
    const s = makeScheduler({}, { blockSize: 4 });
    s.add(spec("a", range(10)));
    runToEnd(s);
    s.add(spec("b", [...range(8), 500, 501]));
    const { plan } = step(s);
    expect(plan.scheduled[0]).toMatchObject({ requestId: "b", numComputedTokens: 8, numScheduledTokens: 2 });
    expect(s.get("b")!.numCachedPromptTokens).toBe(8);
  });

  it("takes the prompt's block hashes from the caller when given, and checks their count", () => {
    const s = makeScheduler({}, { blockSize: 4 });
    s.add(spec("a", range(10)));
    runToEnd(s);
    // Placeholder tokens, but a's hashes for the first two blocks: the prefix is found by hash.
    const hashesOfA = s.kv.blockHashesOf(range(10));
    s.add(spec("b", Array.from({ length: 10 }, () => 0), { promptBlockHashes: hashesOfA }));
    const { plan } = step(s);
    expect(plan.scheduled[0]).toMatchObject({ requestId: "b", numComputedTokens: 8, numScheduledTokens: 2 });
    expect(() => s.add(spec("c", range(10), { promptBlockHashes: hashesOfA.slice(0, 1) }))).toThrow(/one hash per full prompt block \(2\), got 1/);
  });
});

describe("block hashes", () => {
  it("blockHashesOf extends known hashes (tokens only get appended) and equals hashing from scratch", () => {
    const kv = new KvCacheManager({ numBlocks: 16, blockSize: 4, hashAlgorithm: "fast64" });
    const tokens = range(18);
    const all = kv.blockHashesOf(tokens, "tenant");
    expect(all).toHaveLength(4);
    expect(kv.blockHashesOf(tokens, "tenant", all.slice(0, 2))).toEqual(all);
    expect(kv.blockHashesOf(tokens.slice(0, 9), "tenant", all)).toEqual(all.slice(0, 2));
    // Known hashes are trusted, not recomputed: a foreign first hash carries into the rest of the chain.
    const foreign = kv.blockHashesOf(range(4, 100), "tenant");
    expect(kv.blockHashesOf(tokens, "tenant", foreign)[1]).not.toBe(all[1]);
    expect(new KvCacheManager({ numBlocks: 16, blockSize: 4, enablePrefixCaching: false }).blockHashesOf(tokens)).toEqual([]);
  });
});

describe("stop conditions", () => {
  it("max tokens, EOS, stop token ids, min tokens, context length", () => {
    const s = makeScheduler({ maxModelLen: 12 });
    const solo = (prompt: number[]) => {
      const t = [...prompt];
      const out: number[] = [];
      for (let i = 0; i < 8; i++) {
        const n = nextToken(t);
        t.push(n);
        out.push(n);
      }
      return out;
    };
    const pa = range(3);
    const expectedA = solo(pa);
    s.add(spec("len", pa, { maxTokens: 5 }));
    s.add(spec("stoptok", pa, { id: "stoptok", stopTokenIds: new Set([expectedA[2]!]) }));
    s.add(spec("mintok", pa, { stopTokenIds: new Set([expectedA[0]!]), minTokens: 1, maxTokens: 3 }));
    s.add(spec("ctx", range(9, 50), { maxTokens: 100 }));
    const outs: Record<string, { tokens: number[]; reason?: string }> = {};
    while (s.hasUnfinished) {
      for (const o of step(s).outputs) {
        const r = (outs[o.requestId] ??= { tokens: [] });
        if (o.newTokenId !== undefined) r.tokens.push(o.newTokenId);
        if (o.finishReason) r.reason = o.finishReason;
      }
    }
    expect(outs.len).toEqual({ tokens: expectedA.slice(0, 5), reason: "length" });
    expect(outs.stoptok).toEqual({ tokens: expectedA.slice(0, 3), reason: "stop" });
    // The stop token at position 0 is ignored (min 1 token); nothing else stops it before 3.
    expect(outs.mintok!.tokens).toEqual(expectedA.slice(0, 3));
    expect(outs.ctx).toEqual({ tokens: expect.any(Array), reason: "length" });
    expect(outs.ctx!.tokens).toHaveLength(12 - 9);
  });

  it("EOS ends a request unless it is not in eosTokenIds", () => {
    const s = makeScheduler();
    s.add(spec("a", range(3)));
    const plan = s.plan(0);
    const out = s.commit(plan, new Map([["a", EOS]]));
    expect(out).toEqual([{ requestId: "a", newTokenId: EOS, finishReason: "stop" }]);
    expect(s.kv.numUsedBlocks).toBe(0);
  });
});

describe("preemption and abort", () => {
  it("FCFS preempts the newest; priority the least important; both resume with the same output", () => {
    for (const policy of ["fcfs", "priority"] as const) {
      const solo = new Map<string, number[]>();
      const prompts = { low: range(8, 10), high: range(8, 30), mid: range(8, 50) };
      const prio = { low: 5, high: 0, mid: 1 };
      for (const [id, p] of Object.entries(prompts)) {
        const s1 = makeScheduler({ policy }, { numBlocks: 64 });
        s1.add(spec(id, p, { maxTokens: 12 }));
        solo.set(id, runToEnd(s1).get(id)!);
      }
      // 8 blocks of 4 tokens: three requests of 8 + 12 tokens cannot all fit.
      const s = makeScheduler({ policy }, { numBlocks: 8 });
      s.add(spec("low", prompts.low, { maxTokens: 12, priority: prio.low, arrivalTime: 0 }));
      s.add(spec("high", prompts.high, { maxTokens: 12, priority: prio.high, arrivalTime: 1 }));
      s.add(spec("mid", prompts.mid, { maxTokens: 12, priority: prio.mid, arrivalTime: 2 }));
      const firstVictims: string[] = [];
      const out = new Map<string, number[]>();
      while (s.hasUnfinished) {
        const { plan, outputs } = step(s);
        if (firstVictims.length === 0) firstVictims.push(...plan.preempted);
        for (const o of outputs) if (o.newTokenId !== undefined) out.set(o.requestId, [...(out.get(o.requestId) ?? []), o.newTokenId]);
        s.kv.assertInvariants();
      }
      expect(s.stats.numPreemptions).toBeGreaterThan(0);
      // FCFS: the newest (mid) goes first; priority: the lowest priority (low, value 5).
      expect(firstVictims[0]).toBe(policy === "fcfs" ? "mid" : "low");
      for (const id of Object.keys(prompts)) expect(out.get(id), `${policy} ${id}`).toEqual(solo.get(id));
      expect(s.kv.numFreeBlocks).toBe(8);
    }
  });

  it("abort frees blocks at once, waiting or running", () => {
    const s = makeScheduler({ maxNumSeqs: 1 }, { numBlocks: 16 });
    s.add(spec("run", range(10)));
    s.add(spec("wait", range(10)));
    step(s);
    expect(s.kv.numUsedBlocks).toBeGreaterThan(0);
    expect(s.finish("run", "abort")).toBe(true);
    expect(s.kv.numUsedBlocks).toBe(0);
    expect(s.finish("wait", "abort")).toBe(true);
    expect(s.finish("wait", "abort")).toBe(false);
    expect(s.hasUnfinished).toBe(false);
    expect(s.kv.numFreeBlocks).toBe(16);
  });
});

describe("randomised workloads (property-based)", () => {
  it("every block is accounted for, the pool is whole at the end, outputs equal solo runs", () => {
    const request = fc.record({
      promptLen: fc.integer({ min: 1, max: 30 }),
      shared: fc.integer({ min: 0, max: 3 }), // which of 4 shared prefixes (or none: 0)
      maxTokens: fc.integer({ min: 1, max: 12 }),
      priority: fc.integer({ min: 0, max: 3 }),
      arriveAt: fc.integer({ min: 0, max: 20 }),
      abortAt: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(
        fc.array(request, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 10, max: 40 }),
        fc.constantFrom(1, 2, 4),
        fc.integer({ min: 1, max: 32 }),
        fc.constantFrom("fcfs", "priority"),
        fc.boolean(),
        (reqs, numBlocks, blockSize, budget, policy, caching) => {
          const maxModelLen = 64;
          const prefixes = [[], range(12, 700), range(9, 800), range(5, 900)];
          const prompts = reqs.map((r, i) => [...prefixes[r.shared]!, ...range(r.promptLen, 10 * i)].slice(0, 40));
          const needBlocks = (i: number) => Math.ceil((prompts[i]!.length + reqs[i]!.maxTokens) / blockSize);
          const s = makeScheduler({ maxNumBatchedTokens: budget, policy, maxModelLen }, { numBlocks, blockSize, enablePrefixCaching: caching });
          const out = new Map<string, number[]>();
          const added = new Set<number>();
          const aborted = new Set<string>();
          for (let t = 0; t < 5000; t++) {
            reqs.forEach((r, i) => {
              // A request too big for the whole pool can never run: the engine rejects it up front.
              if (r.arriveAt === t && needBlocks(i) <= numBlocks) {
                s.add(spec(`r${i}`, prompts[i]!, { maxTokens: r.maxTokens, priority: r.priority, arrivalTime: t }));
                added.add(i);
              }
              if (r.abortAt === t && added.has(i) && s.get(`r${i}`)) {
                s.finish(`r${i}`, "abort");
                aborted.add(`r${i}`);
              }
            });
            if (!s.hasUnfinished && t > 20) break;
            if (!s.hasUnfinished) continue;
            for (const o of step(s, t).outputs) if (o.newTokenId !== undefined) out.set(o.requestId, [...(out.get(o.requestId) ?? []), o.newTokenId]);
            s.kv.assertInvariants();
          }
          expect(s.hasUnfinished).toBe(false);
          expect(s.kv.numUsedBlocks).toBe(0);
          expect(s.kv.numFreeBlocks).toBe(numBlocks);
          for (const i of added) {
            const id = `r${i}`;
            if (aborted.has(id)) continue;
            const solo: number[] = [];
            const toks = [...prompts[i]!];
            const limit = Math.min(reqs[i]!.maxTokens, maxModelLen - toks.length);
            while (solo.length < limit) {
              const n = nextToken(toks);
              toks.push(n);
              solo.push(n);
            }
            expect(out.get(id) ?? [], id).toEqual(solo);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
