/** Datasets: exact lengths, the prefix structure each promises, and reproducibility from a seed. */
import { describe, expect, it } from "vitest";
import {
  buildWorkload,
  lengthRange,
  multiTurnDataset,
  randomDataset,
  sharedPrefixDataset,
  takeAll,
  tokenPool,
  type DatasetItem,
} from "../../src/bench/workload/index.js";
import { rngFor } from "../../src/bench/workload/rng.js";
import { drawTokens } from "../../src/bench/workload/token-pool.js";

const POOL = tokenPool([5, 9, 9, 12, 40, 41, 1, 2, 300, 301, 302, 77], [1, 2]);

function take<T>(it: Iterable<T>, n: number): T[] {
  const out: T[] = [];
  for (const x of it) {
    if (out.length >= n) break;
    out.push(x);
  }
  return out;
}

describe("token pool", () => {
  it("is the distinct corpus ids without specials", () => {
    expect(POOL).toEqual([5, 9, 12, 40, 41, 77, 300, 301, 302]);
    expect(() => tokenPool([1], [1])).toThrow(/empty/);
  });

  it("draws the same ids through the generator's fast path as through nextDouble", () => {
    const fast = rngFor(3, 7);
    const slow = rngFor(3, 7);
    const viaNextDouble = { nextDouble: () => slow.nextDouble() };
    for (const n of [0, 1, 17, 5000]) expect(drawTokens(fast, POOL, n)).toEqual(drawTokens(viaNextDouble, POOL, n));
    // Both generators are left at the same state.
    expect(fast.nextDouble()).toBe(slow.nextDouble());
  });

  it("draws nothing from a one-id pool", () => {
    const rng = rngFor(3, 7);
    expect(drawTokens(rng, [42], 5)).toEqual([42, 42, 42, 42, 42]);
    expect(rng.nextDouble()).toBe(rngFor(3, 7).nextDouble());
  });
});

describe("random dataset", () => {
  it("draws lengths as vLLM does: uniform in [floor(n(1-r)), ceil(n(1+r))]", () => {
    expect(lengthRange(100, 0, 1)).toEqual([100, 100]);
    expect(lengthRange(100, 0.25, 1)).toEqual([75, 125]);
    expect(lengthRange(3, 0.9, 1)).toEqual([1, 6]);
    expect(() => lengthRange(10, 1, 1)).toThrow(/range ratio/);
    const items = take(randomDataset({ inputLen: 100, outputLen: 20, rangeRatio: 0.25, prefixLen: 0 }, POOL, 3), 2000);
    const ins = items.map((i) => i.promptTokenIds.length);
    const outs = items.map((i) => i.outputTokens);
    expect(Math.min(...ins)).toBe(75);
    expect(Math.max(...ins)).toBe(125);
    expect(Math.min(...outs)).toBe(15);
    expect(Math.max(...outs)).toBe(25);
    const mean = ins.reduce((a, b) => a + b, 0) / ins.length;
    expect(mean).toBeGreaterThan(98);
    expect(mean).toBeLessThan(102);
  });

  it("gives exact lengths with range ratio 0, only pool tokens, and a shared prefix when asked", () => {
    const items = take(randomDataset({ inputLen: 64, outputLen: 7, rangeRatio: 0, prefixLen: 16 }, POOL, 1), 50);
    const poolSet = new Set(POOL);
    for (const it of items) {
      expect(it.promptTokenIds.length).toBe(80);
      expect(it.outputTokens).toBe(7);
      expect(it.promptTokenIds.every((t) => poolSet.has(t))).toBe(true);
      expect(it.promptTokenIds.slice(0, 16)).toEqual(items[0]!.promptTokenIds.slice(0, 16));
    }
    // Bodies after the prefix differ between requests.
    expect(new Set(items.map((i) => i.promptTokenIds.slice(16).join(","))).size).toBe(50);
  });

  it("is reproducible: same seed same items, item i independent of how many are taken", () => {
    const p = { inputLen: 30, outputLen: 5, rangeRatio: 0.5, prefixLen: 0 };
    expect(take(randomDataset(p, POOL, 42), 10)).toEqual(take(randomDataset(p, POOL, 42), 20).slice(0, 10));
    expect(take(randomDataset(p, POOL, 42), 5)).not.toEqual(take(randomDataset(p, POOL, 43), 5));
  });
});

