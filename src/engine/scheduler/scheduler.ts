import type { CachedPrefix, KvCacheManager } from "../kv/kv-cache-manager.js";
import { policyByName, type SchedulingPolicy, type SchedulingPolicyName } from "./policy.js";
import { type FinishReason, type RequestSpec, SchedRequest } from "./request.js";
import type { RequestOutput, ScheduledRequest, StepPlan } from "./step-plan.js";

export interface SchedulerConfig {
  /** Most requests running (holding KV blocks) at once. */
  readonly maxNumSeqs: number;
  /** Token budget of one step: decodes (1 each) plus prompt chunks. */
  readonly maxNumBatchedTokens: number;
  /** Context length of the model: no sequence grows beyond it. */
  readonly maxModelLen: number;
  readonly policy?: SchedulingPolicyName;
}

/** Counts a metrics endpoint or a step log reports. */
export interface SchedulerStats {
  readonly numRunning: number;
  readonly numWaiting: number;
  readonly numPreemptions: number;
}

/**
 * Continuous batching with chunked prefill and preemption by recompute. Pure and synchronous:
 * the caller passes the time; nothing here reads a clock, does I/O or touches the model, so the
 * engine and the simulator run this same code.
 *
 * A step: `plan(now)` -> the caller computes the planned tokens and samples where `sample` is set
 * -> `commit(plan, sampled)`. `finish(id, reason)` ends a request at any time (abort, stop string).
 */
export class Scheduler {
  readonly policy: SchedulingPolicy;
  private readonly requests = new Map<string, SchedRequest>();
  /** Sorted by policy (most important first). */
  private waiting: SchedRequest[] = [];
  /** In admission order (preemption victims come from the end under FCFS). */
  private running: SchedRequest[] = [];
  private nextSeqNo = 0;
  private nextStepId = 0;
  private numPreemptionsTotal = 0;

  constructor(
    readonly config: SchedulerConfig,
    readonly kv: KvCacheManager,
  ) {
    if (config.maxNumSeqs < 1) throw new RangeError("maxNumSeqs must be at least 1");
    if (config.maxNumBatchedTokens < 1) throw new RangeError("maxNumBatchedTokens must be at least 1");
    this.policy = policyByName(config.policy ?? "fcfs");
  }

  add(spec: RequestSpec): SchedRequest {
    if (this.requests.has(spec.id)) throw new Error(`duplicate request id ${spec.id}`);
    if (spec.promptTokenIds.length === 0) throw new RangeError("empty prompt");
    if (spec.promptTokenIds.length >= this.config.maxModelLen) {
      throw new RangeError(`prompt of ${spec.promptTokenIds.length} tokens leaves no room in a context of ${this.config.maxModelLen}`);
    }
    const blocksNeeded = Math.ceil(spec.promptTokenIds.length / this.kv.blockSize);
    if (blocksNeeded > this.kv.numBlocks) {
      throw new RangeError(`prompt of ${spec.promptTokenIds.length} tokens needs ${blocksNeeded} KV blocks; the cache has ${this.kv.numBlocks}`);
    }
    const numFullBlocks = Math.floor(spec.promptTokenIds.length / this.kv.blockSize);
    if (spec.promptBlockHashes !== undefined && spec.promptBlockHashes.length !== numFullBlocks) {
      throw new RangeError(`promptBlockHashes must hold one hash per full prompt block (${numFullBlocks}), got ${spec.promptBlockHashes.length}`);
    }
    const req = new SchedRequest(spec, this.nextSeqNo++);
    this.requests.set(req.id, req);
    this.enqueueWaiting(req);
    return req;
  }

  get(id: string): SchedRequest | undefined {
    return this.requests.get(id);
  }

  get hasUnfinished(): boolean {
    return this.running.length > 0 || this.waiting.length > 0;
  }

  get stats(): SchedulerStats {
    return { numRunning: this.running.length, numWaiting: this.waiting.length, numPreemptions: this.numPreemptionsTotal };
  }

  /** Ends a request now (abort, stop string ...): its blocks are freed at once. No-op if already finished. */
  finish(id: string, reason: FinishReason): boolean {
    const req = this.requests.get(id);
    if (!req || req.isFinished) return false;
    this.running = this.running.filter((r) => r !== req);
    this.waiting = this.waiting.filter((r) => r !== req);
    this.kv.free(id);
    req.status = { kind: "finished", reason };
    this.requests.delete(id);
    return true;
  }

