/**
 * Fleet simulations end to end: hand-computed timings with a constant step time, requests that
 * cannot fit reported (never dropped), conversations and a concurrency cap, routing, and
 * byte-identical results for the same inputs.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readTraceFile } from "../../src/bench/workload/traces/read.js";
import { createRoutingPolicy } from "../../src/router/policies/index.js";
import { simulateFleet, type FleetConfig } from "../../src/sim/fleet/simulation.js";
import { findBuiltinGpu } from "../../src/sim/hardware/builtin-gpus.js";
import { findBuiltinModel } from "../../src/sim/model/builtin-models.js";
import type { SimReplicaConfig } from "../../src/sim/replica.js";
import { planFleet } from "../../src/sim/plan.js";
import { runSimulation, type SimRunConfig } from "../../src/sim/run.js";
import { simTokenPool, type WorkloadItem, workloadItems } from "../../src/sim/workload.js";
import { takeAll } from "../../src/bench/workload/workload.js";
import { SHARED } from "../helpers/paths.js";

/** Every step takes 10 ms, whatever it holds: timings can be computed by hand. */
const TEN_MS = { description: "10 ms a step", stepTimeMs: () => 10 };

function replicaConfig(over: Partial<SimReplicaConfig> & { maxNumBatchedTokens?: number; maxModelLen?: number } = {}): SimReplicaConfig {
  return {
    scheduler: { maxNumSeqs: 8, maxNumBatchedTokens: over.maxNumBatchedTokens ?? 16, maxModelLen: over.maxModelLen ?? 1024 },
    numKvBlocks: over.numKvBlocks ?? 256,
    blockSize: 4,
    enablePrefixCaching: over.enablePrefixCaching ?? true,
    stepTime: over.stepTime ?? TEN_MS,
  };
}

const at = (index: number, timeMs: number, promptLen: number, outputTokens: number, first = index * 1000): WorkloadItem => ({
  index,
  arrival: { kind: "at", timeMs },
  promptTokenIds: Array.from({ length: promptLen }, (_, i) => first + i),
  outputTokens,
});

const fleet = (replicas: SimReplicaConfig[], extra: Partial<FleetConfig> = {}): FleetConfig => ({ replicas, router: createRoutingPolicy("round-robin"), ...extra });

describe("one replica, hand-computed", () => {
  it("chunked prefill, a request arriving mid-step, decodes", () => {
    // A: 40-token prompt in chunks of 16, 16, 8 (steps 0-10, 10-20, 20-30): first token at 30,
    // then decodes end at 40 and 50. B arrives at 15, mid-step: it waits for the step at 20,
    // shares it with A's last chunk (8 + 8 = the budget of 16) and its only token comes at 30.
    const r = simulateFleet(fleet([replicaConfig()]), [at(0, 0, 40, 3), at(1, 15, 8, 1)]);
    const [a, b] = r.requests;
    expect(a).toMatchObject({ sentMs: 0, firstTokenMs: 30, finishMs: 50, numOutputTokens: 3 });
    expect(Array.from(a.itlMs)).toEqual([10, 10]);
    expect(b).toMatchObject({ sentMs: 15, firstTokenMs: 30, finishMs: 30, numOutputTokens: 1 });
    expect(b.itlMs.length).toBe(0);
    expect(r.replicas[0]).toMatchObject({ numSteps: 5, busyMs: 50, numPreemptions: 0 });
    expect(r.endMs).toBe(50);
  });

  it("a request latency delays the arrival at the replica; latencies count from the send", () => {
    const r = simulateFleet(fleet([replicaConfig()], { requestLatencyMs: 5 }), [at(0, 0, 40, 3)]);
    expect(r.requests[0]).toMatchObject({ sentMs: 0, firstTokenMs: 35, finishMs: 55 });
  });

  it("an idle replica starts at the arrival; equal arrivals share the first step", () => {
    const r = simulateFleet(fleet([replicaConfig()]), [at(0, 100, 4, 2), at(1, 100, 4, 2), at(2, 500, 4, 1)]);
    expect(r.requests.map((q) => [q.firstTokenMs, q.finishMs])).toEqual([[110, 120], [110, 120], [510, 510]]);
    expect(r.replicas[0]!.numSteps).toBe(3);
  });

  it("a repeated prompt hits the prefix cache: fewer tokens to compute, an earlier first token", () => {
    // Budget 16: the first 32-token prompt takes 2 steps; the repeat (after it finished) finds 7
    // cached blocks of 4 (the last token is always recomputed) and needs 1 step.
    const r = simulateFleet(fleet([replicaConfig()]), [at(0, 0, 32, 1, 0), at(1, 1000, 32, 1, 0)]);
    expect(r.requests[0]!.firstTokenMs).toBe(20);
    expect(r.requests[1]).toMatchObject({ firstTokenMs: 1010, numCachedPromptTokens: 28 });
    expect(r.replicas[0]!.prefixCache.numHitTokens).toBe(28);
  });
});

