/** Arrival processes: their statistics under fixed seeds, and the workload limits. */
import { describe, expect, it } from "vitest";
import { buildWorkload, gamma, randomDataset, rateArrivals, rngFor, takeAll, type WorkloadItem } from "../../src/bench/workload/index.js";

const POOL = [10, 11, 12, 13];
const dataset = () => randomDataset({ inputLen: 4, outputLen: 2, rangeRatio: 0, prefixLen: 0 }, POOL, 0);

function times(items: readonly WorkloadItem[]): number[] {
  return items.map((i) => (i.arrival.kind === "at" ? i.arrival.timeMs : NaN));
}

function gapStats(ts: readonly number[]): { mean: number; cv: number } {
  const gaps = ts.slice(1).map((t, i) => t - ts[i]!);
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  const variance = gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length;
  return { mean, cv: Math.sqrt(variance) / mean };
}

describe("arrival processes", () => {
  it("sends everything at time 0 with rate inf", () => {
    expect(rateArrivals(Infinity)).toEqual({ kind: "burst" });
    expect(times(takeAll(buildWorkload(dataset(), rateArrivals(Infinity), 1, { numRequests: 50 })))).toEqual(Array(50).fill(0));
  });

  it("Poisson: first at 0, exponential gaps with mean 1/rate and CV 1", () => {
    const ts = times(takeAll(buildWorkload(dataset(), rateArrivals(10), 1, { numRequests: 20_000 })));
    expect(ts[0]).toBe(0);
    const { mean, cv } = gapStats(ts);
    expect(mean).toBeGreaterThan(97);
    expect(mean).toBeLessThan(103);
    expect(cv).toBeGreaterThan(0.97);
    expect(cv).toBeLessThan(1.03);
  });

  it.each([
    [0.25, 2],
    [4, 0.5],
  ])("gamma with burstiness %s: mean gap 1/rate, CV 1/sqrt(b) = %s", (b, cvExpected) => {
    const process = rateArrivals(5, b);
    expect(process).toEqual({ kind: "gamma", ratePerS: 5, burstiness: b });
    const { mean, cv } = gapStats(times(takeAll(buildWorkload(dataset(), process, 9, { numRequests: 20_000 }))));
    expect(mean / 200).toBeGreaterThan(0.96);
    expect(mean / 200).toBeLessThan(1.04);
    expect(cv / cvExpected).toBeGreaterThan(0.95);
    expect(cv / cvExpected).toBeLessThan(1.05);
  });

  it("gamma sampler matches its mean and variance for shapes below and above 1", () => {
    for (const shape of [0.3, 1, 2.5, 9]) {
      const rng = rngFor(5, shape * 10);
      const xs = Array.from({ length: 40_000 }, () => gamma(rng, shape, 2));
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length;
      expect(mean / (shape * 2)).toBeCloseTo(1, 1);
      expect(variance / (shape * 4)).toBeCloseTo(1, 1);
    }
  });

  it("is reproducible with a seed and changes with it", () => {
    const run = (seed: number) => times(takeAll(buildWorkload(dataset(), rateArrivals(3), seed, { numRequests: 20 })));
    expect(run(4)).toEqual(run(4));
    expect(run(4)).not.toEqual(run(5));
  });

  it("stops at --num-requests or before --duration, whichever comes first", () => {
    const byDuration = takeAll(buildWorkload(dataset(), rateArrivals(10), 3, { durationMs: 5000 }));
    expect(times(byDuration).every((t) => t < 5000)).toBe(true);
    expect(byDuration.length).toBeGreaterThan(35);
    expect(byDuration.length).toBeLessThan(65);
    expect(takeAll(buildWorkload(dataset(), rateArrivals(10), 3, { durationMs: 5000, numRequests: 7 })).length).toBe(7);
  });

  it("rejects nonsense rates", () => {
    expect(() => rateArrivals(0)).toThrow(/> 0/);
    expect(() => rateArrivals(1, 0)).toThrow(/burstiness/);
  });
});
