import type { Slo } from "../bench/metrics/request-metrics.js";
import type { GpuSpec } from "./hardware/gpu.js";
import { escapeHtml, lineChart } from "./report/svg.js";
import { datasetSize } from "../bench/run/config.js";
import { meetsSlo } from "../bench/metrics/request-metrics.js";
import type { RequestRecord } from "./fleet/records.js";
import { replicaKvBlocks, runSimulation, type SimRunConfig } from "./run.js";

export interface PlanConfig extends Omit<SimRunConfig, "gpu" | "tp" | "numReplicas" | "label" | "slo" | "onProgress" | "onStepEnd" | "stopWhen"> {
  readonly gpus: readonly GpuSpec[];
  readonly tpOptions: readonly number[];
  readonly maxNumBatchedTokensOptions: readonly number[];
  readonly maxReplicas: number;
  readonly slo: Slo;
  /** Fraction of requests that must meet the SLO. */
  readonly attainment: number;
  readonly onCandidate?: (c: PlanCandidate) => void;
  /** Stop a fleet's run once it has missed the SLO too often to meet the target (default true). */
  readonly earlyStop?: boolean;
}

/** One simulated fleet. */
export interface PlanCandidate {
  readonly gpu: string;
  readonly tp: number;
  readonly maxNumBatchedTokens: number;
  readonly replicas: number;
  /** False when the model does not fit the GPUs (no KV cache left). */
  readonly feasible: boolean;
  readonly note?: string;
  /** Fraction of sent requests that met the SLO. */
  readonly attainment: number;
  readonly meetsTarget: boolean;
  readonly costPerHourUsd: number;
  readonly costPerMillionTokensUsd: number | null;
  readonly p90TtftMs: number | null;
  readonly p90TpotMs: number | null;
}

export interface PlanResult {
  readonly slo: Slo;
  readonly attainmentTarget: number;
  /** Every fleet simulated, in search order. */
  readonly candidates: readonly PlanCandidate[];
  /** Per GPU x tp x max batched tokens: the smallest fleet that met the target (if any). */
  readonly smallestPerConfiguration: readonly PlanCandidate[];
  /** The cheapest fleet that met the target, or null. */
  readonly cheapest: PlanCandidate | null;
  /** Fleets no other fleet beats on both cost per hour and p90 TTFT (among those meeting the target). */
  readonly frontier: readonly PlanCandidate[];
}

/** One GPU x tensor parallelism x max batched tokens to size. */
export interface PlanConfiguration {
  readonly gpu: GpuSpec;
  readonly tp: number;
  readonly maxNumBatchedTokens: number;
}

/** What sizing one configuration found: every fleet simulated (in order) and the smallest that met the target. */
export interface ConfigurationSearch {
  readonly candidates: readonly PlanCandidate[];
  readonly smallest: PlanCandidate | null;
}

/** The configurations a plan sizes, in search order (GPU, then tp, then max batched tokens). */
export function planConfigurations(config: Pick<PlanConfig, "gpus" | "tpOptions" | "maxNumBatchedTokensOptions">): PlanConfiguration[] {
  const out: PlanConfiguration[] = [];
  for (const gpu of config.gpus) for (const tp of config.tpOptions) for (const maxNumBatchedTokens of config.maxNumBatchedTokensOptions) out.push({ gpu, tp, maxNumBatchedTokens });
  return out;
}

/**
 * Capacity planning: for each GPU, tensor parallelism and max batched tokens, the fewest replicas
 * whose simulated run of the workload meets the SLO for the target fraction of requests
 * (doubling, then bisection: attainment is taken to grow with replicas), then the cheapest of
 * those by cost per hour. Deterministic; as slow as the simulations it runs. Configurations are
 * independent: `planFleetInWorkers` sizes them in parallel with the same result.
 */
export function planFleet(config: PlanConfig): PlanResult {
  return assemblePlan(config, planConfigurations(config).map((c) => searchConfiguration(config, c)));
}

/** Sizes one configuration (see planFleet); `config.onCandidate` hears each fleet as it is simulated. */
export function searchConfiguration(config: PlanConfig, configuration: PlanConfiguration): ConfigurationSearch {
  const { gpu, tp, maxNumBatchedTokens } = configuration;
  const candidates: PlanCandidate[] = [];
  const engine = { ...config.engine, maxNumBatchedTokens };
  const evaluate = (replicas: number): PlanCandidate => {
    const c = simulateCandidate(config, gpu, tp, engine, replicas);
    candidates.push(c);
    config.onCandidate?.(c);
    return c;
  };
  if (replicaKvBlocks({ ...config, gpu, tp, engine }).numKvBlocks < 1) {
    const c: PlanCandidate = {
      gpu: gpu.name, tp, maxNumBatchedTokens, replicas: 0, feasible: false, note: "the model does not fit", attainment: 0, meetsTarget: false,
      costPerHourUsd: 0, costPerMillionTokensUsd: null, p90TtftMs: null, p90TpotMs: null,
    };
    candidates.push(c);
    config.onCandidate?.(c);
    return { candidates, smallest: null };
  }
  let lo = 0; // largest count known to miss
  let hi = 1;
  let best: PlanCandidate | null = null;
  for (;;) {
    const c = evaluate(hi);
    if (c.meetsTarget) {
      best = c;
      break;
    }
    if (!c.feasible || hi >= config.maxReplicas) break;
    lo = hi;
    hi = Math.min(config.maxReplicas, hi * 2);
  }
  if (best === null) return { candidates, smallest: null };
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    const c = evaluate(mid);
    if (c.meetsTarget) {
      best = c;
      hi = mid;
    } else lo = mid;
  }
  return { candidates, smallest: best };
}

