/**
 * One table for every routing policy (the properties all must have), then each policy's own
 * cases. Policies are pure: the same requests and endpoint states always pick the same endpoint.
 */
import { describe, expect, it } from "vitest";
import { createRoutingPolicy, LoadTracker, ROUTING_POLICY_NAMES, type EndpointState, type RoutingRequest } from "../../src/router/policies/index.js";
import { LoadGuardFilter } from "../../src/router/policies/load.js";
import { prefixBlockHashes } from "../../src/router/policies/prefix-hash.js";

function endpoints(...work: number[]): EndpointState[] {
  return work.map((w, index) => ({ index, numInFlight: w > 0 ? 1 : 0, outstandingWorkTokens: w }));
}

function request(id: string, promptTokenIds: number[], maxOutputTokens = 16): RoutingRequest {
  return { id, promptTokenIds, maxOutputTokens };
}

const range = (start: number, n: number) => Array.from({ length: n }, (_, i) => start + i);

describe.each(ROUTING_POLICY_NAMES)("every policy: %s", (name) => {
  it("picks one of the endpoints it was given, also from a filtered subset", () => {
    const policy = createRoutingPolicy(name);
    for (let i = 0; i < 20; i++) {
      const eps = endpoints(i * 7 % 5, 3, 0).filter((e) => e.index !== i % 3);
      const chosen = policy.route(request(`r${i}`, range(i, 100)), eps);
      expect(eps.map((e) => e.index)).toContain(chosen);
    }
  });

  it("is deterministic: two fresh policies given the same sequence pick the same endpoints", () => {
    const run = () => {
      const policy = createRoutingPolicy(name);
      return Array.from({ length: 50 }, (_, i) => policy.route(request(`r${i}`, range(i % 4 * 1000, 200)), endpoints(i % 3, (i * 5) % 7, 2, 1)));
    };
    expect(run()).toEqual(run());
  });

  it("spreads identical requests over identical idle endpoints", () => {
    const policy = createRoutingPolicy(name);
    const picks = new Set(Array.from({ length: 4 }, (_, i) => policy.route(request(`r${i}`, [1, 2, 3]), endpoints(0, 0, 0, 0))));
    expect(picks.size).toBe(4);
  });

  it("throws when there is no endpoint", () => {
    expect(() => createRoutingPolicy(name).route(request("r", [1]), [])).toThrow(/no endpoint/);
  });
});

describe("what a policy reads", () => {
  it("declares whether it reads endpoint state and prompt tokens", () => {
    const flags = (name: (typeof ROUTING_POLICY_NAMES)[number]) => {
      const p = createRoutingPolicy(name);
      return [p.usesEndpointState, p.readsPromptTokens];
    };
    expect(flags("round-robin")).toEqual([false, false]);
    expect(flags("least-outstanding-work")).toEqual([true, false]);
    expect(flags("prefix-affinity")).toEqual([true, true]);
  });
});

describe("round-robin", () => {
  it("cycles by index whatever the load", () => {
    const policy = createRoutingPolicy("round-robin");
    const picks = Array.from({ length: 7 }, (_, i) => policy.route(request(`r${i}`, [1]), endpoints(100, 0, 5)));
    expect(picks).toEqual([0, 1, 2, 0, 1, 2, 0]);
  });
});

describe("least-outstanding-work", () => {
  it.each([
    { work: [10, 5, 7], expected: 1 },
    { work: [0, 5, 7], expected: 0 },
    { work: [9, 9, 3, 3], expected: 2 },
  ])("work $work -> endpoint $expected", ({ work, expected }) => {
    expect(createRoutingPolicy("least-outstanding-work").route(request("r", [1]), endpoints(...work))).toBe(expected);
  });
});