describe("every request completes or is reported", () => {
  it("a prompt longer than the context fails at once, others are served", () => {
    const r = simulateFleet(fleet([replicaConfig({ maxModelLen: 64 })]), [at(0, 0, 10, 5), at(1, 1, 100, 5), at(2, 2, 10, 60)]);
    expect(r.requests[1]!.failure).toMatch(/leaves no room in a context of 64/);
    expect(r.requests[1]!.finishMs).toBe(1);
    expect(r.requests[0]!.numOutputTokens).toBe(5);
    // Max tokens are capped by the context, as the engine caps them.
    expect(r.requests[2]).toMatchObject({ maxTokens: 54, numOutputTokens: 54 });
  });

  it("a tiny KV pool forces preemptions; every request still finishes", () => {
    const items = Array.from({ length: 12 }, (_, i) => at(i, 0, 30, 40));
    const r = simulateFleet(fleet([replicaConfig({ numKvBlocks: 40, maxModelLen: 160 })]), items);
    expect(r.replicas[0]!.numPreemptions).toBeGreaterThan(0);
    expect(r.requests.every((q) => q.failure === undefined && q.numOutputTokens === 40)).toBe(true);
    expect(r.requests.reduce((s, q) => s + q.numPreemptions, 0)).toBe(r.replicas[0]!.numPreemptions);
  });
});

describe("arrivals that depend on the run", () => {
  it("a conversation's next turn is sent a think time after the previous answer", () => {
    const turn = (index: number, t: number): WorkloadItem => ({
      index,
      arrival: t === 0 ? { kind: "at", timeMs: 0 } : { kind: "after-previous-turn", thinkTimeMs: 100 },
      promptTokenIds: Array.from({ length: 8 * (t + 1) }, (_, i) => i),
      outputTokens: 2,
      session: { sessionId: 0, turn: t, numTurns: 3 },
    });
    const r = simulateFleet(fleet([replicaConfig()]), [turn(0, 0), turn(1, 1), turn(2, 2)]);
    const [t0, t1, t2] = r.requests;
    expect(t1!.sentMs).toBe(t0!.finishMs! + 100);
    expect(t2!.sentMs).toBe(t1!.finishMs! + 100);
    expect(t2!.numCachedPromptTokens).toBeGreaterThan(0); // the history is cached
  });

  it("--max-concurrency holds requests until one finishes; latency counts from the send", () => {
    const r = simulateFleet(fleet([replicaConfig()], { maxConcurrency: 1 }), [at(0, 0, 4, 2), at(1, 0, 4, 2), at(2, 0, 4, 2)]);
    expect(r.requests.map((q) => [q.scheduledMs, q.sentMs, q.finishMs])).toEqual([[0, 0, 20], [0, 20, 40], [0, 40, 60]]);
  });
});

