import type { BlockHashAlgorithm } from "./kv/block-hash.js";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { KvCacheStorage, KvDtype } from "./backend/backend.js";
import { KvCacheManager } from "./kv/kv-cache-manager.js";
import type { KvEvent } from "./kv/events.js";
import { numBlocksForMemory } from "./kv/memory.js";
import type { LoadedModel } from "./model/model.js";
import type { BatchSequence } from "./backend/backend.js";
import { Scheduler } from "./scheduler/scheduler.js";
import type { FinishReason, SchedRequest } from "./scheduler/request.js";
import type { SchedulingPolicyName } from "./scheduler/policy.js";
import type { StepPlan } from "./scheduler/step-plan.js";
import { stepLogOf, type StepLog } from "./scheduler/step-log.js";
import { randomSeed } from "./sampler/seed.js";
import {
  computeLogprobs,
  type LogprobsResult,
  SequenceSampler,
  validateSamplingParams,
  type SampleResult,
  type SamplingParams,
} from "./sampler/index.js";
import { IncrementalDetokenizer } from "./tokenizer/index.js";
import { StopStringMatcher } from "./stop-strings.js";
import { AsyncQueue } from "../util/async-queue.js";

export interface EngineConfig {
  readonly maxNumSeqs: number;
  readonly maxNumBatchedTokens: number;
  readonly blockSize: number;
  /** KV pool size: a block count, or bytes (converted with the model's shape), or neither (a default). */
  readonly numKvBlocks?: number;
  readonly kvCacheMemoryBytes?: number;
  readonly kvDtype: KvDtype;
  readonly enablePrefixCaching: boolean;
  /** How prefix-cache blocks are hashed: "sha256" (default) or "fast64" (trusted prompts only). */
  readonly prefixCachingHashAlgo?: BlockHashAlgorithm;
  readonly policy: SchedulingPolicyName;
  /** Receives one record per step (for `--log-steps`). */
  readonly onStep?: (log: StepLog) => void;
  /** Keep KV events for a consumer to drain with `takeKvEvents()`. */
  readonly recordKvEvents?: boolean;
}

export const DEFAULT_ENGINE_CONFIG: EngineConfig = {
  maxNumSeqs: 16,
  maxNumBatchedTokens: 512,
  blockSize: 16,
  kvDtype: "f16",
  enablePrefixCaching: true,
  policy: "fcfs",
};

const NO_TOKENS: ReadonlySet<number> = new Set();

/** Default KV budget when none is given: every sequence at full context, capped at 2 GiB. */
const DEFAULT_KV_CAP_BYTES = 2 * 2 ** 30;

export interface EngineRequest {
  readonly id?: string;
  readonly promptTokenIds: readonly number[];
  readonly sampling?: Partial<SamplingParams>;
  /** Default: up to the context length. */
  readonly maxTokens?: number;
  readonly minTokens?: number;
  /** Generation stops before any of these strings; they are not emitted. */
  readonly stop?: readonly string[];
  readonly stopTokenIds?: readonly number[];
  /** Keep generating through end-of-generation tokens. */
  readonly ignoreEos?: boolean;
  readonly priority?: number;
  readonly cacheSalt?: string;
  /** Leave control tokens out of the text (default true). */
  readonly skipSpecialTokens?: boolean;
  /**
   * Also score the prompt: logprob of every prompt token given the ones before it, with this many
   * alternatives (OpenAI `echo` + `logprobs`). Such a prompt is computed in full, never served
   * from the prefix cache.
   */
  readonly promptLogprobs?: number;
}

/** What a request produced since its last delta. */
export interface OutputDelta {
  readonly requestId: string;
  readonly tokenIds: readonly number[];
  readonly text: string;
  /** One entry per token in `tokenIds`, when logprobs were asked for. */
  readonly logprobs?: readonly SampleResult[];
  /** On the first delta, when asked for: one entry per prompt token (null for the first). */
  readonly promptLogprobs?: ReadonlyArray<LogprobsResult | null>;
  /** Set on the last delta. */
  readonly finishReason?: FinishReason;
  readonly numPromptTokens: number;
  /** Prompt tokens served by the prefix cache. */
  readonly numCachedTokens: number;
  readonly numOutputTokens: number;
  /** An engine fault that ended the request (finishReason "abort"). */
  readonly error?: string;
  /** On the last delta: ms from arrival to the first step that computed the request (vLLM's queue time); null if never scheduled. */
  readonly queueTimeMs?: number | null;
  /** On the last delta: how many times the request was preempted. */
  readonly numPreemptions?: number;
}

export interface RequestHandle extends AsyncIterable<OutputDelta> {
  readonly id: string;
  abort(): void;
}

export type { StepLog } from "./scheduler/step-log.js";

