import { availableParallelism, freemem, totalmem } from "node:os";
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import { parseSlo } from "../bench/metrics/request-metrics.js";
import { readSummary } from "../bench/report/files.js";
import type { RunSummary } from "../bench/report/summary.js";
import { formatRunTable } from "../bench/report/table.js";
import { datasetSize } from "../bench/run/config.js";
import { rateArrivals } from "../bench/workload/arrivals.js";
import { DEFAULT_ENGINE_CONFIG } from "../engine/engine.js";
import { parseByteSize } from "../engine/kv/memory.js";
import { isRoutingPolicyName, ROUTING_POLICY_NAMES, type RoutingPolicyName } from "../router/policies/index.js";
import { calibrate } from "../sim/calibrate/calibrate.js";
import { calibratedGpuSpec, meanStepWaitMs, requestLatencyFromBench } from "../sim/calibrate/hardware-file.js";
import { measuredSteps, parseStepLog } from "../sim/calibrate/step-log.js";
import { BUILTIN_GPUS } from "../sim/hardware/builtin-gpus.js";
import { resolveGpu } from "../sim/hardware/gpu-file.js";
import type { GpuSpec } from "../sim/hardware/gpu.js";
import { numParams } from "../sim/model/architecture.js";
import { BUILTIN_MODELS } from "../sim/model/builtin-models.js";
import { resolveModel } from "../sim/model/resolve.js";
import { deploymentCosts } from "../sim/perf/deployment.js";
import { stepTimeModelFor } from "../sim/perf/factory.js";
import { predictProfilePoint } from "../sim/perf/profile.js";
import { type PlanCandidate, renderPlanReport, formatPlan } from "../sim/plan.js";
import { planFleetInWorkers } from "../sim/plan-parallel.js";
import { writeSimOutputs } from "../sim/report/output.js";
import { writeRequestsInWorker } from "../bench/report/requests-writer.js";
import { runSimulationInThreads, type SimRunConfig, type SimRunOutput } from "../sim/run.js";
import { simStepLog } from "../sim/step-log.js";
import { compareWithSplitwise } from "../sim/splitwise/compare.js";
import { fitRooflineCoefficients } from "../sim/splitwise/fit.js";
import { formatSplitwiseComparison } from "../sim/splitwise/format.js";
import { readSplitwiseProfile, SPLITWISE_HARDWARE } from "../sim/splitwise/profile.js";
import type { WorkloadSpec } from "../sim/workload.js";
import { addWorkloadFlags, datasetFromFlags, numRequestsFromFlags, type WorkloadFlags } from "./bench.js";
import { addEngineFlags, type EngineFlags } from "./engine-flags.js";
import { action, num } from "./errors.js";
import { progressReporter } from "./progress.js";

const int = (name: string, min = 1) => num(name, { int: true, min });

/** The Splitwise profile shipped next to the checkout. */
const DEFAULT_SPLITWISE_PROFILE = "../shared/traces/splitwise_perf_model.csv";

function byteSize(value: string): number {
  try {
    return parseByteSize(value);
  } catch (e) {
    throw new InvalidArgumentError(e instanceof Error ? e.message : String(e));
  }
}