describe("fleets", () => {
  it("round-robin spreads requests; prefix affinity keeps a group's requests together", () => {
    const groups = (n: number) => Array.from({ length: n }, (_, i) => at(i, i * 50, 48, 4, (i % 2) * 10_000));
    const rr = simulateFleet(fleet([replicaConfig(), replicaConfig()]), groups(8));
    expect(rr.requests.map((q) => q.replica)).toEqual([0, 1, 0, 1, 0, 1, 0, 1]);
    const pa = simulateFleet(fleet([replicaConfig(), replicaConfig()], { router: createRoutingPolicy("prefix-affinity", { prefixIndex: { blockSize: 16 } }) }), groups(8));
    const byGroup = [0, 1].map((g) => new Set(pa.requests.filter((q) => q.index % 2 === g).map((q) => q.replica)));
    expect(byGroup.map((s) => s.size)).toEqual([1, 1]);
    const hits = (res: typeof rr) => res.replicas.reduce((s, x) => s + x.prefixCache.numHitTokens, 0);
    expect(hits(pa)).toBeGreaterThanOrEqual(hits(rr));
  });

  const trace = (path: string): SimRunConfig["workload"] => ({
    dataset: { kind: "trace", path, rows: readTraceFile(path).rows.slice(0, 300), params: { blockSize: 512 } },
    arrivals: { kind: "trace", timeScale: 1 },
    seed: 1,
    limits: {},
  });
  const config = (workload: SimRunConfig["workload"], over: Partial<SimRunConfig> = {}): SimRunConfig => ({
    model: findBuiltinModel("Llama-3-8B")!,
    gpu: findBuiltinGpu("H100-SXM")!,
    tp: 1,
    numReplicas: 2,
    router: "least-outstanding-work",
    engine: { maxNumSeqs: 64, maxNumBatchedTokens: 4096, blockSize: 16, enablePrefixCaching: true, policy: "fcfs", kvDtype: "f16" },
    memoryUtilization: 0.9,
    weightBytesPerParam: 2,
    workload,
    ...over,
  });

  it("is deterministic: the same inputs give byte-identical summaries and records", () => {
    const cfg = config(trace(join(SHARED, "traces/AzureLLMInferenceTrace_conv.csv")), { slo: { ttftMs: 200, tpotMs: 30 } });
    const a = runSimulation(cfg);
    const b = runSimulation(cfg);
    expect(JSON.stringify(a.summary)).toBe(JSON.stringify(b.summary));
    expect(JSON.stringify(a.records)).toBe(JSON.stringify(b.records));
    expect(a.summary.metrics.requests.completed + a.summary.metrics.requests.failed).toBe(300);
    expect(a.summary.schema).toBe("flotilla.bench.summary/v1");
  });

  it("without prefix caching or a prompt-reading router, prompt content is not drawn and changes nothing", () => {
    const workload = trace(join(SHARED, "traces/AzureLLMInferenceTrace_conv.csv"));
    const replicas = [replicaConfig({ enablePrefixCaching: false, maxModelLen: 8192, numKvBlocks: 4096 }), replicaConfig({ enablePrefixCaching: false, maxModelLen: 8192, numKvBlocks: 4096 })];
    const lowVariance = { description: "affine", stepTimeMs: (batch: readonly { numScheduledTokens: number }[]) => 5 + 0.01 * batch.reduce((t, b) => t + b.numScheduledTokens, 0) };
    // A fresh router per run (a picker breaks ties in turn).
    const cfg = () => fleet(replicas.map((r) => ({ ...r, stepTime: lowVariance })), { router: createRoutingPolicy("least-outstanding-work") });
    expect(cfg().router.readsPromptTokens).toBe(false);
    const drawn = takeAll(workloadItems(workload, simTokenPool(32000, true)));
    const blank = takeAll(workloadItems(workload, simTokenPool(32000, false)));
    expect(new Set(blank.flatMap((w) => w.promptTokenIds)).size).toBe(1);
    expect(new Set(drawn.flatMap((w) => w.promptTokenIds)).size).toBeGreaterThan(1000);
    expect(blank.map((w) => w.promptTokenIds.length)).toEqual(drawn.map((w) => w.promptTokenIds.length));
    const a = JSON.stringify(simulateFleet(cfg(), blank).requests);
    expect(a === JSON.stringify(simulateFleet(cfg(), drawn).requests)).toBe(true);
  });

  it("described prompts (trace segments hashed, no tokens drawn) give the records of drawn tokens", () => {
    for (const [file, over] of [
      ["traces/mooncake_synthetic_trace.jsonl", { numReplicas: 2, maxModelLen: 131072 }],
      // A tiny pool: preempted requests are looked up again with their generated tokens.
      ["traces/AzureLLMInferenceTrace_conv.csv", { numReplicas: 1, engine: { maxNumSeqs: 64, maxNumBatchedTokens: 4096, blockSize: 16, enablePrefixCaching: true, policy: "fcfs", kvDtype: "f16", numKvBlocks: 600 } }],
    ] as const) {
      const cfg = config(trace(join(SHARED, file)), over);
      const described = runSimulation({ ...cfg, describePrompts: true });
      const drawn = runSimulation({ ...cfg, describePrompts: false });
      const plain = (o: typeof drawn) => JSON.stringify(o.result.requests.map((q) => ({ ...q, itlMs: Array.from(q.itlMs) })));
      expect(plain(described) === plain(drawn)).toBe(true);
      expect(described.result.replicas).toEqual(drawn.result.replicas);
      expect(drawn.summary.sim.prefixCacheHitRate! > 0 || drawn.summary.sim.preemptions > 0).toBe(true);
    }
  });

  it("Mooncake hash ids reproduce prefix sharing: the prefix cache hits", () => {
    const out = runSimulation(config(trace(join(SHARED, "traces/mooncake_synthetic_trace.jsonl")), { numReplicas: 1, maxModelLen: 131072 }));
    expect(out.summary.sim.prefixCacheHitRate!).toBeGreaterThan(0.2);
    const off = runSimulation(config(trace(join(SHARED, "traces/mooncake_synthetic_trace.jsonl")), { numReplicas: 1, maxModelLen: 131072, engine: { ...config(trace(join(SHARED, "traces/mooncake_synthetic_trace.jsonl"))).engine, enablePrefixCaching: false } }));
    expect(off.summary.sim.prefixCacheHitRate).toBeNull();
    expect(out.summary.metrics.latencyMs.ttft!.mean).toBeLessThan(off.summary.metrics.latencyMs.ttft!.mean);
  });

  it("the fast paths (decode runs, routing ahead) give the results of stepping one at a time", () => {
    const multiTurn: SimRunConfig["workload"] = {
      dataset: { kind: "multi-turn", params: { numConversations: 12, turnsPerConversation: 3, userLen: 200, outputLen: 150, systemLen: 64, thinkTimeMs: 500 } },
      arrivals: { kind: "poisson", ratePerS: 4 },
      seed: 3,
      limits: {},
    };
    const cases: SimRunConfig[] = [
      config(trace(join(SHARED, "traces/AzureLLMInferenceTrace_conv.csv"))),
      config(trace(join(SHARED, "traces/AzureLLMInferenceTrace_code.csv")), { router: "round-robin", numReplicas: 3 }),
      config(trace(join(SHARED, "traces/mooncake_synthetic_trace.jsonl")), { numReplicas: 1, maxModelLen: 131072, router: "prefix-affinity" }),
      // A tiny pool: runs must stop where blocks run out, and preemptions happen in between.
      config(trace(join(SHARED, "traces/AzureLLMInferenceTrace_conv.csv")), { engine: { ...config(multiTurn).engine, numKvBlocks: 600 }, numReplicas: 1 }),
      config(multiTurn, { maxConcurrency: 6 }),
    ];
    for (const cfg of cases) {
      const fast = runSimulation(cfg);
      const slow = runSimulation({ ...cfg, fastPaths: false });
      expect(fast.summary.sim.steps).toBe(slow.summary.sim.steps);
      expect(fast.result.numDecodeRunSteps).toBeGreaterThan(0);
      expect(slow.result.numDecodeRunSteps).toBe(0);
      expect(fast.result.replicas.map((r) => [r.numPreemptions, r.prefixCache])).toEqual(slow.result.replicas.map((r) => [r.numPreemptions, r.prefixCache]));
      expect(fast.result.requests.length).toBe(slow.result.requests.length);
      for (let i = 0; i < fast.result.requests.length; i++) {
        const f = fast.result.requests[i]!;
        const s = slow.result.requests[i]!;
        expect([f.replica, f.numOutputTokens, f.numCachedPromptTokens, f.numPreemptions, f.itlMs.length]).toEqual([s.replica, s.numOutputTokens, s.numCachedPromptTokens, s.numPreemptions, s.itlMs.length]);
        // Step times of a run are first + j x slope instead of evaluated one by one: equal up to rounding.
        for (let g = 0; g < s.itlMs.length; g++) expect(Math.abs(f.itlMs[g]! - s.itlMs[g]!)).toBeLessThanOrEqual(1e-6);
        for (const key of ["sentMs", "firstTokenMs", "finishMs"] as const) {
          expect(f[key] === undefined).toBe(s[key] === undefined);
          if (s[key] !== undefined) expect(Math.abs(f[key]! - s[key]!)).toBeLessThanOrEqual(1e-9 * Math.max(1, s[key]!));
        }
      }
    }
  });

  it("sim plan stops hopeless fleets early and still picks the same fleets", () => {
    const base = { ...config(trace(join(SHARED, "traces/AzureLLMInferenceTrace_conv.csv"))), maxModelLen: 4096 };
    const plan = (earlyStop: boolean) =>
      planFleet({
        ...base,
        gpus: [findBuiltinGpu("A100-80GB")!],
        tpOptions: [1],
        maxNumBatchedTokensOptions: [2048],
        maxReplicas: 8,
        slo: { ttftMs: 300, tpotMs: 40 },
        attainment: 0.95,
        earlyStop,
      });
    const fast = plan(true);
    const full = plan(false);
    expect(fast.smallestPerConfiguration.map((c) => c.replicas)).toEqual(full.smallestPerConfiguration.map((c) => c.replicas));
    expect(fast.cheapest?.replicas).toBe(full.cheapest?.replicas);
    const stopped = fast.candidates.filter((c) => c.note?.startsWith("stopped early"));
    expect(stopped.length).toBeGreaterThan(0);
    for (const c of stopped) {
      const same = full.candidates.find((f) => f.replicas === c.replicas)!;
      expect(same.meetsTarget).toBe(false);
      expect(c.attainment).toBeGreaterThanOrEqual(same.attainment); // an upper bound of what the full run finds
    }
  });

  it("a model that does not fit the GPU is an error naming the cure", () => {
    expect(() => runSimulation(config(trace(join(SHARED, "traces/AzureLLMInferenceTrace_conv.csv")), { model: findBuiltinModel("Llama-2-70B")! }))).toThrow(/does not fit H100-SXM x1.*raise --tp/);
  });
});