interface LiveRequest {
  readonly id: string;
  /** The scheduler's record; still readable after the scheduler forgot a finished request. */
  readonly sched: SchedRequest;
  readonly queue: AsyncQueue<OutputDelta>;
  readonly sampler: SequenceSampler;
  readonly detok: IncrementalDetokenizer;
  readonly stop: StopStringMatcher;
  readonly wantLogprobs: boolean;
  readonly numPromptTokens: number;
  numOutputTokens: number;
  /** Top-N for prompt logprobs, or undefined. */
  readonly promptLogprobsN: number | undefined;
  /** Prompt logprobs computed so far (index = prompt position); sent with the first delta. */
  promptLogprobs: Array<LogprobsResult | null> | null;
  readonly arrivalMs: number;
  firstScheduledMs: number | null;
}

/**
 * The step loop: scheduler.plan -> one batched forward pass over every scheduled token (each
 * sequence through its block table) -> sample -> scheduler.commit -> stream deltas. Requests come
 * and go at any time; an abort (or a consumer that stops iterating) frees the request's KV blocks
 * at once.
 */
export class Engine {
  readonly config: EngineConfig;
  readonly scheduler: Scheduler;
  readonly kv: KvCacheManager;
  /** Longest sequence (prompt + output) a request may reach: the context length, or less when the KV pool is smaller. */
  readonly maxModelLen: number;
  private readonly cache: KvCacheStorage;
  private readonly live = new Map<string, LiveRequest>();
  private loop: Promise<void> | null = null;
  private nextId = 0;
  private readonly t0 = performance.now();
  private closed = false;
  private numPromptTokensTotal = 0;
  /** End-of-generation tokens of the vocabulary (EOS, EOT, ...), found once. */
  private readonly eogTokenIds: ReadonlySet<number>;
  private numGenerationTokensTotal = 0;

  constructor(
    readonly model: LoadedModel,
    config: Partial<EngineConfig> = {},
  ) {
    this.config = { ...DEFAULT_ENGINE_CONFIG, ...config };
    const c = model.config;
    const eog = new Set<number>();
    for (let t = 0; t < c.vocabSize; t++) if (model.tokenizer.isEog(t)) eog.add(t);
    this.eogTokenIds = eog;
    const layout = { numLayers: c.numLayers, numKvHeads: c.numKvHeads, headDim: c.headDim, blockSize: this.config.blockSize, dtype: this.config.kvDtype };
    let numBlocks = this.config.numKvBlocks;
    if (numBlocks === undefined) {
      const fullContext = this.config.maxNumSeqs * Math.ceil(c.contextLength / this.config.blockSize);
      numBlocks = this.config.kvCacheMemoryBytes !== undefined
        ? numBlocksForMemory(this.config.kvCacheMemoryBytes, layout)
        : Math.min(fullContext, numBlocksForMemory(DEFAULT_KV_CAP_BYTES, layout));
    }
    if (numBlocks < 1) throw new RangeError("the KV cache budget holds no block: raise --kv-cache-memory");
    this.kv = new KvCacheManager({ numBlocks, blockSize: this.config.blockSize, enablePrefixCaching: this.config.enablePrefixCaching, hashAlgorithm: this.config.prefixCachingHashAlgo ?? "sha256", recordEvents: this.config.recordKvEvents ?? false });
    // A sequence can never outgrow the whole pool, or preempting it could not make room.
    this.maxModelLen = Math.min(c.contextLength, numBlocks * this.config.blockSize);
    this.scheduler = new Scheduler(
      { maxNumSeqs: this.config.maxNumSeqs, maxNumBatchedTokens: this.config.maxNumBatchedTokens, maxModelLen: this.maxModelLen, policy: this.config.policy },
      this.kv,
    );
    this.cache = model.transformer.backend.allocKvCache({ ...layout, numBlocks });
  }

  get numRunning(): number {
    return this.scheduler.stats.numRunning;
  }
  get numWaiting(): number {
    return this.scheduler.stats.numWaiting;
  }
  get numPreemptions(): number {
    return this.scheduler.stats.numPreemptions;
  }
  get kvCacheBytes(): number {
    return this.cache.byteSize;
  }
  get tokenCounts(): { prompt: number; generation: number } {
    return { prompt: this.numPromptTokensTotal, generation: this.numGenerationTokensTotal };
  }
  takeKvEvents(): KvEvent[] {
    return this.kv.takeEvents();
  }

