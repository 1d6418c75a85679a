import type { KvCacheManager } from "../kv/kv-cache-manager.js";
import type { SchedulerStats } from "./scheduler.js";
import type { StepPlan } from "./step-plan.js";

/** One `--log-steps` line: what a step scheduled and the state it left, as plain JSON. */
export interface StepLog {
  readonly step: number;
  /** ms on the caller's clock when the step started */
  readonly time_ms: number;
  readonly duration_ms: number;
  readonly scheduled: Record<string, number>;
  /** Tokens each scheduled request had in the cache before the step (its context, for cost models). */
  readonly computed: Record<string, number>;
  /** Requests whose logits were sampled this step. */
  readonly sampled: readonly string[];
  readonly batch_size: number;
  readonly num_batched_tokens: number;
  readonly num_prefill_tokens: number;
  readonly num_decode_tokens: number;
  readonly preempted: readonly string[];
  readonly blocks_used: number;
  readonly blocks_cached: number;
  readonly blocks_free: number;
  readonly num_running: number;
  readonly num_waiting: number;
}

/**
 * The log line of a committed step. Pure: the engine (wall clock) and the simulator (virtual
 * clock) both call it, so their step logs can be compared line by line.
 */
export function stepLogOf(plan: StepPlan, kv: KvCacheManager, stats: SchedulerStats, startMs: number, endMs: number): StepLog {
  const scheduled: Record<string, number> = {};
  const computed: Record<string, number> = {};
  const sampled: string[] = [];
  let prefill = 0;
  let decode = 0;
  for (const s of plan.scheduled) {
    scheduled[s.requestId] = s.numScheduledTokens;
    computed[s.requestId] = s.numComputedTokens;
    if (s.sample) sampled.push(s.requestId);
    if (s.sample && s.numScheduledTokens === 1 && s.numComputedTokens > 0) decode++;
    else prefill += s.numScheduledTokens;
  }
  return {
    step: plan.stepId,
    time_ms: round(startMs),
    duration_ms: round(endMs - startMs),
    scheduled,
    computed,
    sampled,
    batch_size: plan.scheduled.length,
    num_batched_tokens: plan.numBatchedTokens,
    num_prefill_tokens: prefill,
    num_decode_tokens: decode,
    preempted: plan.preempted,
    blocks_used: kv.numUsedBlocks,
    blocks_cached: kv.numCachedBlocks,
    blocks_free: kv.numFreeBlocks - kv.numCachedBlocks,
    num_running: stats.numRunning,
    num_waiting: stats.numWaiting,
  };
}

/** Microsecond resolution. */
function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
