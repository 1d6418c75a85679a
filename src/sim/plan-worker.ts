/**
 * A `sim plan` worker thread: sizes the configurations it is sent (`searchConfiguration`) with the
 * plan's settings from `workerData`, reporting each simulated fleet as it goes. See plan-parallel.ts.
 */
import { parentPort, workerData } from "node:worker_threads";
import { searchConfiguration, type PlanConfig } from "./plan.js";
import type { PlanWorkerReply, PlanWorkerTask } from "./plan-parallel.js";

const port = parentPort;
if (port === null) throw new Error("plan-worker.js runs as a worker thread of sim plan");
const settings = workerData as PlanConfig;
const reply = (m: PlanWorkerReply): void => port.postMessage(m);

port.on("message", (task: PlanWorkerTask) => {
  try {
    const search = searchConfiguration(
      { ...settings, onCandidate: (candidate) => reply({ kind: "candidate", index: task.index, candidate }), warn: (message) => reply({ kind: "warn", message }) },
      task.configuration,
    );
    reply({ kind: "done", index: task.index, search });
  } catch (e) {
    reply({ kind: "error", index: task.index, message: e instanceof Error ? e.message : String(e) });
  }
});
