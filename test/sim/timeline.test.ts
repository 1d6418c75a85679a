/** Timelines of simulated replicas: bins that coarsen as a run grows, and parts of a run merged. */
import { describe, expect, it } from "vitest";
import { BinnedSeries } from "../../src/sim/fleet/timeline.js";

describe("BinnedSeries", () => {
  it("merges parts of a run into the series one would have given, counts exactly", () => {
    let seed = 5;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const events = Array.from({ length: 2000 }, () => ({ t: next() * 100_000, n: 1 + Math.floor(next() * 16) }));
    const whole = new BinnedSeries(1, 8, 100);
    const parts = [new BinnedSeries(1, 8, 100), new BinnedSeries(1, 8, 100)];
    // One part ends far earlier (finer bins) than the other.
    for (const e of events) {
      whole.addAt(e.t, 0, e.n);
      parts[e.t < 20_000 ? 0 : 1]!.addAt(e.t, 0, e.n);
    }
    expect(parts[0]!.widthMs).toBeLessThan(parts[1]!.widthMs);
    const merged = BinnedSeries.fromState(parts[0]!.state());
    merged.mergeFrom(BinnedSeries.fromState(parts[1]!.state()));
    expect(merged.snapshot(100_000)).toEqual(whole.snapshot(100_000));
    expect(() => merged.mergeFrom(new BinnedSeries(2, 8, 100))).toThrow(/different shapes/);
  });
});