  /**
   * Picks this step's work under the token budget: running decodes first, then running prompt
   * chunks, then waiting requests (whose cached prefix is reused) while blocks can be allocated.
   * When blocks run out, the policy's least important running request is preempted.
   */
  plan(now: number): StepPlan {
    let budget = this.config.maxNumBatchedTokens;
    const scheduled = new Map<SchedRequest, number>();
    const preempted: string[] = [];

    // Decodes (one token left to compute) before prompt chunks; stable otherwise.
    const order = [...this.running.filter((r) => r.numTokens - r.numComputedTokens === 1), ...this.running.filter((r) => r.numTokens - r.numComputedTokens !== 1)];
    for (const req of order) {
      if (budget === 0) break;
      if (req.status.kind !== "running") continue; // preempted earlier in this loop
      const numNew = Math.min(req.numTokens - req.numComputedTokens, budget);
      let ok = this.kv.allocate(req.id, req.numComputedTokens + numNew);
      while (!ok) {
        const victim = this.pickVictim();
        const freed = scheduled.get(victim);
        if (freed !== undefined) {
          scheduled.delete(victim);
          budget += freed;
        }
        this.preempt(victim);
        preempted.push(victim.id);
        if (victim === req) break;
        ok = this.kv.allocate(req.id, req.numComputedTokens + numNew);
      }
      if (!ok) continue;
      scheduled.set(req, numNew);
      budget -= numNew;
    }

    // Admit waiting requests only when nothing was preempted (it would just be preempted again).
    if (preempted.length === 0) {
      while (this.waiting.length > 0 && budget > 0 && this.running.length < this.config.maxNumSeqs) {
        const req = this.waiting[0]!;
        const prefix = this.lookupPrefix(req);
        const numNew = Math.min(req.numTokens - prefix.numCachedTokens, budget);
        if (!this.kv.allocate(req.id, prefix.numCachedTokens + numNew, prefix)) break;
        this.waiting.shift();
        if (req.status.kind === "waiting") req.numCachedPromptTokens = prefix.numCachedTokens;
        req.numComputedTokens = prefix.numCachedTokens;
        req.status = { kind: "running" };
        this.running.push(req);
        scheduled.set(req, numNew);
        budget -= numNew;
      }
    }

    const entries: ScheduledRequest[] = [];
    for (const [req, n] of scheduled) {
      entries.push({
        requestId: req.id,
        numComputedTokens: req.numComputedTokens,
        numScheduledTokens: n,
        sample: req.numComputedTokens + n === req.numTokens,
      });
    }
    return {
      stepId: this.nextStepId++,
      now,
      scheduled: entries,
      numBatchedTokens: this.config.maxNumBatchedTokens - budget,
      preempted,
    };
  }

  /** Running requests in admission order (read-only view, valid until the next plan/commit/finish). */
  get runningRequests(): readonly SchedRequest[] {
    return this.running;
  }