function list(value: string): string[] {
  return value.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

function intList(name: string) {
  return (value: string): number[] =>
    list(value).map((s) => {
      const v = Number(s);
      if (!Number.isInteger(v) || v < 1) throw new InvalidArgumentError(`${name} must be a list of positive integers, e.g. 1,2,4`);
      return v;
    });
}

/** Deployment flags shared by `run` and `plan`. */
interface DeploymentFlags {
  model: string;
  gpuMemoryUtilization: number;
  weightBytesPerParam: number;
  maxModelLen?: number;
  pricePerHour?: number;
}

function addDeploymentFlags(cmd: Command): Command {
  return cmd
    .requiredOption("--model <name|file.gguf>", `a built-in model (${BUILTIN_MODELS.map((m) => m.name).join(", ")}) or a GGUF file (metadata only)`)
    .option("--gpu-memory-utilization <f>", "fraction of GPU memory for weights, activations and KV cache", num("--gpu-memory-utilization", { min: 0.01, max: 1 }), 0.9)
    .option("--weight-bytes-per-param <b>", "bytes per weight of built-in models: 2 = BF16, 1 = FP8/INT8, 0.5 = 4-bit", num("--weight-bytes-per-param", { min: 0.1 }), 2)
    .option("--max-model-len <n>", "context cap (default: the model's)", int("--max-model-len"))
    .option("--price-per-hour <usd>", "price of one GPU-hour (default: the GPU spec's)", num("--price-per-hour", { min: 0 }));
}

function withPrice(gpu: GpuSpec, price: number | undefined): GpuSpec {
  return price === undefined ? gpu : { ...gpu, pricePerHourUsd: price };
}

function workloadSpecFromFlags(f: WorkloadFlags): WorkloadSpec {
  const dataset = datasetFromFlags(f);
  const numRequests = numRequestsFromFlags(f, dataset);
  const requestRate = f.requestRate ?? (dataset.kind === "trace" ? "trace" : Infinity);
  return {
    dataset,
    arrivals: requestRate === "trace" ? { kind: "trace", timeScale: f.timeScale } : rateArrivals(requestRate, f.burstiness),
    seed: f.seed,
    limits: { ...(numRequests !== null ? { numRequests } : {}), ...(f.duration !== undefined ? { durationMs: f.duration * 1000 } : {}) },
  };
}

/**
 * The engine's own flags with the engine's own defaults, except the KV pool: without
 * --num-kv-blocks or --kv-cache-memory it is what the GPU's memory leaves (the engine's CPU
 * default, 2 GiB at most, would starve a GPU).
 */
function engineSettings(f: EngineFlags): SimRunConfig["engine"] {
  const d = DEFAULT_ENGINE_CONFIG;
  return {
    maxNumSeqs: f.maxNumSeqs ?? d.maxNumSeqs,
    maxNumBatchedTokens: f.maxBatchedTokens ?? d.maxNumBatchedTokens,
    blockSize: f.blockSize ?? d.blockSize,
    enablePrefixCaching: f.prefixCaching ?? d.enablePrefixCaching,
    ...(f.prefixCachingHashAlgo !== undefined ? { prefixCachingHashAlgo: f.prefixCachingHashAlgo } : {}),
    policy: f.schedulingPolicy ?? d.policy,
    kvDtype: f.kvCacheDtype ?? d.kvDtype,
    // As the engine: --num-kv-blocks wins over --kv-cache-memory.
    ...(f.numKvBlocks !== undefined ? { numKvBlocks: f.numKvBlocks } : f.kvCacheMemory !== undefined ? { kvCacheMemoryBytes: f.kvCacheMemory } : {}),
  };
}

function openForWriting(path: string): number {
  mkdirSync(dirname(path), { recursive: true });
  return openSync(path, "a");
}

function warn(message: string): void {
  process.stderr.write(`flotilla: warning: ${message}\n`);
}

interface RunFlags extends WorkloadFlags, EngineFlags, DeploymentFlags {
  gpu: string;
  tp: number;
  replicas: number;
  router: RoutingPolicyName;
  maxConcurrency?: number;
  slo?: string;
  label?: string;
  out: string;
  /** commander's `--no-fast-paths`: false when given. */
  fastPaths: boolean;
  threads: number;
}

async function runCommand(f: RunFlags): Promise<void> {
  const model = resolveModel(f.model);
  const gpu = withPrice(resolveGpu(f.gpu), f.pricePerHour);
  const workload = workloadSpecFromFlags(f);
  const size = datasetSize(workload.dataset);
  const total = size === null ? (workload.limits.numRequests ?? 0) : Math.min(size, workload.limits.numRequests ?? Infinity);
  const progress = progressReporter("simulating");
  // Appended as the run goes (a fleet run has millions of steps), one line per step, as the engine's --log-steps.
  const fd = f.logSteps !== undefined ? openForWriting(f.logSteps) : null;
  // requests.jsonl (every gap between tokens as JSON) is written by a worker thread while the
  // summary and reports are made here.
  let requestsWritten: Promise<string> | undefined;
  const t0 = performance.now();
  let simulatedAt = t0;
  let out: SimRunOutput;
  try {
    out = await runSimulationInThreads({
      model,
      gpu,
      tp: f.tp,
      numReplicas: f.replicas,
      router: f.router,
      engine: engineSettings(f),
      memoryUtilization: f.gpuMemoryUtilization,
      weightBytesPerParam: f.weightBytesPerParam,
      ...(f.maxModelLen !== undefined ? { maxModelLen: f.maxModelLen } : {}),
      workload,
      ...(f.label !== undefined ? { label: f.label } : {}),
      ...(f.maxConcurrency !== undefined ? { maxConcurrency: f.maxConcurrency } : {}),
      ...(f.slo !== undefined ? { slo: parseSlo(f.slo) } : {}),
      onProgress: (_simMs, finished) => progress(finished, total),
      fastPaths: f.fastPaths,
      onSimulated: () => {
        simulatedAt = performance.now();
      },
      onRecords: (records) => {
        requestsWritten = writeRequestsInWorker(f.out, records);
        // Reported when awaited; until then a failure must not count as unhandled.
        requestsWritten.catch(() => undefined);
      },
      ...(fd !== null ? { onStepEnd: (i, replica, plan, startMs, endMs) => void writeSync(fd, `${JSON.stringify(simStepLog(i, replica, plan, startMs, endMs))}\n`) } : {}),
      warn,
    }, f.threads);
  } finally {
    progress.done();
    if (fd !== null) closeSync(fd);
  }
  const wallS = (performance.now() - t0) / 1000;
  const { files } = await writeSimOutputs(f.out, out.summary, out.records, out.result, requestsWritten);
  const writtenS = (performance.now() - t0) / 1000;
  const s = out.summary;
  const n = s.metrics.requests.sent;
  process.stdout.write(`${formatRunTable(s)}\n`);
  process.stdout.write(
    [
      `KV cache: ${out.numKvBlocks} blocks of ${out.summary.sim.blockSize} tokens per replica${out.capacity ? ` (${(out.capacity.kvBytesPerGpu / 2 ** 30).toFixed(1)} GiB per GPU after ${(out.capacity.weightBytesPerGpu / 2 ** 30).toFixed(1)} GiB of weights)` : ""}`,
      `prefix-cache hit rate ${s.sim.prefixCacheHitRate === null ? "-" : `${(100 * s.sim.prefixCacheHitRate).toFixed(1)}%`}, preemptions ${s.sim.preemptions}`,
      `GPU-hours ${s.sim.gpuHours.toPrecision(4)}, cost $${s.sim.costUsd.toPrecision(4)}, $${s.sim.costPerMillionOutputTokensUsd?.toPrecision(4) ?? "-"} per million output tokens`,
      `results: ${files.join(", ")}`,
    ].join("\n") + "\n",
  );
  const simS = (simulatedAt - t0) / 1000;
  process.stderr.write(
    `simulated ${n} requests (${s.sim.steps} steps${out.numThreads > 1 ? `, ${out.numThreads} threads` : ""}) in ${wallS.toFixed(2)} s of wall time: ${(n / wallS).toFixed(0)} requests/s ` +
      `(the simulation itself ${simS.toFixed(2)} s = ${(n / simS).toFixed(0)} requests/s, workload generation included; the rest is the summary); ` +
      `${writtenS.toFixed(2)} s with the result files written\n`,
  );
}

interface StepTimeFlags {
  model: string;
  gpu: string;
  tp: number;
  batch: number;
  prompt: number;
  tokens: number;
  weightBytesPerParam: number;
  json?: boolean;
}

function stepTimeCommand(f: StepTimeFlags): void {
  const model = resolveModel(f.model);
  const gpu = resolveGpu(f.gpu);
  const deployment = { model, tp: f.tp, weightBytesPerParam: f.weightBytesPerParam, kvBytesPerElement: 2 };
  const stepTime = stepTimeModelFor(gpu, deployment, warn);
  const p = predictProfilePoint(stepTime, { promptSize: f.prompt, batchSize: f.batch, tokenSize: f.tokens });
  const firstDecodeMs = stepTime.stepTimeMs(Array.from({ length: f.batch }, () => ({ numComputedTokens: f.prompt, numScheduledTokens: 1, sample: true })));
  const result = {
    model: model.name,
    gpu: gpu.name,
    tp: f.tp,
    batch: f.batch,
    prompt: f.prompt,
    tokens: f.tokens,
    stepTimeModel: stepTime.description,
    prefillMs: p.promptTimeMs,
    firstDecodeStepMs: firstDecodeMs,
    meanDecodeStepMs: p.tokenTimeMs,
    e2eMs: p.e2eTimeMs,
    weightsPerGpuGiB: deploymentCosts(deployment).weightBytesPerGpu / 2 ** 30,
  };
  if (f.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    [
      `${model.name} on ${gpu.name} x${f.tp} (${stepTime.description}), batch ${f.batch}, prompt ${f.prompt}`,
      `prefill (one step, ${f.batch} x ${f.prompt} tokens): ${p.promptTimeMs.toFixed(2)} ms`,
      `decode per token: ${firstDecodeMs.toFixed(2)} ms at context ${f.prompt}; mean ${p.tokenTimeMs.toFixed(2)} ms over ${f.tokens} tokens`,
      `end to end (${f.tokens} tokens): ${p.e2eTimeMs.toFixed(1)} ms`,
    ].join("\n") + "\n",
  );
}

function validateSplitwiseCommand(f: { profile: string; fit?: boolean; json?: boolean }): void {
  const rows = readSplitwiseProfile(f.profile);
  const c = compareWithSplitwise(rows);
  if (f.json) {
    const { rows: _rows, ...errors } = c;
    process.stdout.write(`${JSON.stringify(errors, null, 2)}\n`);
  } else {
    process.stdout.write(`Splitwise profile ${f.profile}: ${c.rows.length} rows, predicted with the built-in coefficients\n${formatSplitwiseComparison(c)}\n`);
  }
  if (!f.fit) return;
  // Refit each GPU's coefficients on its clean rows, and check generalisation across models:
  // fit on Llama-2-70B alone, predict BLOOM-176B.
  const clean = c.rows.filter((r) => r.plausible && !r.powerCapped).map((r) => r.row);
  for (const [hw, mapped] of SPLITWISE_HARDWARE) {
    if (mapped.powerCapped) continue;
    const gpu = resolveGpu(mapped.gpu);
    const mine = clean.filter((r) => r.hardware === hw);
    if (mine.length === 0) continue;
    const all = fitRooflineCoefficients(gpu, mine);
    process.stdout.write(`\n${hw} -> ${gpu.name}: fitted on ${mine.length} clean rows, mean |log error| ${all.meanAbsLogError.toFixed(3)}\n${JSON.stringify(all.coefficients)}\n`);
    const llama = fitRooflineCoefficients(gpu, mine.filter((r) => r.model === "llama2-70b"));
    const heldOut = compareWithSplitwise(rows.filter((r) => r.hardware === hw && r.model !== "llama2-70b"), () => ({ ...gpu, coefficients: llama.coefficients }));
    const e = heldOut.clean;
    process.stdout.write(
      `  fitted on llama2-70b only, predicting the other models: prefill MAPE ${e.prompt.mapePct.toFixed(1)}% (median ${e.prompt.medianApePct.toFixed(1)}%), token MAPE ${e.token.mapePct.toFixed(1)}% (median ${e.token.medianApePct.toFixed(1)}%)\n`,
    );
  }
}

interface CalibrateFlags {
  stepLog: string;
  model: string;
  tp: number;
  out: string;
  name?: string;
  baseGpu?: string;
  memory?: number;
  pricePerHour?: number;
  skipFirst: number;
  weightBytesPerParam: number;
  benchSummary?: string;
}

function runSummaryIn(dir: string): RunSummary {
  const s = readSummary(dir);
  if (s.kind !== "run") throw new Error(`${dir}: a sweep; give the folder of one run`);
  return s;
}

function calibrateCommand(f: CalibrateFlags): void {
  const model = resolveModel(f.model);
  const lines = parseStepLog(readFileSync(f.stepLog, "utf8"), f.stepLog);
  const costs = deploymentCosts({ model, tp: f.tp, weightBytesPerParam: f.weightBytesPerParam, kvBytesPerElement: 2 });
  const steps = measuredSteps(lines);
  const fit = calibrate(steps, costs, { model: model.name, tp: f.tp, skipFirstSteps: f.skipFirst });
  const stepWaitMs = meanStepWaitMs(lines, steps);
  const latency = f.benchSummary !== undefined ? requestLatencyFromBench(runSummaryIn(f.benchSummary), stepWaitMs) : undefined;
  if (latency === null) throw new Error(`${f.benchSummary}: the run has no server TTFT histogram to compare with; give a bench result of a server with /metrics`);
  const spec = calibratedGpuSpec(fit, {
    name: f.name ?? `calibrated-${model.name}`,
    ...(f.baseGpu !== undefined ? { base: resolveGpu(f.baseGpu) } : {}),
    // A CPU engine keeps weights and KV in RAM: what is free now is what it could use.
    memoryBytes: f.memory ?? (f.baseGpu === undefined ? Math.min(totalmem(), freemem() + 2 ** 30) : undefined),
    ...(f.pricePerHour !== undefined ? { pricePerHourUsd: f.pricePerHour } : {}),
    ...(latency !== undefined ? { requestLatencyMs: latency } : {}),
  });
  mkdirSync(dirname(f.out), { recursive: true });
  writeFileSync(f.out, `${JSON.stringify(spec, null, 2)}\n`);
  const q = fit.quality!;
  process.stdout.write(
    [
      `fitted ${q.numSteps} steps of ${f.stepLog} (${model.name}, tp ${f.tp}): R^2 ${q.r2.toFixed(4)}, RMSE ${q.rmseMs.toFixed(3)} ms, mean abs error ${q.meanAbsPctError.toFixed(1)}%`,
      ...Object.entries(fit.coefficients).map(([k, v]) => `  ${k.padEnd(20)} ${v.toPrecision(4)}`),
      ...(latency !== undefined
        ? [`  requestLatencyMs     ${latency.toPrecision(4)} (client TTFT - server TTFT in ${f.benchSummary}, less ${stepWaitMs.toPrecision(3)} ms of mean wait for the step in progress)`]
        : []),
      `wrote ${f.out} (use it with --gpu ${f.out})`,
    ].join("\n") + "\n",
  );
}

interface PlanFlags extends WorkloadFlags, EngineFlags, DeploymentFlags {
  slo: string;
  attainment: number;
  gpus: string[];
  tpOptions: number[];
  batchedTokensOptions: number[];
  maxReplicas: number;
  workers: number;
  router: RoutingPolicyName;
  out: string;
}

async function planCommand(f: PlanFlags): Promise<void> {
  const model = resolveModel(f.model);
  const slo = parseSlo(f.slo);
  const workload = workloadSpecFromFlags(f);
  const t0 = performance.now();
  const plan = await planFleetInWorkers({
    model,
    gpus: f.gpus.map((g) => withPrice(resolveGpu(g), f.pricePerHour)),
    tpOptions: f.tpOptions,
    maxNumBatchedTokensOptions: f.batchedTokensOptions,
    maxReplicas: f.maxReplicas,
    slo,
    attainment: f.attainment,
    router: f.router,
    engine: engineSettings(f),
    memoryUtilization: f.gpuMemoryUtilization,
    weightBytesPerParam: f.weightBytesPerParam,
    ...(f.maxModelLen !== undefined ? { maxModelLen: f.maxModelLen } : {}),
    workload,
    onCandidate: (c: PlanCandidate) =>
      process.stderr.write(
        `  ${c.gpu} tp${c.tp} mbt${c.maxNumBatchedTokens} x${c.replicas}: ${c.feasible ? `${c.note ?? `${(100 * c.attainment).toFixed(1)}% within SLO`}, $${c.costPerHourUsd.toFixed(2)}/h` : c.note}\n`,
      ),
    warn,
  }, f.workers);
  mkdirSync(f.out, { recursive: true });
  writeFileSync(join(f.out, "plan.json"), `${JSON.stringify(plan, null, 2)}\n`);
  writeFileSync(join(f.out, "plan.html"), renderPlanReport(plan));
  process.stdout.write(`${formatPlan(plan)}\nsearched in ${((performance.now() - t0) / 1000).toFixed(1)} s; wrote ${join(f.out, "plan.json")} and plan.html\n`);
}

/**
 * Worker threads for a simulation: one per CPU, but each holds a fleet's simulation (a long trace
 * takes ~1 GiB): at most one per 2 GiB free.
 */
function defaultWorkerThreads(): number {
  return Math.max(1, Math.min(availableParallelism(), Math.floor(freemem() / 2 ** 31)));
}

function listCommand(): void {
  const lines = ["Models (built in; any GGUF file works too):"];
  for (const m of BUILTIN_MODELS) {
    lines.push(`  ${m.name.padEnd(14)} ${(numParams(m) / 1e9).toFixed(1).padStart(6)}B params, ${m.numLayers} layers, hidden ${m.hiddenSize}, heads ${m.numHeads}/${m.numKvHeads} KV, FFN ${m.ffnDim}, vocab ${m.vocabSize}, context ${m.contextLength}`);
  }
  lines.push("GPUs (built in; --gpu FILE.json for others):");
  for (const g of BUILTIN_GPUS) {
    lines.push(
      `  ${g.name.padEnd(10)} ${(g.matmulFlopsPerSec / 1e12).toFixed(0).padStart(4)} TFLOP/s, ${(g.memoryBandwidthBytesPerSec / 1e9).toFixed(0).padStart(5)} GB/s, ${(g.memoryBytes / 2 ** 30).toFixed(0).padStart(3)} GiB, link ${(g.interconnectBytesPerSec / 1e9).toFixed(0)} GB/s, $${g.pricePerHourUsd.toFixed(2)}/h`,
    );
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}

function routerOption(): Option {
  return new Option("--router <policy>", "routing across replicas").choices([...ROUTING_POLICY_NAMES]).default("round-robin").argParser((v: string) => {
    if (!isRoutingPolicyName(v)) throw new InvalidArgumentError(`--router must be one of ${ROUTING_POLICY_NAMES.join(", ")}`);
    return v;
  });
}

export function registerSim(program: Command): void {
  const sim = program.command("sim").description("simulate a fleet serving a workload, with the engine's own scheduler and KV-cache manager");
  sim.enablePositionalOptions();

  const run = sim
    .command("run")
    .description("simulate replicas behind a router serving a workload; writes bench's summary.json, requests.jsonl, report.html, plus fleet.html")
    .requiredOption("--gpu <name|file.json>", `a built-in GPU (${BUILTIN_GPUS.map((g) => g.name).join(", ")}) or a spec file (e.g. from sim calibrate)`)
    .option("--tp <n>", "tensor-parallel GPUs per replica", int("--tp"), 1)
    .option("--replicas <n>", "replicas in the fleet", int("--replicas"), 1)
    .addOption(routerOption())
    .option("--max-concurrency <n>", "at most n requests in flight (client-side, as bench's)", int("--max-concurrency"))
    .option("--slo <list>", "goodput objectives in ms, e.g. ttft=500,tpot=50")
    .option("--label <name>", "name of this run in reports")
    .option("--no-fast-paths", "plan every step one by one and route each request when it arrives (slower, same results: checks the fast paths)")
    .option("--threads <n>", "with a router that ignores replica state (round-robin), simulate the replicas in this many threads (same results; default: the CPU count, at most one per 2 GiB of free memory)", int("--threads"), defaultWorkerThreads())
    .option("--out <dir>", "folder for the results", "sim-results");
  addDeploymentFlags(run);
  addWorkloadFlags(run);
  addEngineFlags(run).action(action(async (flags: RunFlags) => runCommand(flags)));

  sim
    .command("step-time")
    .description("predicted prefill time and per-token decode time of one batch")
    .requiredOption("--model <name|file.gguf>", "a built-in model or a GGUF file")
    .requiredOption("--gpu <name|file.json>", "a built-in GPU or a spec file")
    .option("--tp <n>", "tensor-parallel GPUs", int("--tp"), 1)
    .option("--batch <n>", "sequences in the batch", int("--batch"), 1)
    .option("--prompt <n>", "prompt tokens per sequence", int("--prompt"), 512)
    .option("--tokens <n>", "generated tokens per sequence (the decode time is averaged over them)", int("--tokens"), 128)
    .option("--weight-bytes-per-param <b>", "bytes per weight of built-in models", num("--weight-bytes-per-param", { min: 0.1 }), 2)
    .option("--json", "print JSON")
    .action(action((flags: StepTimeFlags) => stepTimeCommand(flags)));

  sim
    .command("validate-splitwise")
    .description("compare predicted prefill and decode times with the measured Splitwise profiles (Llama-2-70B, BLOOM-176B on A100/H100)")
    .option("--profile <file>", "splitwise_perf_model.csv", DEFAULT_SPLITWISE_PROFILE)
    .option("--fit", "also refit each GPU's coefficients and test them on a held-out model")
    .option("--json", "print the error summaries as JSON")
    .action(action((flags: { profile: string; fit?: boolean; json?: boolean }) => validateSplitwiseCommand(flags)));

  sim
    .command("calibrate")
    .description("fit the step-time model to a real engine's --log-steps file; writes a --gpu spec")
    .requiredOption("--step-log <file>", "JSON lines from `flotilla serve|generate --log-steps` (best with --no-prefix-caching)")
    .requiredOption("--model <name|file.gguf>", "the model the log was recorded with")
    .requiredOption("--out <file.json>", "where to write the spec")
    .option("--tp <n>", "tensor parallelism of the logged engine", int("--tp"), 1)
    .option("--name <name>", "name of the calibrated machine")
    .option("--base-gpu <name|file.json>", "take peaks, memory, link and price from this GPU (the one the log came from)")
    .option("--memory <size>", "memory for weights and KV cache, e.g. 64GiB (default: the base GPU's, else this machine's free RAM)", byteSize)
    .option("--price-per-hour <usd>", "price of the machine per hour", num("--price-per-hour", { min: 0 }))
    .option("--skip-first <n>", "steps to drop at the start (warm-up)", int("--skip-first", 0), 10)
    .option("--bench-summary <dir>", "a `flotilla bench` result of the same server run: its client TTFT minus the server's gives the per-request latency")
    .option("--weight-bytes-per-param <b>", "bytes per weight of built-in models", num("--weight-bytes-per-param", { min: 0.1 }), 2)
    .action(action((flags: CalibrateFlags) => calibrateCommand(flags)));

  const plan = sim
    .command("plan")
    .description("search GPU x tensor parallelism x replicas x max batched tokens for the cheapest fleet that meets an SLO")
    .requiredOption("--slo <list>", "objectives in ms, e.g. ttft=500,tpot=50")
    .option("--attainment <f>", "fraction of requests that must meet the SLO", num("--attainment", { min: 0, max: 1 }), 0.99)
    .option("--gpus <list>", "GPUs to consider (names or spec files)", list, ["A100-80GB", "H100-SXM"])
    .option("--tp-options <list>", "tensor-parallel degrees to consider", intList("--tp-options"), [1, 2, 4, 8])
    .option("--batched-tokens-options <list>", "max batched tokens values to consider", intList("--batched-tokens-options"), [2048, 8192])
    .option("--max-replicas <n>", "largest fleet to consider per configuration", int("--max-replicas"), 64)
    .option("--workers <n>", "configurations sized at once, each in a worker thread (the result is the same; default: the CPU count, at most one per 2 GiB of free memory)", int("--workers"), defaultWorkerThreads())
    .addOption(routerOption().default("least-outstanding-work"))
    .option("--out <dir>", "folder for plan.json and plan.html", "sim-plan");
  addDeploymentFlags(plan);
  addWorkloadFlags(plan);
  addEngineFlags(plan).action(action((flags: PlanFlags) => planCommand(flags)));

  sim
    .command("list")
    .description("built-in models and GPUs")
    .action(action(() => listCommand()));
}
