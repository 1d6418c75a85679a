import type { BlockHashAlgorithm } from "../engine/kv/block-hash.js";
import { numBlocksForMemory } from "../engine/kv/memory.js";
import type { SchedulingPolicyName } from "../engine/scheduler/policy.js";
import { createRoutingPolicy, type RoutingPolicyName } from "../router/policies/index.js";
import { DEFAULT_PREFIX_INDEX } from "../router/policies/prefix-affinity.js";
import { simulateFleet, type FleetConfig, type FleetResult } from "./fleet/simulation.js";
import { simulateFleetInThreads } from "./fleet/threads.js";
import type { StepTimeModel } from "./perf/step-time.js";
import type { WorkloadItem } from "./workload.js";
import type { GpuSpec } from "./hardware/gpu.js";
import { kvHeadsPerGpu, type ModelArchitecture } from "./model/architecture.js";
import { kvCapacity, type KvCapacity } from "./perf/capacity.js";
import { deploymentCosts, type Deployment } from "./perf/deployment.js";
import { stepTimeModelFor } from "./perf/factory.js";
import type { RequestRecord as BenchRecord } from "../bench/client/record.js";
import type { Slo } from "../bench/metrics/request-metrics.js";
import { datasetSize } from "../bench/run/config.js";
import { toBenchRecords } from "./report/bench-format.js";
import { simSummary, type SimRunSummary } from "./report/summary.js";
import { describesPromptContent, simTokenPool, workloadItems, type WorkloadSpec } from "./workload.js";

/** The engine's own settings (the same meaning as `flotilla serve`'s flags). */
export interface SimEngineSettings {
  readonly maxNumSeqs: number;
  readonly maxNumBatchedTokens: number;
  readonly blockSize: number;
  readonly enablePrefixCaching: boolean;
  /** Default "fast64": simulated prompts are synthetic, and hashing is much of a run's cost. */
  readonly prefixCachingHashAlgo?: BlockHashAlgorithm;
  readonly policy: SchedulingPolicyName;
  readonly kvDtype: "f16" | "f32";
  /** KV pool as a block count or as bytes per GPU; neither: what the GPU's memory leaves. */
  readonly numKvBlocks?: number;
  readonly kvCacheMemoryBytes?: number;
}

export interface SimRunConfig {
  readonly model: ModelArchitecture;
  readonly gpu: GpuSpec;
  readonly tp: number;
  readonly numReplicas: number;
  readonly router: RoutingPolicyName;
  readonly engine: SimEngineSettings;
  /** Fraction of GPU memory for weights, activations and KV (vLLM's default 0.9). */
  readonly memoryUtilization: number;
  /** Bytes per weight when the model does not say (2 = BF16). */
  readonly weightBytesPerParam: number;
  /** Context cap; default the model's. */
  readonly maxModelLen?: number;
  readonly workload: WorkloadSpec;
  /** Legend name in reports; default "sim MODEL on GPU". */
  readonly label?: string;
  readonly maxConcurrency?: number;
  readonly slo?: Slo;
  readonly onProgress?: (simulatedMs: number, numFinished: number) => void;
  readonly onStepEnd?: FleetConfig["onStepEnd"];
  /** Ends the run early (see FleetConfig.stopWhen). */
  readonly stopWhen?: FleetConfig["stopWhen"];
  /** Decode runs and routing ahead (default true; see FleetConfig.fastPaths). */
  readonly fastPaths?: boolean;
  /**
   * Default true: where the dataset describes prompt content and nothing but the prefix cache
   * reads it, hash the description instead of drawing tokens (FleetConfig.describedPrompts; same
   * results). False draws the tokens.
   */
  readonly describePrompts?: boolean;
  /** Called when the fleet simulation is done, before its summary is built (lets a caller time the two). */
  readonly onSimulated?: () => void;
  /** Called with the bench-format records before the summary is built (the CLI starts writing requests.jsonl then). */
  readonly onRecords?: (records: readonly BenchRecord[]) => void;
  readonly warn?: (message: string) => void;
}

export interface SimRunOutput {
  readonly summary: SimRunSummary;
  /** requests.jsonl, as bench writes it. */
  readonly records: readonly BenchRecord[];
  readonly result: FleetResult;
  readonly numKvBlocks: number;
  /** How the KV pool was sized (absent when given as a block count or bytes). */
  readonly capacity?: KvCapacity;
  /** Threads the fleet was simulated in (1 unless `runSimulationInThreads` split it). */
  readonly numThreads: number;
}