describe("shared-prefix dataset (SGLang generated-shared-prefix)", () => {
  const params = { numGroups: 4, promptsPerGroup: 5, systemPromptLen: 64, questionLen: 16, outputLen: 9 };
  const items = sharedPrefixDataset(params, POOL, 11);

  it("has G x P prompts of exactly S + Q tokens and O output tokens", () => {
    expect(items.length).toBe(20);
    for (const it of items) {
      expect(it.promptTokenIds.length).toBe(80);
      expect(it.outputTokens).toBe(9);
    }
  });

  it("shares the system prompt within a group and nowhere else", () => {
    const byGroup = new Map<number, DatasetItem[]>();
    for (const it of items) byGroup.set(it.prefixGroup!, [...(byGroup.get(it.prefixGroup!) ?? []), it]);
    expect([...byGroup.keys()].sort()).toEqual([0, 1, 2, 3]);
    const systems = [...byGroup.values()].map((g) => {
      const sys = g[0]!.promptTokenIds.slice(0, 64).join(",");
      for (const it of g) expect(it.promptTokenIds.slice(0, 64).join(",")).toBe(sys);
      expect(new Set(g.map((it) => it.promptTokenIds.slice(64).join(","))).size).toBe(g.length);
      return sys;
    });
    expect(new Set(systems).size).toBe(4);
  });

  it("is shuffled, so a group's prompts do not come back to back", () => {
    const groups = items.map((i) => i.prefixGroup);
    expect(groups).not.toEqual([...groups].sort());
    expect(sharedPrefixDataset(params, POOL, 11)).toEqual(items);
  });
});

describe("multi-turn dataset", () => {
  const params = { numConversations: 3, turnsPerConversation: 4, userLen: 10, outputLen: 6, systemLen: 5, thinkTimeMs: 250 };
  const items = [...multiTurnDataset(params, POOL, 2)];

  it("resends the growing history: turn k = system + (k+1) user messages + k answers", () => {
    expect(items.length).toBe(12);
    for (const it of items) {
      const k = it.session!.turn;
      expect(it.promptTokenIds.length).toBe(5 + (k + 1) * 10 + k * 6);
      expect(it.messages!.map((m) => m.role)).toEqual(["system", ...Array.from({ length: k }, () => ["user", "assistant"]).flat(), "user"]);
      expect(it.messages!.flatMap((m) => m.tokenIds)).toEqual(it.promptTokenIds);
    }
  });

  it("makes each turn's prompt a prefix of the next one's, within a conversation only", () => {
    for (let i = 1; i < items.length; i++) {
      const prev = items[i - 1]!;
      const cur = items[i]!;
      const head = cur.promptTokenIds.slice(0, prev.promptTokenIds.length);
      if (cur.session!.sessionId === prev.session!.sessionId) expect(head).toEqual(prev.promptTokenIds);
      else expect(head).not.toEqual(prev.promptTokenIds);
    }
  });

  it("sends later turns after the previous one, with the think time", () => {
    const wl = takeAll(buildWorkload(items, { kind: "poisson", ratePerS: 2 }, 2));
    expect(wl.filter((w) => w.arrival.kind === "at").length).toBe(3);
    for (const w of wl) {
      if (w.session!.turn === 0) expect(w.arrival.kind).toBe("at");
      else expect(w.arrival).toEqual({ kind: "after-previous-turn", thinkTimeMs: 250 });
    }
    expect(wl.map((w) => w.index)).toEqual([...Array(12).keys()]);
  });
});