  /**
   * How many of the next steps are certain to be the same plain decode step, if no request arrives
   * and every sampled token is `sampledToken`: every running request has exactly one token left
   * to compute, none can be admitted (the queue is empty or the batch full), the budget covers the
   * batch, no request finishes (its finishing step is left out) and the free KV blocks cover the
   * new blocks the batch will need (so nothing is preempted). At most `maxSteps`; 0 when the next
   * step is anything else. `advanceDecodes` then runs them at once.
   */
  decodeRunLength(sampledToken: number, maxSteps: number): number {
    const running = this.running;
    const n = running.length;
    if (n === 0 || n > this.config.maxNumBatchedTokens) return 0;
    if (this.waiting.length > 0 && n < this.config.maxNumSeqs) return 0;
    const bs = this.kv.blockSize;
    let k = maxSteps;
    for (const req of running) {
      const computed = req.numComputedTokens;
      if (req.numTokens - computed !== 1 || this.kv.numBlocksOf(req.id) !== Math.ceil(computed / bs)) return 0;
      // The step (0-based) at which each stop rule would fire; the run ends before the first.
      const spec = req.spec;
      const out = req.numOutputTokens;
      k = Math.min(k, spec.maxTokens - out - 1, this.config.maxModelLen - req.numTokens - 1);
      if (spec.eosTokenIds?.has(sampledToken) || spec.stopTokenIds?.has(sampledToken)) k = Math.min(k, Math.max(0, (spec.minTokens ?? 0) - out));
      if (k <= 0) return 0;
    }
    // New blocks over k steps grow with k: the longest run whose blocks are all free.
    const free = this.kv.numFreeBlocks;
    const blocksFor = (steps: number): number => {
      let total = 0;
      for (const req of running) total += Math.ceil((req.numComputedTokens + steps) / bs) - Math.ceil(req.numComputedTokens / bs);
      return total;
    };
    if (blocksFor(k) <= free) return k;
    let lo = 0;
    let hi = k;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (blocksFor(mid) <= free) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * Runs `numSteps` (at most `decodeRunLength(sampledToken, ...)`) decode steps of the whole
   * running batch at once, each sampling `sampledToken`, with the same effect on requests and on the
   * KV cache as that many `plan` + `commit` pairs: blocks are taken and full blocks registered in
   * the same order (step by step, in batch order), so block ids, evictions and prefix-cache state
   * come out identical. Costs O(numSteps + new blocks), not O(numSteps x batch). Step ids advance
   * by numSteps; no finish or preemption can happen (the run length excludes them).
   */
  advanceDecodes(numSteps: number, sampledToken: number): void {
    if (numSteps <= 0) return;
    if (numSteps > this.decodeRunLength(sampledToken, numSteps)) throw new Error(`cannot advance ${numSteps} decode steps: the batch would change`);
    const bs = this.kv.blockSize;
    // At step j a request takes a block when its position computed + j starts one (j = phase
    // mod bs), and fills one when computed + j + 1 ends one (j = phase - 1 mod bs). Bucket the
    // requests by phase, in batch order, and walk the steps.
    const byPhase = new Array<SchedRequest[] | undefined>(bs);
    for (const req of this.running) {
      (byPhase[(bs - (req.numComputedTokens % bs)) % bs] ??= []).push(req);
      for (let j = 0; j < numSteps; j++) req.tokenIds.push(sampledToken);
    }
    for (let j = 0; j < numSteps; j++) {
      const takers = byPhase[j % bs];
      if (takers !== undefined) {
        for (const req of takers) {
          if (!this.kv.allocate(req.id, req.numComputedTokens + j + 1)) throw new Error(`decode run: no block for ${req.id}`);
        }
      }
      const fillers = byPhase[(j + 1) % bs];
      if (fillers !== undefined) for (const req of fillers) this.kv.commitTokens(req.id, req.tokenIds, req.numComputedTokens + j + 1);
    }
    for (const req of this.running) req.numComputedTokens += numSteps;
    this.nextStepId += numSteps;
  }

  /**
   * Applies a computed step: advances each request, appends sampled tokens (`sampled` maps a
   * request id to its token for every entry with `sample`), registers newly full blocks in the
   * prefix cache, and finishes requests at EOS / stop tokens / max tokens / context length.
   * Requests finished since `plan` (aborted) are skipped.
   */
  commit(plan: StepPlan, sampled: ReadonlyMap<string, number>): RequestOutput[] {
    const outputs: RequestOutput[] = [];
    for (const s of plan.scheduled) {
      const req = this.requests.get(s.requestId);
      if (!req || req.status.kind !== "running" || req.numComputedTokens !== s.numComputedTokens) continue;
      req.numComputedTokens += s.numScheduledTokens;
      if (!s.sample) {
        this.kv.commitTokens(req.id, req.tokenIds, req.numComputedTokens);
        outputs.push({ requestId: req.id });
        continue;
      }
      const token = sampled.get(req.id);
      if (token === undefined) throw new Error(`no sampled token for request ${req.id}`);
      req.tokenIds.push(token);
      this.kv.commitTokens(req.id, req.tokenIds, req.numComputedTokens);
      const reason = this.stopReason(req, token);
      if (reason) this.finish(req.id, reason);
      outputs.push(reason ? { requestId: req.id, newTokenId: token, finishReason: reason } : { requestId: req.id, newTokenId: token });
    }
    return outputs;
  }

  private stopReason(req: SchedRequest, token: number): "stop" | "length" | null {
    const spec = req.spec;
    // EOS and stop tokens among the first minTokens outputs are kept as text and do not stop.
    if (req.numOutputTokens > (spec.minTokens ?? 0)) {
      if (spec.eosTokenIds?.has(token) || spec.stopTokenIds?.has(token)) return "stop";
    }
    if (req.numOutputTokens >= spec.maxTokens) return "length";
    if (req.numTokens >= this.config.maxModelLen) return "length";
    return null;
  }

  private lookupPrefix(req: SchedRequest): CachedPrefix {
    if (req.spec.skipPrefixCache) return { blockIds: [], numCachedTokens: 0, blockHashes: [], salt: req.spec.cacheSalt || undefined };
    // Hashes are kept between lookups: while the token list is unchanged they are reused as they
    // are; after a preemption (generated tokens appended) only the blocks past them are hashed.
    if (req.blockHashes?.numTokens !== req.numTokens) {
      req.blockHashes = { numTokens: req.numTokens, hashes: this.kv.blockHashesOf(req.tokenIds, req.spec.cacheSalt, req.blockHashes?.hashes) };
    }
    return this.kv.findCachedPrefixOfHashes(req.blockHashes.hashes, req.numTokens, req.spec.cacheSalt);
  }

  /** The running request to give up first: the newest (FCFS) or the least important (priority). */
  private pickVictim(): SchedRequest {
    let victim = this.running[this.running.length - 1]!;
    for (const r of this.running) if (this.policy.compare(r, victim) > 0) victim = r;
    return victim;
  }

  private preempt(req: SchedRequest): void {
    this.running = this.running.filter((r) => r !== req);
    this.kv.free(req.id);
    req.numComputedTokens = 0;
    req.numPreemptions++;
    this.numPreemptionsTotal++;
    req.status = { kind: "preempted" };
    this.enqueueWaiting(req);
  }

  private enqueueWaiting(req: SchedRequest): void {
    // Binary search for the first waiting request less important than req.
    let lo = 0;
    let hi = this.waiting.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.policy.compare(this.waiting[mid]!, req) <= 0) lo = mid + 1;
      else hi = mid;
    }
    this.waiting.splice(lo, 0, req);
  }
}
