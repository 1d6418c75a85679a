/**
 * Calibration recovers known coefficients: a simulated replica (the real scheduler) runs a
 * workload with a known linear step-time model, its step log is written in the engine's format,
 * and `calibrate` fits the model back from the log alone.
 */
import { describe, expect, it } from "vitest";
import type { StepPlan } from "../../src/engine/scheduler/step-plan.js";
import { calibrate } from "../../src/sim/calibrate/calibrate.js";
import { meanStepWaitMs, requestLatencyFromBench } from "../../src/sim/calibrate/hardware-file.js";
import { nnls } from "../../src/sim/calibrate/nnls.js";
import { measuredSteps, parseStepLog } from "../../src/sim/calibrate/step-log.js";
import { findBuiltinModel } from "../../src/sim/model/builtin-models.js";
import { deploymentCosts } from "../../src/sim/perf/deployment.js";
import { LinearStepTime, type LinearCoefficients } from "../../src/sim/perf/linear-model.js";
import { SimReplica } from "../../src/sim/replica.js";
import { simStepLog } from "../../src/sim/step-log.js";

const model = findBuiltinModel("Llama-3-8B")!;
const costs = deploymentCosts({ model, tp: 1, weightBytesPerParam: 2, kvBytesPerElement: 2 });
const truth: LinearCoefficients = { overheadMs: 6, msPerSequence: 0.05, msPerLinearGflop: 0.002, msPerAttentionGflop: 0.01, msPerKvGb: 0.4 };

/** A deterministic pseudo-random generator for the test workload. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** Runs requests through a replica and returns its step log as the engine writes it, with noise. */
function syntheticLog(opts: { noise: number; withComputed: boolean; numKvBlocks: number }): string {
  const stepTime = new LinearStepTime({ kind: "linear", coefficients: truth, fittedFor: { model: model.name, tp: 1 } }, costs);
  const replica = new SimReplica({
    scheduler: { maxNumSeqs: 24, maxNumBatchedTokens: 2048, maxModelLen: 8192 },
    numKvBlocks: opts.numKvBlocks,
    blockSize: 16,
    enablePrefixCaching: false,
    stepTime,
  });
  const rand = lcg(7);
  let next = 0;
  let now = 0;
  const lines: string[] = [];
  for (let step = 0; step < 4000; step++) {
    // New requests trickle in so batches mix prefills and decodes of all sizes.
    while (next < 300 && rand() < 0.3) {
      const len = 16 + Math.floor(rand() * 3000);
      replica.add({ id: `r${next++}`, promptTokenIds: Array.from({ length: len }, (_, i) => (i * 31 + next) % 30000), maxTokens: 8 + Math.floor(rand() * 200), arrivalTime: now });
    }
    const s = replica.beginStep(now);
    if (s === null) {
      if (next >= 300) break;
      continue;
    }
    const duration = s.durationMs * (1 + opts.noise * (rand() * 2 - 1));
    replica.endStep(s.plan);
    const log: Record<string, unknown> = { ...simStepLog(0, replica, s.plan, now, now + duration) };
    if (opts.withComputed) log.computed = Object.fromEntries(s.plan.scheduled.map((e: StepPlan["scheduled"][number]) => [e.requestId, e.numComputedTokens]));
    lines.push(JSON.stringify(log));
    now += duration;
  }
  return lines.join("\n");
}

function expectRecovered(fitted: LinearCoefficients, tolerance: number): void {
  for (const [k, v] of Object.entries(truth)) expect(Math.abs(fitted[k as keyof LinearCoefficients] / v - 1), k).toBeLessThan(tolerance);
}

describe("calibrate", () => {
  it("NNLS solves an exact system and keeps coefficients non-negative", () => {
    const rows = [[1, 0], [1, 1], [1, 2], [1, 3]];
    const x = nnls(rows, [1, 3, 5, 7]);
    expect(x[0]).toBeCloseTo(1, 9);
    expect(x[1]).toBeCloseTo(2, 9);
    // Unconstrained least squares would make the slope negative here.
    const y = nnls(rows, [4, 3, 2, 1]);
    expect(y[1]).toBe(0);
    expect(y[0]).toBeCloseTo(2.5, 9);
  });

  it("recovers the coefficients from an engine-format log (contexts reconstructed, preemptions included)", () => {
    const text = syntheticLog({ noise: 0, withComputed: false, numKvBlocks: 900 });
    const lines = parseStepLog(text, "synthetic");
    expect(lines.some((l) => (l.preempted ?? []).length > 0)).toBe(true);
    const fit = calibrate(measuredSteps(lines), costs, { model: model.name, tp: 1, skipFirstSteps: 0 });
    // Durations are rounded to the microsecond in the log; reconstruction is exact otherwise.
    expectRecovered(fit.coefficients, 0.02);
    expect(fit.quality!.r2).toBeGreaterThan(0.9999);
  });

  it("recovers them from a noisy log within a few percent", () => {
    const lines = parseStepLog(syntheticLog({ noise: 0.05, withComputed: true, numKvBlocks: 4000 }), "noisy");
    const fit = calibrate(measuredSteps(lines), costs, { model: model.name, tp: 1, skipFirstSteps: 0 });
    expectRecovered(fit.coefficients, 0.1);
    expect(fit.quality!.meanAbsPctError).toBeLessThan(4);
  });

  it("the request latency leaves out the wait for the step in progress, which the simulator models", () => {
    // Five back-to-back 2 ms steps, 8 ms idle, one more 2 ms step: 20 ms in all. A request at a
    // random time waits 1 ms on average while busy (12 of the 20 ms), 0 while idle: 6 x 2^2 / (2 x 20).
    const line = (step: number, t: number, running: number) => ({ step, time_ms: t, duration_ms: 2, scheduled: { a: 1 }, num_running: running, num_waiting: 0 });
    const lines = [line(0, 0, 1), line(1, 2, 1), line(2, 4, 1), line(3, 6, 1), line(4, 8, 0), line(5, 18, 0)];
    const wait = meanStepWaitMs(lines, measuredSteps(lines));
    expect(wait).toBeCloseTo(0.6, 9);
    const summary = { metrics: { latencyMs: { ttft: { mean: 9 } } }, server: { ttftMs: { mean: 6 } } } as unknown as Parameters<typeof requestLatencyFromBench>[0];
    expect(requestLatencyFromBench(summary, wait)).toBeCloseTo(2.4, 9);
    expect(requestLatencyFromBench(summary, 5)).toBe(0);
    expect(requestLatencyFromBench(summary)).toBe(3);
  });

  it("rejects a log that is not a step log", () => {
    expect(() => parseStepLog('{"foo":1}', "x.jsonl")).toThrow(/x.jsonl:1: not a step log line/);
    expect(() => calibrate([], costs, { model: "m", tp: 1, skipFirstSteps: 0 })).toThrow(/at least/);
  });
});
