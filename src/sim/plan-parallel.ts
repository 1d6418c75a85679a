import { Worker } from "node:worker_threads";
import { assemblePlan, type ConfigurationSearch, planConfigurations, type PlanCandidate, type PlanConfig, type PlanConfiguration, planFleet, type PlanResult } from "./plan.js";

/** A configuration for a worker to size, by its index in `planConfigurations` order. */
export interface PlanWorkerTask {
  readonly index: number;
  readonly configuration: PlanConfiguration;
}

/** What a worker sends back: each fleet as simulated, a configuration's result, a warning, or a failure. */
export type PlanWorkerReply =
  | { readonly kind: "candidate"; readonly index: number; readonly candidate: PlanCandidate }
  | { readonly kind: "done"; readonly index: number; readonly search: ConfigurationSearch }
  | { readonly kind: "warn"; readonly message: string }
  | { readonly kind: "error"; readonly index: number; readonly message: string };

/**
 * `planFleet` with its configurations sized in parallel by up to `numWorkers` worker threads
 * (each a whole simulation engine; configurations are independent). The result is identical to
 * `planFleet`'s: every simulation is deterministic and searches are assembled in configuration
 * order. `onCandidate` hears fleets as they finish, so configurations interleave there.
 * `numWorkers` <= 1, or a single configuration, runs in this thread.
 */
export async function planFleetInWorkers(config: PlanConfig, numWorkers: number): Promise<PlanResult> {
  const configurations = planConfigurations(config);
  const n = Math.min(Math.floor(numWorkers), configurations.length);
  if (n <= 1) return planFleet(config);
  // Functions cannot cross to a worker: callbacks stay here and are fed from its messages.
  const { onCandidate, warn, onSimulated: _onSimulated, ...settings } = config;
  const searches = new Array<ConfigurationSearch>(configurations.length);
  const workers: Worker[] = [];
  let next = 0;
  try {
    await Promise.all(
      Array.from(
        { length: n },
        () =>
          new Promise<void>((resolve, reject) => {
            const worker = new Worker(new URL("./plan-worker.js", import.meta.url), { workerData: settings });
            workers.push(worker);
            /** The configuration this worker is sizing, if any. */
            let pending: number | null = null;
            const giveNext = (): void => {
              if (next >= configurations.length) {
                pending = null;
                resolve();
                return;
              }
              pending = next++;
              worker.postMessage({ index: pending, configuration: configurations[pending]! } satisfies PlanWorkerTask);
            };
            worker.on("message", (m: PlanWorkerReply) => {
              if (m.kind === "candidate") onCandidate?.(m.candidate);
              else if (m.kind === "warn") warn?.(m.message);
              else if (m.kind === "error") reject(new Error(m.message));
              else {
                searches[m.index] = m.search;
                giveNext();
              }
            });
            worker.on("error", reject);
            worker.on("exit", (code) => {
              if (pending !== null) reject(new Error(`a sim plan worker exited (code ${code}) while sizing a configuration`));
            });
            giveNext();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return assemblePlan(config, searches);
}
