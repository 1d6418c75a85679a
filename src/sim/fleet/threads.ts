import { Worker } from "node:worker_threads";
import type { SimRunConfig } from "../run.js";
import type { RequestRecord } from "./records.js";
import { finishFleetRun, type FleetResult, type ReplicaSummary } from "./simulation.js";
import { BinnedSeries, type BinnedSeriesState } from "./timeline.js";

/** A fleet simulation's settings as a worker thread gets them (no callbacks). */
export type SimThreadSettings = Omit<SimRunConfig, "onProgress" | "onStepEnd" | "stopWhen" | "onSimulated" | "onRecords" | "warn">;

/** What a part-worker simulates: the whole workload's requests for `replicas` (global indices). */
export interface FleetPartTask {
  readonly settings: SimThreadSettings;
  readonly replicas: readonly number[];
}

/** A part's run as plain data; its records' gaps travel as one buffer (`gaps`, `offsets`). */
export interface FleetPartResult {
  /** Records with global replica indices and `itlMs` null (record i's gaps: gaps[offsets[i], offsets[i + 1])). */
  readonly requests: readonly (Omit<RequestRecord, "itlMs"> & { readonly itlMs: null })[];
  readonly gaps: Float64Array;
  readonly offsets: Int32Array;
  /** In the order of the task's replicas. */
  readonly replicas: readonly ReplicaSummary[];
  readonly startMs: number;
  readonly endMs: number;
  readonly numEvents: number;
  readonly numDecodeRunSteps: number;
  readonly replicaSeries: readonly BinnedSeriesState[];
  readonly fleetSeries: BinnedSeriesState;
}

export type FleetPartMessage =
  | { readonly kind: "progress"; readonly simulatedMs: number; readonly numFinished: number }
  | { readonly kind: "done"; readonly part: FleetPartResult }
  | { readonly kind: "error"; readonly message: string };

/**
 * A fleet whose replicas never meet (a router that ignores replica state; see
 * `runSimulationInThreads`), simulated as `numThreads` parts at once: replica r goes to part
 * r mod numThreads, each part (a worker thread) makes the whole workload, routes every request
 * as one fleet would, and simulates the requests of its replicas only. The parts' records,
 * replica summaries and timelines are put together into the result one thread gives: every
 * replica sees exactly the requests and steps it would, the event count adds up, and the fleet
 * timeline (counts) sums exactly.
 */
export async function simulateFleetInThreads(settings: SimThreadSettings, numThreads: number, onProgress?: (simulatedMs: number, numFinished: number) => void): Promise<FleetResult> {
  const groups = Array.from({ length: numThreads }, (_, t) => Array.from({ length: settings.numReplicas }, (_, r) => r).filter((r) => r % numThreads === t));
  const progress = groups.map(() => ({ simulatedMs: 0, numFinished: 0 }));
  const workers: Worker[] = [];
  let parts: FleetPartResult[];
  try {
    parts = await Promise.all(
      groups.map(
        (replicas, t) =>
          new Promise<FleetPartResult>((resolve, reject) => {
            const task: FleetPartTask = { settings, replicas };
            const worker = new Worker(new URL("./part-worker.js", import.meta.url), { workerData: task });
            workers.push(worker);
            let done = false;
            worker.on("message", (m: FleetPartMessage) => {
              if (m.kind === "progress") {
                progress[t] = m;
                onProgress?.(Math.min(...progress.map((p) => p.simulatedMs)), progress.reduce((s, p) => s + p.numFinished, 0));
              } else if (m.kind === "error") reject(new Error(m.message));
              else {
                done = true;
                resolve(m.part);
              }
            });
            worker.on("error", reject);
            worker.on("exit", (code) => {
              if (!done) reject(new Error(`a simulation thread exited (code ${code}) before its part was done`));
            });
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return finishFleetRun(mergeParts(settings.numReplicas, groups, parts));
}

function mergeParts(numReplicas: number, groups: readonly (readonly number[])[], parts: readonly FleetPartResult[]) {
  const requests: RequestRecord[] = [];
  const replicas = new Array<ReplicaSummary>(numReplicas);
  const replicaSeries = new Array<BinnedSeries>(numReplicas);
  const fleetSeries = BinnedSeries.fromState(parts[0]!.fleetSeries);
  parts.forEach((part, t) => {
    part.requests.forEach((r, i) => requests.push({ ...r, itlMs: part.gaps.subarray(part.offsets[i]!, part.offsets[i + 1]!) }));
    groups[t]!.forEach((r, k) => {
      replicas[r] = part.replicas[k]!;
      replicaSeries[r] = BinnedSeries.fromState(part.replicaSeries[k]!);
    });
    if (t > 0) fleetSeries.mergeFrom(BinnedSeries.fromState(part.fleetSeries));
  });
  requests.sort((a, b) => a.index - b.index);
  return {
    requests,
    replicas,
    startMs: Math.min(...parts.map((p) => p.startMs)),
    endMs: Math.max(...parts.map((p) => p.endMs)),
    numEvents: parts.reduce((s, p) => s + p.numEvents, 0),
    numDecodeRunSteps: parts.reduce((s, p) => s + p.numDecodeRunSteps, 0),
    stoppedEarly: false,
    replicaSeries,
    fleetSeries,
  };
}