/** The plan from each configuration's search (in `planConfigurations` order). */
export function assemblePlan(config: Pick<PlanConfig, "slo" | "attainment">, searches: readonly ConfigurationSearch[]): PlanResult {
  const candidates = searches.flatMap((s) => s.candidates);
  const smallest = searches.flatMap((s) => (s.smallest === null ? [] : [s.smallest]));
  const passing = candidates.filter((c) => c.meetsTarget);
  // Cheapest; at equal cost, the lower p90 TTFT.
  const better = (c: PlanCandidate, b: PlanCandidate) => c.costPerHourUsd < b.costPerHourUsd || (c.costPerHourUsd === b.costPerHourUsd && (c.p90TtftMs ?? Infinity) < (b.p90TtftMs ?? Infinity));
  const cheapest = passing.reduce<PlanCandidate | null>((b, c) => (b === null || better(c, b) ? c : b), null);
  const frontier = passing
    .filter((c) => !passing.some((o) => o !== c && o.costPerHourUsd <= c.costPerHourUsd && (o.p90TtftMs ?? Infinity) <= (c.p90TtftMs ?? Infinity) && (o.costPerHourUsd < c.costPerHourUsd || (o.p90TtftMs ?? Infinity) < (c.p90TtftMs ?? Infinity))))
    .sort((a, b) => a.costPerHourUsd - b.costPerHourUsd);
  return { slo: config.slo, attainmentTarget: config.attainment, candidates, smallestPerConfiguration: smallest, cheapest, frontier };
}

/**
 * Requests the workload sends in all, when its size is fixed (a trace, a dataset of fixed size, or
 * --num-requests) and not cut by a duration; null otherwise.
 */
function workloadSize(workload: SimRunConfig["workload"]): number | null {
  if (workload.limits.durationMs !== undefined) return null;
  const n = Math.min(datasetSize(workload.dataset) ?? Infinity, workload.limits.numRequests ?? Infinity);
  return Number.isFinite(n) ? n : null;
}

/**
 * Stops a fleet's simulation once more requests missed the SLO than the target allows (it can then
 * never meet it): an overloaded fleet's queue grows without bound and would take longest to run.
 */
function missBudget(config: PlanConfig): { stopWhen: (r: RequestRecord) => boolean; missed: () => number; total: number; allowed: number } | null {
  const total = config.earlyStop === false ? null : workloadSize(config.workload);
  if (total === null) return null;
  const allowed = Math.floor((1 - config.attainment) * total + 1e-9);
  let missed = 0;
  const stopWhen = (r: RequestRecord): boolean => {
    const ok =
      r.failure === undefined &&
      r.firstTokenMs !== undefined &&
      meetsSlo({ ttftMs: r.firstTokenMs - r.sentMs, e2eMs: r.finishMs! - r.sentMs, outputTokens: r.numOutputTokens }, config.slo);
    if (!ok) missed++;
    return missed > allowed;
  };
  return { stopWhen, missed: () => missed, total, allowed };
}

function simulateCandidate(config: PlanConfig, gpu: GpuSpec, tp: number, engine: SimRunConfig["engine"], replicas: number): PlanCandidate {
  const budget = missBudget(config);
  const out = runSimulation({ ...config, gpu, tp, numReplicas: replicas, engine, slo: config.slo, ...(budget ? { stopWhen: budget.stopWhen } : {}) });
  const m = out.summary.metrics;
  if (budget !== null && out.result.stoppedEarly) {
    const attainment = 1 - budget.missed() / budget.total;
    return {
      gpu: gpu.name, tp, maxNumBatchedTokens: engine.maxNumBatchedTokens, replicas, feasible: true,
      note: `stopped early: ${budget.missed()} of ${budget.total} requests missed the SLO, over the ${budget.allowed} the target allows`,
      attainment, meetsTarget: false, costPerHourUsd: replicas * tp * gpu.pricePerHourUsd,
      costPerMillionTokensUsd: null, p90TtftMs: null, p90TpotMs: null,
    };
  }
  const attainment = m.goodput?.fraction ?? 0;
  return {
    gpu: gpu.name,
    tp,
    maxNumBatchedTokens: engine.maxNumBatchedTokens,
    replicas,
    feasible: true,
    attainment,
    meetsTarget: attainment >= config.attainment,
    costPerHourUsd: replicas * tp * gpu.pricePerHourUsd,
    costPerMillionTokensUsd: out.summary.sim.costPerMillionTokensUsd,
    p90TtftMs: m.latencyMs.ttft?.p90 ?? null,
    p90TpotMs: m.latencyMs.tpot?.p90 ?? null,
  };
}

