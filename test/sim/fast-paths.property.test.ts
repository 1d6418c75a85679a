/**
 * The fleet's fast paths (decode runs, routing ahead, pending runs that outlast arrivals and are
 * cut when a request is routed to their replica) against stepping one event at a time, on random
 * small fleets and workloads. Step times and arrival times are multiples of powers of two, so both
 * ways compute every time exactly (a run's first + j x slope equals the step-by-step sum) and
 * arrivals tie with step ends often: the records must then be identical, not just close.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createRoutingPolicy, type RoutingPolicyName } from "../../src/router/policies/index.js";
import type { SequenceWork } from "../../src/sim/perf/step-time.js";
import { simulateFleet } from "../../src/sim/fleet/simulation.js";
import type { SimReplicaConfig } from "../../src/sim/replica.js";
import type { WorkloadItem } from "../../src/sim/workload.js";

/** Affine in the contexts, exact in binary floating point (dyadic coefficients, small integers). */
const EXACT_AFFINE = {
  description: "2 + tokens / 64 + context / 1024 ms",
  decodeTimeIsAffine: true,
  stepTimeMs: (seqs: readonly SequenceWork[]) => {
    let t = 2;
    for (const s of seqs) t += s.numScheduledTokens / 64 + (s.numComputedTokens + s.numScheduledTokens) / 1024;
    return t;
  },
};

const request = fc.record({
  atEighths: fc.integer({ min: 0, max: 800 }),
  group: fc.integer({ min: 0, max: 3 }),
  prefixLen: fc.integer({ min: 0, max: 40 }),
  tailLen: fc.integer({ min: 1, max: 40 }),
  outputTokens: fc.integer({ min: 1, max: 60 }),
});

const scenario = fc.record({
  numReplicas: fc.integer({ min: 1, max: 3 }),
  router: fc.constantFrom<RoutingPolicyName>("round-robin", "least-outstanding-work", "prefix-affinity"),
  numKvBlocks: fc.integer({ min: 12, max: 80 }),
  maxNumSeqs: fc.integer({ min: 1, max: 6 }),
  maxNumBatchedTokens: fc.integer({ min: 8, max: 64 }),
  enablePrefixCaching: fc.boolean(),
  requestLatencyEighths: fc.constantFrom(0, 0, 4, 9),
  requests: fc.array(request, { minLength: 1, maxLength: 24 }),
});

describe("fleet fast paths", () => {
  it("give exactly the records of stepping one event at a time", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const replica: SimReplicaConfig = {
          scheduler: { maxNumSeqs: s.maxNumSeqs, maxNumBatchedTokens: s.maxNumBatchedTokens, maxModelLen: s.numKvBlocks * 4 },
          numKvBlocks: s.numKvBlocks,
          blockSize: 4,
          enablePrefixCaching: s.enablePrefixCaching,
          stepTime: EXACT_AFFINE,
        };
        // Fresh items per run: the simulator adopts prompt arrays (appends generated tokens to them).
        const items = (): WorkloadItem[] => s.requests
          .slice()
          .sort((a, b) => a.atEighths - b.atEighths)
          .map((r, index) => ({
            index,
            arrival: { kind: "at", timeMs: r.atEighths / 8 },
            // Requests of a group share their first prefixLen tokens (prefix caching, prefix affinity).
            promptTokenIds: [...Array.from({ length: r.prefixLen }, (_, i) => 1000 * (r.group + 1) + i), ...Array.from({ length: r.tailLen }, (_, i) => 100_000 + 100 * index + i)],
            outputTokens: r.outputTokens,
          }));
        const run = (fastPaths: boolean) =>
          simulateFleet(
            {
              replicas: Array.from({ length: s.numReplicas }, () => replica),
              router: createRoutingPolicy(s.router, { prefixIndex: { blockSize: 4 } }),
              requestLatencyMs: s.requestLatencyEighths / 8,
              fastPaths,
            },
            items(),
          );
        const fast = run(true);
        const slow = run(false);
        const plain = (r: typeof fast) => JSON.stringify(r.requests.map((q) => ({ ...q, itlMs: Array.from(q.itlMs) })));
        expect(plain(fast)).toBe(plain(slow));
        expect(fast.replicas).toEqual(slow.replicas);
      }),
      { numRuns: 300 },
    );
  });
});