/** Number of KV blocks per replica: as given, or what the memory leaves after weights and activations. */
export function replicaKvBlocks(config: Pick<SimRunConfig, "model" | "gpu" | "tp" | "engine" | "memoryUtilization" | "weightBytesPerParam">): { numKvBlocks: number; capacity?: KvCapacity } {
  const { model, engine } = config;
  if (engine.numKvBlocks !== undefined) return { numKvBlocks: engine.numKvBlocks };
  if (engine.kvCacheMemoryBytes !== undefined) {
    const numKvBlocks = numBlocksForMemory(engine.kvCacheMemoryBytes, {
      numLayers: model.numLayers,
      numKvHeads: kvHeadsPerGpu(model, config.tp),
      headDim: model.headDim,
      blockSize: engine.blockSize,
      dtype: engine.kvDtype,
    });
    return { numKvBlocks };
  }
  const capacity = kvCapacity({
    gpu: config.gpu,
    model,
    costs: deploymentCosts(deploymentOf(config)),
    memoryUtilization: config.memoryUtilization,
    maxNumBatchedTokens: engine.maxNumBatchedTokens,
    maxNumSeqs: engine.maxNumSeqs,
    blockSize: engine.blockSize,
    kvDtype: engine.kvDtype,
  });
  return { numKvBlocks: capacity.numBlocks, capacity };
}

export function deploymentOf(config: Pick<SimRunConfig, "model" | "tp" | "engine" | "weightBytesPerParam">): Deployment {
  return { model: config.model, tp: config.tp, weightBytesPerParam: config.weightBytesPerParam, kvBytesPerElement: config.engine.kvDtype === "f32" ? 4 : 2 };
}

/** A fleet simulation of a `SimRunConfig`, made and not yet run. */
export interface PreparedSimulation {
  readonly numKvBlocks: number;
  readonly capacity?: KvCapacity;
  readonly stepTime: StepTimeModel;
  /** The fleet: replicas, router and settings (no callbacks). */
  readonly fleet: FleetConfig;
  /** The workload, made afresh on each call (the simulator adopts its prompt arrays). */
  readonly items: () => Iterable<WorkloadItem>;
}

/** Sizing, replicas, router and workload of `config`; throws when the model does not fit. */
export function prepareSimulation(config: SimRunConfig): PreparedSimulation {
  const { model, gpu, engine } = config;
  const { numKvBlocks, capacity } = replicaKvBlocks(config);
  if (numKvBlocks < 1) {
    const c = capacity;
    throw new Error(
      c
        ? `${model.name} does not fit ${gpu.name} x${config.tp}: ${(c.weightBytesPerGpu / 2 ** 30).toFixed(1)} GiB of weights and ${(c.activationReserveBytesPerGpu / 2 ** 30).toFixed(1)} GiB of activations per GPU leave no KV cache (raise --tp)`
        : "the KV cache budget holds no block",
    );
  }
  const stepTime = stepTimeModelFor(gpu, deploymentOf(config), config.warn);
  // As the engine: no sequence may outgrow the whole pool, or preempting could not make room.
  const maxModelLen = Math.min(config.maxModelLen ?? model.contextLength, numKvBlocks * engine.blockSize);
  const replicaConfig = {
    scheduler: { maxNumSeqs: engine.maxNumSeqs, maxNumBatchedTokens: engine.maxNumBatchedTokens, maxModelLen, policy: engine.policy },
    numKvBlocks,
    blockSize: engine.blockSize,
    enablePrefixCaching: engine.enablePrefixCaching,
    hashAlgorithm: engine.prefixCachingHashAlgo ?? "fast64",
    stepTime,
  };
  const router = createRoutingPolicy(config.router, {
    // The router remembers about as many prompt blocks per replica as its KV cache holds.
    prefixIndex: { maxBlocksPerEndpoint: Math.max(1, Math.floor((numKvBlocks * engine.blockSize) / DEFAULT_PREFIX_INDEX.blockSize)) },
  });
  // Prompt content is read only by prefix caching and prefix-aware routing; the prefix cache can
  // hash a trace's description of it instead (no tokens drawn, fewer words hashed).
  const describedPrompts = engine.enablePrefixCaching && !router.readsPromptTokens && describesPromptContent(config.workload.dataset) && config.describePrompts !== false;
  const pool = simTokenPool(model.vocabSize, (engine.enablePrefixCaching || router.readsPromptTokens) && !describedPrompts);
  const fleet: FleetConfig = {
    describedPrompts,
    replicas: Array.from({ length: config.numReplicas }, () => replicaConfig),
    router,
    ...(config.maxConcurrency !== undefined ? { maxConcurrency: config.maxConcurrency } : {}),
    ...(gpu.requestLatencyMs !== undefined ? { requestLatencyMs: gpu.requestLatencyMs } : {}),
    ...(config.fastPaths !== undefined ? { fastPaths: config.fastPaths } : {}),
  };
  return { numKvBlocks, ...(capacity ? { capacity } : {}), stepTime, fleet, items: () => workloadItems(config.workload, pool) };
}