describe("prefix-affinity with a load guard", () => {
  const shared = range(0, 256); // 4 router blocks of 64 tokens

  it("sends a request to the endpoint that served its prefix", () => {
    const policy = createRoutingPolicy("prefix-affinity");
    const first = policy.route(request("a", [...shared, 1000, 1001]), endpoints(0, 0, 0));
    // Equal load everywhere: the cached prefix decides.
    expect(policy.route(request("b", [...shared, 2000]), endpoints(0, 0, 0))).toBe(first);
    expect(policy.route(request("c", [...shared.slice(0, 128), 3000]), endpoints(0, 0, 0))).toBe(first);
  });

  it("ignores affinity when the endpoint holding the prefix is overloaded", () => {
    const policy = createRoutingPolicy("prefix-affinity");
    const first = policy.route(request("a", shared), endpoints(0, 0));
    const loads = first === 0 ? [50_000, 0] : [0, 50_000];
    expect(policy.route(request("b", shared), endpoints(...loads))).toBe(1 - first);
  });

  it("without any match, prefers the less loaded endpoint", () => {
    const policy = createRoutingPolicy("prefix-affinity");
    expect(policy.route(request("a", range(5000, 64)), endpoints(900, 100, 500))).toBe(1);
  });

  it("forgets the least recently routed blocks beyond its capacity", () => {
    const policy = createRoutingPolicy("prefix-affinity", { prefixIndex: { blockSize: 64, maxBlocksPerEndpoint: 4 } });
    const first = policy.route(request("a", shared), endpoints(0, 0));
    // Another 4 blocks routed to the same endpoint evict the first prompt's blocks.
    const other = range(10_000, 256);
    const loads = first === 0 ? [0, 10_000] : [10_000, 0];
    expect(policy.route(request("b", other), endpoints(...loads))).toBe(first);
    // Now `shared` matches nowhere, so the less loaded endpoint wins.
    // Both endpoints within the load guard; without the forgotten match, the idle one wins.
    expect(policy.route(request("c", shared), endpoints(...loads.map((l) => (l === 0 ? 1000 : 0))))).toBe(1 - first);
  });
});

describe("load guard filter", () => {
  it.each([
    { work: [0, 2000, 2049], kept: [0, 1] },
    { work: [10_000, 12_500, 12_501], kept: [0, 1] },
    { work: [5, 5, 5], kept: [0, 1, 2] },
  ])("work $work keeps $kept", ({ work, kept }) => {
    expect(new LoadGuardFilter().filter(null, endpoints(...work)).map((e) => e.index)).toEqual(kept);
  });
});

describe("prefix block hashes", () => {
  it("chain: a block's hash depends on everything before it; partial blocks have none", () => {
    const a = prefixBlockHashes([...range(0, 128), 7], 64);
    const b = prefixBlockHashes([...range(0, 64), ...range(500, 64)], 64);
    const c = prefixBlockHashes([...range(1, 64), ...range(64, 64)], 64);
    expect(a).toHaveLength(2);
    expect(b[0]).toBe(a[0]);
    expect(b[1]).not.toBe(a[1]);
    expect(c[1]).not.toBe(a[1]); // same second block, different first
    for (const h of [...a, ...b]) expect(Number.isSafeInteger(h)).toBe(true);
  });
});

describe("load tracker", () => {
  it("counts prompt work until the first token and output work until the end", () => {
    const t = new LoadTracker(2);
    t.routed("a", 0, 100, 10);
    t.routed("b", 1, 50, 5);
    expect(t.states().map((s) => s.outstandingWorkTokens)).toEqual([110, 55]);
    t.token("a");
    expect(t.state(0).outstandingWorkTokens).toBe(9);
    t.token("a");
    expect(t.state(0).outstandingWorkTokens).toBe(8);
    t.finished("a"); // finished early (stop): its remaining output work goes too
    expect(t.state(0)).toEqual({ index: 0, numInFlight: 0, outstandingWorkTokens: 0 });
    expect(() => t.routed("b", 0, 1, 1)).toThrow(/already in flight/);
  });
});
