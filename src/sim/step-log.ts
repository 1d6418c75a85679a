import type { StepLog } from "../engine/scheduler/step-log.js";
import { stepLogOf } from "../engine/scheduler/step-log.js";
import type { StepPlan } from "../engine/scheduler/step-plan.js";
import type { SimReplica } from "./replica.js";

/**
 * A simulated step as the engine's `--log-steps` line (the same pure function builds both), plus
 * the replica's index. So a simulated and a real step log can be compared line by line, and
 * `sim calibrate` reads both.
 */
export function simStepLog(replicaIndex: number, replica: SimReplica, plan: StepPlan, startMs: number, endMs: number): StepLog & { readonly replica: number } {
  return { ...stepLogOf(plan, replica.kv, replica.scheduler.stats, startMs, endMs), replica: replicaIndex };
}