  /**
   * Queues a request and returns its stream of deltas. Throws (before queuing anything) on bad
   * sampling parameters or a prompt that cannot fit.
   */
  addRequest(req: EngineRequest): RequestHandle {
    if (this.closed) throw new Error("the engine is shutting down");
    const { tokenizer, config: mc } = this.model;
    const id = req.id ?? `req-${this.nextId++}`;
    if (this.live.has(id)) throw new Error(`duplicate request id ${id}`);
    for (const t of req.promptTokenIds) {
      if (!Number.isInteger(t) || t < 0 || t >= mc.vocabSize) throw new RangeError(`prompt token id ${t} is outside the vocabulary (0..${mc.vocabSize - 1})`);
    }
    const params = validateSamplingParams({ ...req.sampling, seed: req.sampling?.seed ?? randomSeed() }, mc.vocabSize);
    const sampler = new SequenceSampler(params, mc.vocabSize, req.promptTokenIds);
    const maxTokens = Math.min(req.maxTokens ?? this.maxModelLen, this.maxModelLen - req.promptTokenIds.length);
    const sched = this.scheduler.add({
      id,
      promptTokenIds: req.promptTokenIds,
      maxTokens,
      minTokens: req.minTokens,
      priority: req.priority,
      arrivalTime: this.now(),
      cacheSalt: req.cacheSalt,
      eosTokenIds: req.ignoreEos ? NO_TOKENS : this.eogTokenIds,
      stopTokenIds: new Set(req.stopTokenIds ?? []),
      skipPrefixCache: req.promptLogprobs !== undefined,
    });
    const queue = new AsyncQueue<OutputDelta>(() => this.abort(id));
    this.live.set(id, {
      id,
      sched,
      queue,
      sampler,
      detok: new IncrementalDetokenizer(tokenizer, { skipSpecial: req.skipSpecialTokens ?? true, prefix: req.promptTokenIds }),
      stop: new StopStringMatcher(req.stop ?? []),
      wantLogprobs: params.logprobs !== undefined,
      numPromptTokens: req.promptTokenIds.length,
      numOutputTokens: 0,
      promptLogprobsN: req.promptLogprobs,
      arrivalMs: sched.arrivalTime,
      firstScheduledMs: null,
      promptLogprobs: req.promptLogprobs !== undefined ? [null] : null,
    });
    this.numPromptTokensTotal += req.promptTokenIds.length;
    this.kick();
    return {
      id,
      abort: () => this.abort(id),
      [Symbol.asyncIterator]: () => queue[Symbol.asyncIterator](),
    };
  }

  /** Ends a request now; its KV blocks are free when this returns. */
  abort(id: string): void {
    const live = this.live.get(id);
    if (!live) return;
    this.scheduler.finish(id, "abort");
    this.end(live, { tokenIds: [], text: "", finishReason: "abort" });
  }

  /** Stops accepting requests and aborts the ones in flight. */
  async shutdown(): Promise<void> {
    this.closed = true;
    for (const id of [...this.live.keys()]) this.abort(id);
    await this.loop;
  }

  /** Resolves when no request is left (for callers that drain the engine). */
  async idle(): Promise<void> {
    while (this.loop) await this.loop;
  }

  private now(): number {
    return performance.now() - this.t0;
  }

  private kick(): void {
    if (this.loop) return;
    this.loop = this.runLoop().finally(() => {
      this.loop = null;
      if (this.scheduler.hasUnfinished) this.kick();
    });
  }

  private async runLoop(): Promise<void> {
    while (this.scheduler.hasUnfinished) {
      // Let I/O (new requests, aborts, client writes) in between steps.
      await yieldToEventLoop();
      if (!this.scheduler.hasUnfinished) break;
      try {
        this.step();
      } catch (e) {
        // An engine fault must not leak blocks or hang clients: fail every request in flight.
        const msg = e instanceof Error ? e.message : String(e);
        for (const live of [...this.live.values()]) {
          this.scheduler.finish(live.id, "abort");
          this.end(live, { tokenIds: [], text: "", finishReason: "abort", error: msg });
        }
      }
    }
  }

