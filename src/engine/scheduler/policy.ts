import type { SchedRequest } from "./request.js";

export type SchedulingPolicyName = "fcfs" | "priority";

/**
 * Which waiting request goes first and which running request is preempted first.
 * `compare(a, b) < 0` means a is more important than b.
 */
export interface SchedulingPolicy {
  readonly name: SchedulingPolicyName;
  compare(a: SchedRequest, b: SchedRequest): number;
}

/** First come, first served: earlier arrival first; preempts the newest. */
export const FCFS: SchedulingPolicy = {
  name: "fcfs",
  compare: (a, b) => a.arrivalTime - b.arrivalTime || a.seqNo - b.seqNo,
};

/** Lower priority value first, then FCFS; preempts the lowest priority (then the newest). */
export const PRIORITY: SchedulingPolicy = {
  name: "priority",
  compare: (a, b) => a.priority - b.priority || a.arrivalTime - b.arrivalTime || a.seqNo - b.seqNo,
};

export function policyByName(name: SchedulingPolicyName): SchedulingPolicy {
  return name === "priority" ? PRIORITY : FCFS;
}