function label(c: PlanCandidate): string {
  return `${c.replicas} x ${c.gpu}${c.tp > 1 ? ` x${c.tp}` : ""} (max batched tokens ${c.maxNumBatchedTokens})`;
}

export function formatPlan(p: PlanResult): string {
  const slo = Object.entries(p.slo).map(([k, v]) => `${k.replace(/Ms$/, "")} <= ${v} ms`).join(", ");
  const lines = [`SLO ${slo} for ${(100 * p.attainmentTarget).toFixed(1)}% of requests`, "smallest fleet per configuration:"];
  for (const c of p.smallestPerConfiguration) {
    lines.push(`  ${label(c).padEnd(52)} $${c.costPerHourUsd.toFixed(2).padStart(8)}/h  ${(100 * c.attainment).toFixed(1)}% met, p90 TTFT ${c.p90TtftMs?.toFixed(0) ?? "-"} ms, p90 TPOT ${c.p90TpotMs?.toFixed(1) ?? "-"} ms`);
  }
  const never = new Map<string, PlanCandidate>();
  for (const c of p.candidates) {
    const key = `${c.gpu}|${c.tp}|${c.maxNumBatchedTokens}`;
    if (!p.smallestPerConfiguration.some((s) => `${s.gpu}|${s.tp}|${s.maxNumBatchedTokens}` === key)) never.set(key, c);
  }
  for (const c of never.values()) {
    lines.push(`  ${`${c.gpu}${c.tp > 1 ? ` x${c.tp}` : ""} (max batched tokens ${c.maxNumBatchedTokens})`.padEnd(52)} ${c.feasible ? `never met: ${c.note ?? `${(100 * c.attainment).toFixed(1)}%`} with ${c.replicas} replicas` : c.note ?? "infeasible"}`);
  }
  lines.push("cost / latency frontier (cost per hour vs p90 TTFT):");
  for (const c of p.frontier) lines.push(`  $${c.costPerHourUsd.toFixed(2).padStart(8)}/h  p90 TTFT ${c.p90TtftMs?.toFixed(0) ?? "-"} ms  ${label(c)}`);
  lines.push(p.cheapest ? `cheapest: ${label(p.cheapest)} at $${p.cheapest.costPerHourUsd.toFixed(2)}/h` : "no fleet met the SLO: raise --max-replicas or relax the SLO");
  return lines.join("\n");
}

/** plan.html: every simulated fleet's cost against its p90 TTFT and TPOT, the frontier drawn as a line. */
export function renderPlanReport(p: PlanResult): string {
  const ok = p.candidates.filter((c) => c.feasible && c.p90TtftMs !== null);
  const byGpu = new Map<string, PlanCandidate[]>();
  for (const c of ok) byGpu.set(`${c.gpu} tp${c.tp}`, [...(byGpu.get(`${c.gpu} tp${c.tp}`) ?? []), c]);
  const sortByCost = (cs: PlanCandidate[]) => cs.slice().sort((a, b) => a.costPerHourUsd - b.costPerHourUsd);
  const ttft = lineChart(
    [
      { name: "frontier", xs: p.frontier.map((c) => c.costPerHourUsd), ys: p.frontier.map((c) => c.p90TtftMs!) },
      ...[...byGpu].map(([name, cs]) => ({ name, xs: sortByCost(cs).map((c) => c.costPerHourUsd), ys: sortByCost(cs).map((c) => c.p90TtftMs!) })),
    ],
    {
      title: "Cost vs p90 TTFT (every simulated fleet)",
      xLabel: "USD per hour (log)",
      yLabel: "p90 TTFT (ms, log)",
      width: 760,
      height: 380,
      logX: true,
      logY: true,
      markers: true,
      ...(p.slo.ttftMs !== undefined ? { hLines: [{ y: p.slo.ttftMs, label: `SLO TTFT ${p.slo.ttftMs} ms` }] } : {}),
    },
  );
  const tpot = lineChart(
    [...byGpu].map(([name, cs]) => ({ name, xs: sortByCost(cs).map((c) => c.costPerHourUsd), ys: sortByCost(cs).map((c) => c.p90TpotMs ?? NaN) })),
    {
      title: "Cost vs p90 TPOT (every simulated fleet)",
      xLabel: "USD per hour (log)",
      yLabel: "p90 TPOT (ms, log)",
      width: 760,
      height: 380,
      logX: true,
      logY: true,
      markers: true,
      ...(p.slo.tpotMs !== undefined ? { hLines: [{ y: p.slo.tpotMs, label: `SLO TPOT ${p.slo.tpotMs} ms` }] } : {}),
    },
  );
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>flotilla sim plan</title>
<style>body{font-family:sans-serif;margin:2em}pre{background:#f6f6f6;padding:1em}</style></head><body>
<h1>flotilla sim plan</h1><pre>${escapeHtml(formatPlan(p))}</pre>${ttft}${tpot}</body></html>
`;
}
