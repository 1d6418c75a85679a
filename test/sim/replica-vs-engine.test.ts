/**
 * The simulator runs the engine's own scheduler and KV manager, so for the same requests and
 * engine settings a simulated replica plans exactly the steps the real engine plans: the same
 * requests, the same token counts, the same preemptions, step after step. Checked against the
 * engine's --log-steps records on stories260K (a real model, real forward passes).
 */
import { describe, expect, it } from "vitest";
import { RefBackend } from "../../src/engine/backend/ref/ref-backend.js";
import { Engine, type EngineConfig, type StepLog } from "../../src/engine/engine.js";
import { loadModel } from "../../src/engine/model/model.js";
import { calibrate } from "../../src/sim/calibrate/calibrate.js";
import { measuredSteps, type StepLogLine } from "../../src/sim/calibrate/step-log.js";
import { architectureFromGguf } from "../../src/sim/model/from-gguf.js";
import { deploymentCosts } from "../../src/sim/perf/deployment.js";
import { LinearStepTime } from "../../src/sim/perf/linear-model.js";
import { SimReplica } from "../../src/sim/replica.js";
import { simStepLog } from "../../src/sim/step-log.js";
import { STORIES_260K } from "../helpers/paths.js";

const model = loadModel(STORIES_260K, { backend: new RefBackend() });
const SYSTEM = "Once upon a time, there was a little girl named Lily. She loved to play outside with her friends.";
const PROMPTS = [
  `${SYSTEM} One day, she saw a big dog`,
  "Tom and his mom went to the park",
  `${SYSTEM} One day, she found a red ball`,
  "The cat sat",
  `${SYSTEM} Her brother`,
  `${SYSTEM} One day, she saw a big dog`,
];
const MAX_TOKENS = [20, 35, 12, 40, 25, 18];

type Schedule = Array<{ scheduled: Record<string, number>; preempted: readonly string[] }>;

async function engineSchedule(config: Partial<EngineConfig>): Promise<{ schedule: Schedule; logs: StepLog[]; maxModelLen: number }> {
  const logs: StepLog[] = [];
  const engine = new Engine(model, { ...config, onStep: (l) => logs.push(l) });
  const handles = PROMPTS.map((p, i) =>
    engine.addRequest({ id: `req-${i}`, promptTokenIds: model.tokenizer.encode(p, { addSpecial: true }), maxTokens: MAX_TOKENS[i]!, ignoreEos: true, sampling: { temperature: 0 } }),
  );
  await Promise.all(handles.map(async (h) => { for await (const _ of h); }));
  await engine.idle();
  return { schedule: logs.map((l) => ({ scheduled: l.scheduled, preempted: l.preempted })), logs, maxModelLen: engine.maxModelLen };
}

function simSchedule(config: EngineConfig & { numKvBlocks: number }, maxModelLen: number): { schedule: Schedule; logs: StepLog[] } {
  const replica = new SimReplica({
    scheduler: { maxNumSeqs: config.maxNumSeqs, maxNumBatchedTokens: config.maxNumBatchedTokens, maxModelLen, policy: config.policy },
    numKvBlocks: config.numKvBlocks,
    blockSize: config.blockSize,
    enablePrefixCaching: config.enablePrefixCaching,
    stepTime: { description: "1 ms a step", stepTimeMs: () => 1 },
  });
  PROMPTS.forEach((p, i) => {
    const prompt = model.tokenizer.encode(p, { addSpecial: true });
    replica.add({ id: `req-${i}`, promptTokenIds: prompt, maxTokens: Math.min(MAX_TOKENS[i]!, maxModelLen - prompt.length), arrivalTime: 0 });
  });
  const logs: StepLog[] = [];
  for (let now = 0; ; now++) {
    const step = replica.beginStep(now);
    if (step === null) break;
    replica.endStep(step.plan);
    logs.push(simStepLog(0, replica, step.plan, now, now + 1));
  }
  return { schedule: logs.map((l) => ({ scheduled: l.scheduled, preempted: l.preempted })), logs };
}

const base: EngineConfig = { maxNumSeqs: 4, maxNumBatchedTokens: 24, blockSize: 4, kvDtype: "f16", enablePrefixCaching: true, policy: "fcfs" };

describe("a simulated replica plans the engine's steps", () => {
  const cases: Array<[string, EngineConfig & { numKvBlocks: number }]> = [
    ["chunked prefill, prefix caching, 4 running at most", { ...base, numKvBlocks: 200 }],
    ["a KV pool small enough to force preemptions (FCFS)", { ...base, numKvBlocks: 24 }],
    ["priority policy, no prefix caching, preemptions", { ...base, numKvBlocks: 24, enablePrefixCaching: false, policy: "priority" }],
  ];
  for (const [name, config] of cases) {
    it(name, async () => {
      const real = await engineSchedule({ ...config, numKvBlocks: config.numKvBlocks });
      const sim = simSchedule(config, real.maxModelLen);
      expect(real.schedule.length).toBeGreaterThan(10);
      expect(sim.schedule).toEqual(real.schedule);
      // The KV state after each step agrees too.
      const kvState = (l: StepLog) => [l.blocks_used, l.blocks_cached, l.blocks_free, l.num_running, l.num_waiting, l.num_prefill_tokens, l.num_decode_tokens];
      expect(sim.logs.map(kvState)).toEqual(real.logs.map(kvState));
      if (config.numKvBlocks === 24) expect(real.logs.some((l) => l.preempted.length > 0)).toBe(true);
    });
  }

  it("sim calibrate reads the engine's real step log", async () => {
    const real = await engineSchedule({ ...base, numKvBlocks: 200, enablePrefixCaching: false });
    const arch = architectureFromGguf(STORIES_260K);
    const costs = deploymentCosts({ model: arch, tp: 1, weightBytesPerParam: 4, kvBytesPerElement: 2 });
    const steps = measuredSteps(real.logs as unknown as StepLogLine[]);
    const fit = calibrate(steps, costs, { model: arch.name, tp: 1, skipFirstSteps: 2 });
    expect(fit.quality!.numSteps).toBe(real.logs.length - 2);
    for (const v of Object.values(fit.coefficients)) expect(v).toBeGreaterThanOrEqual(0);
    // Wall-clock steps on a shared machine are noisy; the fitted model must still account for the
    // run's total time (a wrong feature or a units slip would be off by orders of magnitude).
    const model = new LinearStepTime(fit, costs);
    const measured = steps.slice(2).reduce((s, x) => s + x.durationMs, 0);
    const predicted = steps.slice(2).reduce((s, x) => s + model.stepTimeMs(x.sequences), 0);
    expect(predicted / measured).toBeGreaterThan(0.5);
    expect(predicted / measured).toBeLessThan(2);
  });
});