  /** One engine step. Public for tests and the simulator-style drivers. */
  step(): StepPlan {
    const start = this.now();
    const plan = this.scheduler.plan(start);
    if (plan.scheduled.length === 0) {
      if (this.scheduler.hasUnfinished && this.scheduler.stats.numRunning === 0) {
        throw new Error("no request can be scheduled: the KV cache is too small for the waiting prompts");
      }
      return plan;
    }
    const { logits, rows } = this.execute(plan);
    const vocab = this.model.config.vocabSize;
    const sampled = new Map<string, number>();
    const samples = new Map<string, SampleResult>();
    for (const s of plan.scheduled) {
      const live = this.live.get(s.requestId)!;
      live.firstScheduledMs ??= start;
      const { firstRow, numRows } = rows.get(s.requestId)!;
      if (live.promptLogprobs) this.scorePrompt(live, s.numComputedTokens, s.numScheduledTokens, logits, firstRow);
      if (!s.sample) continue;
      const lastRow = firstRow + numRows - 1;
      try {
        const r = live.sampler.sample(logits.subarray(lastRow * vocab, (lastRow + 1) * vocab));
        sampled.set(s.requestId, r.tokenId);
        samples.set(s.requestId, r);
      } catch (e) {
        // Bad logits (NaN ...) end this request only; commit skips it.
        this.scheduler.finish(live.id, "abort");
        this.end(live, { tokenIds: [], text: "", finishReason: "abort", error: e instanceof Error ? e.message : String(e) });
      }
    }
    const outputs = this.scheduler.commit(plan, sampled);
    for (const out of outputs) {
      if (out.newTokenId === undefined) continue;
      const live = this.live.get(out.requestId);
      if (!live) continue;
      this.numGenerationTokensTotal++;
      live.numOutputTokens++;
      const piece = live.detok.push(out.newTokenId);
      let { text, stopped } = live.stop.push(piece);
      let finishReason: FinishReason | undefined = out.finishReason;
      if (stopped) {
        this.scheduler.finish(live.id, "stop");
        finishReason = "stop";
      } else if (finishReason) {
        text += live.stop.push(live.detok.flush()).text + live.stop.flush();
      }
      const sample = samples.get(out.requestId)!;
      const delta = {
        tokenIds: [out.newTokenId],
        text,
        ...(live.wantLogprobs ? { logprobs: [sample] } : {}),
        ...(live.promptLogprobs && live.numOutputTokens === 1 ? { promptLogprobs: live.promptLogprobs } : {}),
      };
      if (finishReason) this.end(live, { ...delta, finishReason });
      else live.queue.push(this.delta(live, delta));
    }
    this.config.onStep?.(this.stepLog(plan, start));
    return plan;
  }

  /** Runs the plan's forward pass; `rows` says where each request's logits rows are. */
  private execute(plan: StepPlan): { logits: Float32Array; rows: Map<string, { firstRow: number; numRows: number }> } {
    const tokens = new Int32Array(plan.numBatchedTokens);
    const sequences: BatchSequence[] = [];
    const rows = new Map<string, { firstRow: number; numRows: number }>();
    let at = 0;
    let row = 0;
    for (const s of plan.scheduled) {
      const req = this.scheduler.get(s.requestId)!;
      const live = this.live.get(s.requestId)!;
      for (let i = 0; i < s.numScheduledTokens; i++) tokens[at + i] = req.tokenIds[s.numComputedTokens + i]!;
      // Prompt scoring needs logits at every prompt position of the chunk; sampling at the last.
      const numLogits = live.promptLogprobs && s.numComputedTokens < live.numPromptTokens ? s.numScheduledTokens : s.sample ? 1 : 0;
      sequences.push({
        tokenStart: at,
        numTokens: s.numScheduledTokens,
        numCachedTokens: s.numComputedTokens,
        blockTable: this.kv.blockTable(s.requestId),
        numLogits,
      });
      rows.set(s.requestId, { firstRow: row, numRows: numLogits });
      at += s.numScheduledTokens;
      row += numLogits;
    }
    return { logits: this.model.transformer.forward({ tokens, sequences }, this.cache), rows };
  }

  /** Records logprobs of prompt tokens predicted by this chunk's logits (once, even after a preemption). */
  private scorePrompt(live: LiveRequest, numComputed: number, numScheduled: number, logits: Float32Array, firstRow: number): void {
    const vocab = this.model.config.vocabSize;
    const tokens = live.sched.tokenIds;
    const scores = live.promptLogprobs!;
    for (let t = 0; t < numScheduled; t++) {
      const next = numComputed + t + 1; // the prompt position these logits predict
      if (next >= live.numPromptTokens || next < scores.length) continue;
      const row = firstRow + t;
      scores.push(computeLogprobs(logits.subarray(row * vocab, (row + 1) * vocab), tokens[next]!, live.promptLogprobsN ?? 0));
    }
  }

  private delta(live: LiveRequest, d: Pick<OutputDelta, "tokenIds" | "text" | "logprobs" | "promptLogprobs" | "finishReason" | "error">): OutputDelta {
    return {
      requestId: live.id,
      ...d,
      numPromptTokens: live.numPromptTokens,
      numCachedTokens: live.sched.numCachedPromptTokens,
      numOutputTokens: live.numOutputTokens,
    };
  }

  private end(live: LiveRequest, d: Pick<OutputDelta, "tokenIds" | "text" | "logprobs" | "promptLogprobs" | "finishReason" | "error">): void {
    live.queue.push({
      ...this.delta(live, d),
      queueTimeMs: live.firstScheduledMs === null ? null : live.firstScheduledMs - live.arrivalMs,
      numPreemptions: live.sched.numPreemptions,
    });
    live.queue.end();
    this.live.delete(live.id);
  }

  private stepLog(plan: StepPlan, start: number): StepLog {
    return stepLogOf(plan, this.kv, this.scheduler.stats, start, this.now());
  }

}
