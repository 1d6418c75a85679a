import { nextGapMs, type ArrivalProcess } from "./arrivals.js";
import { rngFor, STREAM } from "./rng.js";
import type { DatasetItem, WorkloadItem } from "./types.js";

export interface WorkloadLimits {
  /** Stop after this many requests (every turn counts as one). */
  readonly numRequests?: number;
  /** Leave out requests that would arrive at or after this time (later turns are not bounded here). */
  readonly durationMs?: number;
}

/**
 * Gives each dataset item its arrival: first turns and single requests by `process`, later turns
 * of a conversation after the previous turn (their arrival depends on the run). Lazy: items are
 * drawn as the consumer pulls them, so an unbounded dataset is fine with a limit. Pure.
 */
export function* buildWorkload(dataset: Iterable<DatasetItem>, process: ArrivalProcess, seed: number, limits: WorkloadLimits = {}): Generator<WorkloadItem> {
  const gaps = rngFor(seed, STREAM.arrivals);
  const maxN = limits.numRequests ?? Infinity;
  const endMs = limits.durationMs ?? Infinity;
  let timeMs = 0;
  let n = 0;
  let started = false;
  for (const item of dataset) {
    if (n >= maxN) return;
    if (item.session !== undefined && item.session.turn > 0) {
      yield { ...item, index: n++, arrival: { kind: "after-previous-turn", thinkTimeMs: item.thinkTimeMs ?? 0 } };
      continue;
    }
    if (process.kind === "trace") {
      if (item.traceTimeMs === undefined) throw new Error("trace arrivals need a trace dataset (its rows carry the times)");
      timeMs = item.traceTimeMs * process.timeScale;
    } else if (started) {
      timeMs += nextGapMs(process, gaps);
    }
    started = true;
    if (timeMs >= endMs) return;
    yield { ...item, index: n++, arrival: { kind: "at", timeMs } };
  }
}

/** All items of a bounded workload (tests, the simulator). */
export function takeAll(items: Iterable<WorkloadItem>, max = Infinity): WorkloadItem[] {
  const out: WorkloadItem[] = [];
  for (const it of items) {
    if (out.length >= max) break;
    out.push(it);
  }
  return out;
}