/** Runs one fleet simulation end to end: sizing, replicas, router, workload, summary. */
export function runSimulation(config: SimRunConfig): SimRunOutput {
  const prepared = prepareSimulation(config);
  const result = simulateFleet(
    {
      ...prepared.fleet,
      ...(config.onProgress ? { onProgress: config.onProgress } : {}),
      ...(config.onStepEnd ? { onStepEnd: config.onStepEnd } : {}),
      ...(config.stopWhen ? { stopWhen: config.stopWhen } : {}),
    },
    prepared.items(),
  );
  return finishSimulation(config, prepared, result);
}

/**
 * `runSimulation`, with the replicas split over up to `threads` worker threads when they never
 * meet: the router ignores replica state (round-robin), so every request's replica follows from
 * the workload's order alone, and nothing a request does sends another (no conversations, no
 * --max-concurrency). The result is the same as in one thread (fleet/threads.ts). Otherwise, with
 * `threads` <= 1, or for fewer than 2,000 requests, it runs here.
 */
/** Fewer requests than this are simulated in one thread whatever `threads` says. */
const MIN_REQUESTS_FOR_THREADS = 2000;

export async function runSimulationInThreads(config: SimRunConfig, threads: number): Promise<SimRunOutput> {
  const prepared = prepareSimulation(config);
  // A small workload is done before threads would have started (~0.2 s each).
  const numRequests = Math.min(datasetSize(config.workload.dataset) ?? Infinity, config.workload.limits.numRequests ?? Infinity);
  const n = numRequests < MIN_REQUESTS_FOR_THREADS ? 1 : Math.min(Math.floor(threads), config.numReplicas);
  const independent =
    !prepared.fleet.router.usesEndpointState &&
    config.maxConcurrency === undefined &&
    config.onStepEnd === undefined &&
    config.stopWhen === undefined &&
    config.fastPaths !== false &&
    config.workload.dataset.kind !== "multi-turn";
  if (n <= 1 || !independent) return runSimulation(config);
  const { onProgress, onSimulated: _onSimulated, onRecords: _onRecords, warn: _warn, ...settings } = config;
  const result = await simulateFleetInThreads(settings, n, onProgress);
  return { ...finishSimulation(config, prepared, result), numThreads: n };
}

function finishSimulation(config: SimRunConfig, prepared: PreparedSimulation, result: FleetResult): SimRunOutput {
  const { model, gpu, engine } = config;
  const { numKvBlocks, capacity, stepTime } = prepared;
  config.onSimulated?.();
  const records = toBenchRecords(result);
  config.onRecords?.(records);
  const summary = simSummary(result, records, {
    label: config.label ?? `sim ${model.name} on ${gpu.name}${config.tp > 1 ? ` x${config.tp}` : ""}${config.numReplicas > 1 ? `, ${config.numReplicas} replicas` : ""}`,
    model: model.name,
    gpu: gpu.name,
    tp: config.tp,
    numReplicas: config.numReplicas,
    router: config.router,
    stepTimeModel: stepTime.description,
    pricePerGpuHourUsd: gpu.pricePerHourUsd,
    numKvBlocksPerReplica: numKvBlocks,
    blockSize: engine.blockSize,
    workload: config.workload,
    ...(config.maxConcurrency !== undefined ? { maxConcurrency: config.maxConcurrency } : {}),
    ...(config.slo ? { slo: config.slo } : {}),
  });
  return { summary, records, result, numKvBlocks, ...(capacity ? { capacity } : {}), numThreads: 1 };
}
