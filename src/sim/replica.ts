import type { BlockHashAlgorithm } from "../engine/kv/block-hash.js";
import { KvCacheManager } from "../engine/kv/kv-cache-manager.js";
import type { RequestSpec, SchedRequest } from "../engine/scheduler/request.js";
import { Scheduler, type SchedulerConfig } from "../engine/scheduler/scheduler.js";
import type { RequestOutput, StepPlan } from "../engine/scheduler/step-plan.js";
import { decodeRunTimer, type StepTimeModel } from "./perf/step-time.js";

export interface SimReplicaConfig {
  readonly scheduler: SchedulerConfig;
  readonly numKvBlocks: number;
  readonly blockSize: number;
  readonly enablePrefixCaching: boolean;
  /** Default "fast64" (see SimEngineSettings). */
  readonly hashAlgorithm?: BlockHashAlgorithm;
  readonly stepTime: StepTimeModel;
}

/**
 * Token every simulated sampling returns. Requests end at their max tokens (the simulator adds
 * them with no EOS ids), so its value only shapes the hashes of generated blocks.
 */
export const SIM_SAMPLED_TOKEN_ID = 1;

/**
 * One engine replica with the engine's own Scheduler and KvCacheManager; only the forward pass
 * is replaced by a step-time model. A step is `beginStep(now)` (the real `plan`) and, when its
 * modelled duration has passed, `endStep(plan)` (the real `commit`, with a fixed sampled token).
 */
export class SimReplica {
  readonly scheduler: Scheduler;
  readonly kv: KvCacheManager;
  private readonly sampled = new Map<string, number>();

  constructor(readonly config: SimReplicaConfig) {
    // Events are for routers that index replicas' caches; the simulator's router keeps its own index.
    this.kv = new KvCacheManager({ numBlocks: config.numKvBlocks, blockSize: config.blockSize, enablePrefixCaching: config.enablePrefixCaching, hashAlgorithm: config.hashAlgorithm ?? "fast64", recordEvents: false });
    this.scheduler = new Scheduler(config.scheduler, this.kv);
  }

  /**
   * Queues a request; throws (RangeError) for a prompt that can never fit, as the engine does.
   * Returns the scheduler's record of it, readable after it finished (as the engine keeps it).
   */
  add(spec: RequestSpec): SchedRequest {
    return this.scheduler.add(spec);
  }

  get hasUnfinished(): boolean {
    return this.scheduler.hasUnfinished;
  }

  /** Plans a step at `nowMs` and models its duration; null when there is nothing to run. */
  beginStep(nowMs: number): { readonly plan: StepPlan; readonly durationMs: number } | null {
    const plan = this.scheduler.plan(nowMs);
    if (plan.scheduled.length === 0) {
      if (this.scheduler.hasUnfinished && this.scheduler.stats.numRunning === 0) {
        throw new Error("no request can be scheduled: the KV cache is too small for the waiting prompts");
      }
      return null;
    }
    return { plan, durationMs: this.config.stepTime.stepTimeMs(plan.scheduled) };
  }

  /**
   * Decode steps (at most `maxSteps`) the replica can run at once: the batch stays the same and
   * nothing finishes or is preempted (see `Scheduler.decodeRunLength`); 0 when it cannot.
   */
  decodeRunLength(maxSteps: number): number {
    return this.scheduler.decodeRunLength(SIM_SAMPLED_TOKEN_ID, maxSteps);
  }

  /** The modelled duration of step j of a decode run of the running batch starting now. */
  decodeRunTimer(): (step: number) => number {
    return decodeRunTimer(this.config.stepTime, this.scheduler.runningRequests.map((r) => r.numComputedTokens));
  }

  /** Runs `numSteps` decode steps at once (as many beginStep/endStep pairs would). */
  advanceDecodes(numSteps: number): void {
    this.scheduler.advanceDecodes(numSteps, SIM_SAMPLED_TOKEN_ID);
  }

  /** Commits a planned step as if every sampled position produced `SIM_SAMPLED_TOKEN_ID`. */
  endStep(plan: StepPlan): RequestOutput[] {
    this.sampled.clear();
    for (const s of plan.scheduled) if (s.sample) this.sampled.set(s.requestId, SIM_SAMPLED_TOKEN_ID);
    return this.scheduler.commit(plan, this.sampled);
  }
}
