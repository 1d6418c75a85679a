import type { RequestRecord as BenchRecord } from "../../bench/client/record.js";
import type { Slo } from "../../bench/metrics/request-metrics.js";
import { runMetrics } from "../../bench/metrics/run-metrics.js";
import { type RunSummary, SUMMARY_SCHEMA, type WorkloadInfo } from "../../bench/report/summary.js";
import type { FleetResult } from "../fleet/simulation.js";
import { describeDataset, type WorkloadSpec } from "../workload.js";
import { simServerMetrics } from "./bench-format.js";

/** What was simulated. */
export interface SimSetup {
  readonly label: string;
  readonly model: string;
  readonly gpu: string;
  readonly tp: number;
  readonly numReplicas: number;
  readonly router: string;
  readonly stepTimeModel: string;
  readonly pricePerGpuHourUsd: number;
  readonly numKvBlocksPerReplica: number;
  readonly blockSize: number;
  readonly workload: WorkloadSpec;
  readonly maxConcurrency?: number;
  readonly slo?: Slo;
}

/** The fleet figures a benchmark cannot see, under `sim` in summary.json. */
export interface SimFigures {
  readonly model: string;
  readonly gpu: string;
  readonly tensorParallel: number;
  readonly replicas: number;
  readonly router: string;
  readonly stepTimeModel: string;
  readonly kvBlocksPerReplica: number;
  readonly blockSize: number;
  readonly gpuHours: number;
  readonly pricePerGpuHourUsd: number;
  readonly costUsd: number;
  readonly costPerMillionOutputTokensUsd: number | null;
  /** Input and output tokens together. */
  readonly costPerMillionTokensUsd: number | null;
  /** Prompt tokens served from the prefix cache / prompt tokens looked up, fleet-wide. */
  readonly prefixCacheHitRate: number | null;
  readonly preemptions: number;
  readonly steps: number;
  readonly events: number;
  /** Busy time / run duration, per replica. */
  readonly replicaUtilisation: readonly number[];
  readonly replicaRequests: readonly number[];
}

/**
 * summary.json of `flotilla sim run`: bench's run summary (same schema, so `flotilla bench
 * compare` overlays a simulation and a real run), with the replicas' counters as `server`, and
 * the fleet figures under `sim`. Deterministic: `startedAt` is the simulated epoch, not the wall clock.
 */
export type SimRunSummary = RunSummary & { readonly sim: SimFigures };

export function simSummary(result: FleetResult, records: readonly BenchRecord[], setup: SimSetup): SimRunSummary {
  const durationMs = Math.max(0, result.endMs - result.startMs);
  const metrics = runMetrics(records, durationMs, 0, setup.slo ?? null);
  const gpuHours = (setup.numReplicas * setup.tp * durationMs) / 3.6e6;
  const costUsd = gpuHours * setup.pricePerGpuHourUsd;
  const server = simServerMetrics(result);
  const outputTokens = metrics.tokens.output;
  const allTokens = metrics.tokens.input + outputTokens;
  const replicaRequests = result.replicas.map(() => 0);
  for (const r of result.requests) replicaRequests[r.replica]!++;
  const spec = setup.workload;
  const arrivals = spec.arrivals;
  return {
    schema: SUMMARY_SCHEMA,
    kind: "run",
    label: setup.label,
    startedAt: new Date(0).toISOString(),
    target: { baseUrl: "sim:", endpoint: "completions", model: setup.model, tokenizer: "sim", promptFormat: "ids" },
    workload: workloadInfo(spec, setup.maxConcurrency),
    arrivals,
    requestRate: arrivals.kind === "trace" ? "trace" : arrivals.kind === "burst" ? "inf" : arrivals.ratePerS,
    metrics,
    server,
    serverNote: "simulated: counters of the replicas' schedulers, no latency histograms",
    inexactPrompts: 0,
    sim: {
      model: setup.model,
      gpu: setup.gpu,
      tensorParallel: setup.tp,
      replicas: setup.numReplicas,
      router: setup.router,
      stepTimeModel: setup.stepTimeModel,
      kvBlocksPerReplica: setup.numKvBlocksPerReplica,
      blockSize: setup.blockSize,
      gpuHours,
      pricePerGpuHourUsd: setup.pricePerGpuHourUsd,
      costUsd,
      costPerMillionOutputTokensUsd: outputTokens === 0 ? null : (costUsd / outputTokens) * 1e6,
      costPerMillionTokensUsd: allTokens === 0 ? null : (costUsd / allTokens) * 1e6,
      prefixCacheHitRate: server.prefixCacheHitRate,
      preemptions: server.preemptions ?? 0,
      steps: result.replicas.reduce((s, r) => s + r.numSteps, 0),
      events: result.numEvents,
      replicaUtilisation: result.replicas.map((r) => (durationMs === 0 ? 0 : r.busyMs / durationMs)),
      replicaRequests,
    },
  };
}

function workloadInfo(spec: WorkloadSpec, maxConcurrency: number | undefined): WorkloadInfo {
  const d = spec.dataset;
  const params: Record<string, unknown> = d.kind === "trace" ? { path: d.path, ...d.params } : { ...d.params };
  return {
    dataset: describeDataset(d),
    datasetKind: d.kind,
    datasetParams: params,
    seed: spec.seed,
    numRequests: spec.limits.numRequests ?? null,
    durationS: spec.limits.durationMs !== undefined ? spec.limits.durationMs / 1000 : null,
    maxConcurrency: maxConcurrency ?? null,
    // The simulator generates exactly each request's output length, as a benchmark with --ignore-eos.
    ignoreEos: true,
    temperature: 0,
    requestTimeoutS: 0,
  };
}
