import type { BlockHash } from "../../engine/kv/block-hash.js";
import type { PrefixCacheStats } from "../../engine/kv/kv-cache-manager.js";
import type { SchedRequest } from "../../engine/scheduler/request.js";
import type { StepPlan } from "../../engine/scheduler/step-plan.js";
import { LoadTracker } from "../../router/policies/load-tracker.js";
import type { EndpointState, RoutingPolicy } from "../../router/policies/types.js";
import { EventQueue, runEventLoop } from "../event-queue.js";
import { describedBlockHashes } from "../prompt-identity.js";
import { SimReplica, type SimReplicaConfig } from "../replica.js";
import type { WorkloadItem } from "../workload.js";
import type { RequestRecord } from "./records.js";
import { BinnedSeries } from "./timeline.js";

export interface FleetConfig {
  /** One config per replica (replicas may differ). */
  readonly replicas: readonly SimReplicaConfig[];
  readonly router: RoutingPolicy;
  /** At most this many requests in flight; later ones wait for one to finish (a client-side cap). */
  readonly maxConcurrency?: number;
  /**
   * Time from a client's send to the request's arrival at a replica (network, HTTP, parsing), ms;
   * default 0. Latencies count from the send, as a benchmark measures them.
   */
  readonly requestLatencyMs?: number;
  /** Called after every step's commit, with the replica (its scheduler and KV state are the step's outcome). */
  readonly onStepEnd?: (replicaIndex: number, replica: SimReplica, plan: StepPlan, startMs: number, endMs: number) => void;
  /**
   * Default true: run stretches of identical decode steps at once (off anyway when `onStepEnd` is
   * set, which must see every step), and with a router that ignores replica state, route requests
   * when pulled so replicas run ahead to their own next request. False: one step at a time, each
   * request routed when it arrives. The results are the same up to float rounding of step times.
   */
  readonly fastPaths?: boolean;
  /**
   * Called as each request ends (finished, or refused); returning true ends the simulation there
   * (`FleetResult.stoppedEarly`; requests still in flight are left unfinished). `sim plan` stops
   * a fleet as soon as too many requests missed the SLO for it to ever meet the target.
   */
  readonly stopWhen?: (record: RequestRecord) => boolean;
  /** Called now and then with the simulated time and requests finished so far. */
  readonly onProgress?: (simulatedMs: number, numFinished: number) => void;
  /**
   * Prompts are described (`WorkloadItem.promptSegments`, their token ids placeholders): the
   * prefix cache hashes the description (`describedBlockHashes`). The router must not read
   * prompt tokens.
   */
  readonly describedPrompts?: boolean;
}

/** Per-replica channels of the timeline. */
export const REPLICA_CHANNELS = { busyMs: 0, kvUsage: 1, numWaiting: 2, numRunning: 3 } as const;
/** Fleet channels of the timeline. */
export const FLEET_CHANNELS = { outputTokens: 0, arrivals: 1, finished: 2 } as const;

export interface ReplicaSummary {
  readonly numSteps: number;
  readonly busyMs: number;
  readonly numPreemptions: number;
  readonly numKvBlocks: number;
  readonly prefixCache: PrefixCacheStats;
}

export interface FleetResult {
  /** By request index. */
  readonly requests: readonly RequestRecord[];
  readonly replicas: readonly ReplicaSummary[];
  /** First send to last event (ms). */
  readonly startMs: number;
  readonly endMs: number;
  readonly numEvents: number;
  /** Steps that ran inside decode runs (all at once), among all replicas' steps. */
  readonly numDecodeRunSteps: number;
  /** True when `stopWhen` ended the run before every request finished. */
  readonly stoppedEarly: boolean;
  /** Per replica: time-integrals per bin (busy ms, KV usage x ms, waiting x ms, running x ms). */
  readonly replicaTimeline: { readonly binWidthMs: number; readonly channels: readonly Float64Array[] }[];
  /** Fleet counts per bin (output tokens, arrivals, finished). */
  readonly fleetTimeline: { readonly binWidthMs: number; readonly channels: readonly Float64Array[] };
}

type FleetEvent =
  /** `fromWorkload`: the next workload arrival is pulled when this one is handled (not for follow-up turns or released requests). */
  | { readonly kind: "arrival"; readonly timeMs: number; readonly rank: 0; readonly item: WorkloadItem; readonly fromWorkload: boolean; readonly scheduledMs: number }
  /** A sent request reaches the router and a replica (`requestLatencyMs` after it was sent). */
  | { readonly kind: "deliver"; readonly timeMs: number; readonly rank: 0; readonly item: WorkloadItem; readonly scheduledMs: number; readonly sentMs: number }
  | { readonly kind: "step-end"; readonly timeMs: number; readonly rank: 1; readonly replica: number; readonly plan: StepPlan; readonly startMs: number }
  | { readonly kind: "step-start"; readonly timeMs: number; readonly rank: 2; readonly replica: number }
  /** The last step of a decode run ends (see PendingRun); ignored when an arrival cut the run short. */
  | { readonly kind: "run-end"; readonly timeMs: number; readonly rank: 1; readonly replica: number; readonly run: PendingRun };

/**
 * Identical decode steps of one replica's running batch, from `startMs`, as `Scheduler.advanceDecodes`
 * runs them: step j ends at ends[j] and takes takenAtPhase[j % blockSize] new blocks when planned.
 */
interface DecodeRun {
  readonly startMs: number;
  readonly ends: Float64Array;
  readonly takenAtPhase: readonly number[];
  /** Used blocks before the run. */
  readonly usedBefore: number;
  /** Running requests (the batch). */
  readonly batch: number;
  /** Set when an arrival routed to the replica cut the run short (its run-end event is then void). */
  cut: boolean;
}

/** A decode run left pending past arrivals, with what the router's view of it needs (see visibleState). */
interface PendingRun extends DecodeRun {
  /** takenBefore[p] = blocks taken by phases 0..p-1 (so takenBefore[blockSize] is a whole cycle's). */
  readonly takenBefore: readonly number[];
  /** Prompt tokens the load tracker still counts for requests whose first token is the run's first step. */
  readonly promptWorkAtFirstToken: number;
}

const NO_EVENTS: readonly FleetEvent[] = [];

/** The id a workload item's request has in the simulation (its scheduler id and routing id). */
export function requestIdOf(index: number): string {
  return `req-${index}`;
}

/**
 * A fleet of simulated replicas behind a router, driven by a discrete-event loop over three events:
 * a request arrives (it is routed and queued at once), a replica starts a step (the real
 * scheduler plans it; the step-time model says when it ends), a step ends (the real scheduler
 * commits it; tokens are recorded). (A delivery, when requests take time to reach the fleet, and
 * the end of a pending decode run are the other two kinds.) At equal times arrivals come first,
 * then step ends, then step starts, so a replica plans with everything that arrived by then, as
 * the engine does between steps. Everything is deterministic: the same workload and configuration
 * give the same result.
 */
export function simulateFleet(config: FleetConfig, workload: Iterable<WorkloadItem>): FleetResult {
  return finishFleetRun(runFleet(config, workload));
}

/**
 * A fleet's run as `runFleet` leaves it, before its timelines are cut at the run's end: what a
 * thread that simulates part of a fleet sends back (see fleet/threads.ts).
 */
export interface FleetRun extends Omit<FleetResult, "startMs" | "replicaTimeline" | "fleetTimeline"> {
  /** First arrival (ms); Infinity when nothing arrived. */
  readonly startMs: number;
  readonly replicaSeries: readonly BinnedSeries[];
  readonly fleetSeries: BinnedSeries;
}

/** The result of a run: timelines cut at its end. */
export function finishFleetRun(run: FleetRun): FleetResult {
  const { replicaSeries, fleetSeries, ...rest } = run;
  return {
    ...rest,
    startMs: run.startMs === Infinity ? 0 : run.startMs,
    replicaTimeline: replicaSeries.map((s) => s.snapshot(run.endMs)),
    fleetTimeline: fleetSeries.snapshot(run.endMs),
  };
}

/** `simulateFleet` without cutting the timelines. */
export function runFleet(config: FleetConfig, workload: Iterable<WorkloadItem>): FleetRun {
  if (config.replicas.length === 0) throw new Error("a fleet needs at least one replica");
  const replicas = config.replicas.map((c) => new SimReplica(c));
  const busy = replicas.map(() => false);
  const wakePending = replicas.map(() => false);
  const numSteps = replicas.map(() => 0);
  const busyMs = replicas.map(() => 0);
  const numPreemptions = replicas.map(() => 0);
  const tracker = new LoadTracker(replicas.length);
  const records: RequestRecord[] = [];
  /** In-flight requests: the record and the scheduler's own request (for its prefix-cache hit count). */
  const byId = new Map<string, { readonly record: RequestRecord; readonly sched: SchedRequest }>();
  const replicaSeries = replicas.map(() => new BinnedSeries(4));
  const fleetSeries = new BinnedSeries(3);
  const queue = new EventQueue<FleetEvent>();
  const adopted = new WeakSet<readonly number[]>();
  /** Times of the queued arrival and deliver events: the only events that look at or change a replica from outside. */
  const arrivalTimes = new EventQueue<{ readonly timeMs: number; readonly rank: 0 }>();

  // Arrivals are pulled one at a time ("at" items are in time order); later conversation turns wait
  // in `followUps` until their previous turn finishes, and --max-concurrency overflow in `held`.
  const items = workload[Symbol.iterator]();
  const followUps = new Map<number, WorkloadItem[]>();
  const sessionOf = new Map<string, number>();
  const held: Array<{ readonly item: WorkloadItem; readonly scheduledMs: number }> = [];
  let numInFlight = 0;
  let numFinished = 0;
  let startMs = Infinity;
  /** Time of the latest thing that happened (an event, or a step run ahead of the queue). */
  let lastMs = 0;
  let numEvents = 0;
  let numDecodeRunSteps = 0;
  let stoppedEarly = false;

  /**
   * Routing ahead. A router that ignores the replicas' state (round-robin) decides from the order
   * of requests alone, so a request can be routed when it is pulled from the workload, in the same
   * order as at its arrival. Then each replica knows its own next request and runs ahead to it,
   * past the other replicas' arrivals. Only while no request depends on the run: a conversation's
   * later turn or a request held by --max-concurrency is routed when it comes, so the first such
   * item ends routing ahead (items routed before it all arrive before any such request).
   */
  let routeAhead = (config.fastPaths ?? true) && !config.router.usesEndpointState && config.maxConcurrency === undefined;
  const routedAhead = new Map<WorkloadItem, number>();
  /** Per replica, the arrival times of the requests routed ahead to it and not yet delivered (in order). */
  const pendingFor: number[][] = replicas.map(() => []);
  /** Workload arrivals in the queue; the next is pulled when the last is handled. */
  let numQueuedWorkloadArrivals = 0;
  let workloadDone = false;

  const routingOf = (item: WorkloadItem) => ({ id: requestIdOf(item.index), promptTokenIds: item.promptTokenIds, maxOutputTokens: item.outputTokens });

  const pullNextArrival = (): FleetEvent[] => {
    for (let next = items.next(); !next.done; next = items.next()) {
      const item = next.value;
      if (item.arrival.kind === "at") {
        if (item.session !== undefined) routeAhead = false;
        else if (routeAhead) {
          const r = config.router.route(routingOf(item), tracker.states());
          routedAhead.set(item, r);
          pendingFor[r]!.push(item.arrival.timeMs);
        }
        numQueuedWorkloadArrivals++;
        return [{ kind: "arrival", timeMs: item.arrival.timeMs, rank: 0, item, fromWorkload: true, scheduledMs: item.arrival.timeMs }];
      }
      const session = item.session?.sessionId;
      if (session === undefined) throw new Error(`workload item ${item.index} follows a previous turn but has no session`);
      routeAhead = false;
      followUps.set(session, [...(followUps.get(session) ?? []), item]);
    }
    workloadDone = true;
    return [];
  };

  /** A request is done (finished or refused): its session's next turn and a held request may go. */
  const release = (record: RequestRecord, nowMs: number, out: FleetEvent[]): void => {
    record.finishMs = nowMs;
    numInFlight--;
    numFinished++;
    if (config.stopWhen?.(record) === true) stoppedEarly = true;
    fleetSeries.addAt(nowMs, FLEET_CHANNELS.finished, 1);
    const session = sessionOf.get(record.id);
    if (session !== undefined) {
      sessionOf.delete(record.id);
      const next = followUps.get(session)?.shift();
      if (next !== undefined && next.arrival.kind === "after-previous-turn") {
        const t = nowMs + next.arrival.thinkTimeMs;
        out.push({ kind: "arrival", timeMs: t, rank: 0, item: next, fromWorkload: false, scheduledMs: t });
      }
    }
    const waiting = held.shift();
    if (waiting !== undefined) out.push({ kind: "arrival", timeMs: nowMs, rank: 0, item: waiting.item, fromWorkload: false, scheduledMs: waiting.scheduledMs });
  };

  const onArrival = (item: WorkloadItem, fromWorkload: boolean, scheduledMs: number, nowMs: number): FleetEvent[] => {
    if (fromWorkload) numQueuedWorkloadArrivals--;
    const out: FleetEvent[] = fromWorkload && numQueuedWorkloadArrivals === 0 ? pullNextArrival() : [];
    if (config.maxConcurrency !== undefined && numInFlight >= config.maxConcurrency) {
      held.push({ item, scheduledMs });
      return out;
    }
    startMs = Math.min(startMs, nowMs);
    numInFlight++;
    fleetSeries.addAt(nowMs, FLEET_CHANNELS.arrivals, 1);
    const latencyMs = config.requestLatencyMs ?? 0;
    if (latencyMs > 0) {
      out.push({ kind: "deliver", timeMs: nowMs + latencyMs, rank: 0, item, scheduledMs, sentMs: nowMs });
      return out;
    }
    return [...out, ...onDeliver(item, scheduledMs, nowMs, nowMs)];
  };

  /** The request reaches the fleet: routed, recorded, queued at a replica (or refused, as the engine refuses it). */
  const onDeliver = (item: WorkloadItem, scheduledMs: number, sentMs: number, nowMs: number): FleetEvent[] => {
    const out: FleetEvent[] = [];
    const id = requestIdOf(item.index);
    if (item.session !== undefined) sessionOf.set(id, item.session.sessionId);
    let r = routedAhead.get(item);
    if (r !== undefined) {
      routedAhead.delete(item);
      pendingFor[r]!.shift();
    } else {
      const states: EndpointState[] = tracker.states().map((s, i) => visibleState(s, i, nowMs));
      r = config.router.route(routingOf(item), states);
      // The request joins replica r at its next step boundary: a decode run there ends with the
      // step in progress now.
      const run = pendingRuns[r];
      if (run !== null) cutRun(r, run, nowMs, out);
    }
    const replica = replicas[r]!;
    const maxModelLen = replica.config.scheduler.maxModelLen;
    const record: RequestRecord = {
      index: item.index,
      id,
      scheduledMs,
      sentMs,
      ...(item.session !== undefined ? { sessionId: item.session.sessionId, turn: item.session.turn } : {}),
      ...(item.prefixGroup !== undefined ? { prefixGroup: item.prefixGroup } : {}),
      numPromptTokens: item.promptTokenIds.length,
      maxTokens: Math.max(1, Math.min(item.outputTokens, maxModelLen - item.promptTokenIds.length)),
      replica: r,
      numCachedPromptTokens: 0,
      numOutputTokens: 0,
      numPreemptions: 0,
      itlMs: new Float64Array(0),
    };
    record.itlMs = itlRoom(Math.max(0, record.maxTokens - 1));
    records.push(record);
    let sched: SchedRequest;
    try {
      // Workload items are made for this run and read no more once queued: the scheduler may keep
      // the prompt array (a copy per request is most of a long trace's garbage). Guarded against
      // a dataset that hands out one array twice.
      const adopt = !adopted.has(item.promptTokenIds);
      if (adopt) adopted.add(item.promptTokenIds);
      const rc = replica.config;
      let promptBlockHashes: BlockHash[] | undefined;
      if (config.describedPrompts === true && rc.enablePrefixCaching) {
        if (item.promptSegments === undefined) throw new Error(`workload item ${item.index} has no prompt segments to describe its content`);
        promptBlockHashes = describedBlockHashes(item.promptSegments, item.promptTokenIds.length, rc.blockSize, undefined, rc.hashAlgorithm ?? "fast64");
      }
      sched = replica.add({
        id,
        promptTokenIds: item.promptTokenIds,
        maxTokens: record.maxTokens,
        arrivalTime: nowMs,
        adoptPromptTokens: adopt,
        ...(promptBlockHashes !== undefined ? { promptBlockHashes } : {}),
      });
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      // The engine rejects such a request before queuing it; a client sees an error at once.
      record.failure = e.message;
      release(record, nowMs, out);
      return out;
    }
    byId.set(id, { record, sched });
    tracker.routed(id, r, record.numPromptTokens, record.maxTokens);
    if (!busy[r] && !wakePending[r]) {
      wakePending[r] = true;
      out.push({ kind: "step-start", timeMs: nowMs, rank: 2, replica: r });
    }
    return out;
  };

  /** Plans a step on replica r at nowMs (the real scheduler) and records it; null when it has nothing to run. */
  const beginStep = (r: number, nowMs: number): { plan: StepPlan; endMs: number } | null => {
    const replica = replicas[r]!;
    const step = replica.beginStep(nowMs);
    if (step === null) {
      busy[r] = false;
      return null;
    }
    busy[r] = true;
    const { plan, durationMs } = step;
    const endMs = nowMs + durationMs;
    const series = replicaSeries[r]!;
    const stats = replica.scheduler.stats;
    series.addInterval(nowMs, endMs, REPLICA_CHANNELS.busyMs, 1);
    series.addInterval(nowMs, endMs, REPLICA_CHANNELS.kvUsage, replica.kv.usage);
    series.addInterval(nowMs, endMs, REPLICA_CHANNELS.numWaiting, stats.numWaiting);
    series.addInterval(nowMs, endMs, REPLICA_CHANNELS.numRunning, stats.numRunning);
    for (const id of plan.preempted) {
      const live = byId.get(id);
      if (live !== undefined) live.record.numPreemptions++;
      numPreemptions[r]!++;
    }
    return { plan, endMs };
  };

  const onStepStart = (r: number, nowMs: number): readonly FleetEvent[] => {
    wakePending[r] = false;
    const step = beginStep(r, nowMs);
    return step === null ? NO_EVENTS : [{ kind: "step-end", timeMs: step.endMs, rank: 1, replica: r, plan: step.plan, startMs: nowMs }];
  };

  /** Commits a step on replica r at nowMs (the real scheduler) and records its tokens; finished requests release into `out`. */
  const commitStep = (r: number, plan: StepPlan, stepStartMs: number, nowMs: number, out: FleetEvent[]): void => {
    const replica = replicas[r]!;
    lastMs = Math.max(lastMs, nowMs);
    numSteps[r]!++;
    busyMs[r]! += nowMs - stepStartMs;
    let numTokens = 0;
    for (const o of replica.endStep(plan)) {
      if (o.newTokenId === undefined) continue;
      const live = byId.get(o.requestId)!;
      const rec = live.record;
      numTokens++;
      if (rec.firstTokenMs === undefined) {
        rec.firstTokenMs = nowMs;
        rec.numCachedPromptTokens = live.sched.numCachedPromptTokens;
      } else rec.itlMs[rec.numOutputTokens - 1] = nowMs - rec.lastTokenMs!;
      rec.lastTokenMs = nowMs;
      rec.numOutputTokens++;
      tracker.token(o.requestId);
      if (o.finishReason !== undefined) {
        byId.delete(o.requestId);
        tracker.finished(o.requestId);
        release(rec, nowMs, out);
      }
    }
    fleetSeries.addAt(nowMs, FLEET_CHANNELS.outputTokens, numTokens);
    config.onStepEnd?.(r, replica, plan, stepStartMs, nowMs);
  };

  const decodeRuns = (config.fastPaths ?? true) && config.onStepEnd === undefined;
  /** Runs outlast arrivals when requests are routed as they come (see pendingRuns). */
  const lazyRuns = decodeRuns && !routeAhead;
  /**
   * Room for a request's gaps between tokens: a view into a shared slab (one ArrayBuffer per
   * million gaps, not one per request: each buffer is external memory that V8 answers with
   * extra scavenges).
   */
  let itlSlab = new Float64Array(0);
  let itlSlabUsed = 0;
  const itlRoom = (n: number): Float64Array => {
    if (itlSlabUsed + n > itlSlab.length) {
      itlSlab = new Float64Array(Math.max(1 << 20, n));
      itlSlabUsed = 0;
    }
    itlSlabUsed += n;
    return itlSlab.subarray(itlSlabUsed - n, itlSlabUsed);
  };
  /** End times of a decode run's steps (reused from run to run; grown as needed). */
  let endsScratch = new Float64Array(256);

  const noteArrivals = (events: readonly FleetEvent[]): readonly FleetEvent[] => {
    for (const e of events) if (e.kind === "arrival" || e.kind === "deliver") arrivalTimes.push({ timeMs: e.timeMs, rank: 0 });
    return events;
  };
  /** Queues an event outside the loop's own returns (an arrival pulled ahead). */
  const enqueue = (e: FleetEvent): void => {
    noteArrivals([e]);
    queue.push(e);
  };

  /**
   * How far a replica may run ahead on its own. Replicas meet only at arrivals (routing reads
   * their state, a request joins one), so a replica can step up to the next queued arrival,
   * past other replicas' steps. Unless finishing a request can send another (a conversation's
   * next turn, a request held by --max-concurrency): then any other replica's step end might, so
   * the next event of any kind bounds it.
   */
  const horizonMs = (r: number): number => {
    const dynamic = config.maxConcurrency !== undefined || sessionOf.size > 0;
    if (dynamic) return queue.peekTimeMs() ?? Infinity;
    // Routing ahead: up to the replica's own next request (pulled, and routed, as far as needed).
    while (routeAhead && pendingFor[r]!.length === 0 && !workloadDone) for (const e of pullNextArrival()) enqueue(e);
    if (routeAhead) return pendingFor[r]![0] ?? Infinity;
    return arrivalTimes.peekTimeMs() ?? Infinity;
  };

  /**
   * The decode steps replica r can run at once from nowMs while its batch stays the same (nothing
   * finishes or is preempted; `Scheduler.decodeRunLength`), those ending before `nextDueMs`; null
   * when fewer than two could run or none ends in time (the caller steps normally).
   */
  const planDecodeRun = (r: number, nowMs: number, nextDueMs: number): DecodeRun | null => {
    const replica = replicas[r]!;
    const k = replica.decodeRunLength(Number.MAX_SAFE_INTEGER);
    if (k < 2) return null;
    const stepMs = replica.decodeRunTimer();
    let ends = endsScratch;
    let m = 0;
    let t = nowMs;
    for (let j = 0; j < k; j++) {
      const end = t + stepMs(j);
      if (!(end < nextDueMs)) break;
      if (m === ends.length) {
        const grown = new Float64Array(2 * ends.length);
        grown.set(ends);
        endsScratch = ends = grown;
      }
      ends[m++] = t = end;
    }
    if (m === 0) return null;
    const running = replica.scheduler.runningRequests;
    const bs = replica.kv.blockSize;
    // Blocks taken at step j: requests whose next position starts a block, every bs steps by phase.
    const takenAtPhase = new Array<number>(bs).fill(0);
    for (const req of running) takenAtPhase[(bs - (req.numComputedTokens % bs)) % bs]!++;
    return { startMs: nowMs, ends: ends.subarray(0, m), takenAtPhase, usedBefore: replica.kv.numUsedBlocks, batch: running.length, cut: false };
  };

  /** `run` of replica r kept past arrivals: its own copy of the step ends, and what visibleState needs. */
  const pendingRunOf = (r: number, run: DecodeRun): PendingRun => {
    const bs = run.takenAtPhase.length;
    const takenBefore = new Array<number>(bs + 1).fill(0);
    for (let p = 0; p < bs; p++) takenBefore[p + 1] = takenBefore[p]! + run.takenAtPhase[p]!;
    let promptWorkAtFirstToken = 0;
    for (const req of replicas[r]!.scheduler.runningRequests) {
      const rec = byId.get(req.id)!.record;
      if (rec.firstTokenMs === undefined) promptWorkAtFirstToken += rec.numPromptTokens;
    }
    return { ...run, ends: run.ends.slice(), takenBefore, promptWorkAtFirstToken };
  };

  /**
   * Applies the first `m` steps of a decode run of replica r: the scheduler and KV effects
   * (`advanceDecodes`), and every step's tokens, gaps, busy time and KV usage, recorded as steps
   * would record them. Returns the time the last of them ends.
   */
  const applyDecodeRun = (r: number, run: DecodeRun, m: number): number => {
    const replica = replicas[r]!;
    const { ends, takenAtPhase } = run;
    const nowMs = run.startMs;
    const t = ends[m - 1]!;
    const running = replica.scheduler.runningRequests;
    const kv = replica.kv;
    const bs = kv.blockSize;
    const series = replicaSeries[r]!;
    const { numWaiting, numRunning } = replica.scheduler.stats;
    series.addInterval(nowMs, t, REPLICA_CHANNELS.busyMs, 1);
    series.addInterval(nowMs, t, REPLICA_CHANNELS.numWaiting, numWaiting);
    series.addInterval(nowMs, t, REPLICA_CHANNELS.numRunning, numRunning);
    let used = run.usedBefore;
    let start = nowMs;
    for (let j = 0; j < m; j++) {
      const end = ends[j]!;
      used += takenAtPhase[j % bs]!;
      series.addInterval(start, end, REPLICA_CHANNELS.kvUsage, used / kv.numBlocks);
      fleetSeries.addAt(end, FLEET_CHANNELS.outputTokens, running.length);
      busyMs[r]! += end - start;
      start = end;
    }
    for (const req of running) {
      const live = byId.get(req.id)!;
      const rec = live.record;
      let j = 0;
      // A prompt with one token left to compute is planned like a decode: its first token is here.
      if (rec.firstTokenMs === undefined) {
        rec.firstTokenMs = ends[j++]!;
        rec.numCachedPromptTokens = live.sched.numCachedPromptTokens;
      }
      let last = j === 0 ? rec.lastTokenMs! : rec.firstTokenMs;
      // Gap i follows output token i (0-based); this run's first new token is number numOutputTokens.
      const itl = rec.itlMs;
      for (let at = rec.numOutputTokens + j - 1; j < m; j++, at++) {
        itl[at] = ends[j]! - last;
        last = ends[j]!;
      }
      rec.lastTokenMs = last;
      rec.numOutputTokens += m;
      tracker.tokens(req.id, m);
    }
    replica.advanceDecodes(m);
    numSteps[r]! += m;
    numDecodeRunSteps += m;
    lastMs = Math.max(lastMs, t);
    return t;
  };

  /**
   * Decode runs that outlast arrivals (routers that read replica state). A replica whose batch
   * will not change runs its whole decode run as one event; an arrival meanwhile sees the state
   * the replica would have then (`visibleState`: tokens streamed and blocks taken by that time),
   * and one routed to it cuts the run at the step in progress (`cutRun`). Without them every
   * arrival would stop every busy replica's run.
   */
  const pendingRuns: (PendingRun | null)[] = replicas.map(() => null);

  /** Steps of a run that ended before t (ends ascending). */
  const stepsEndedBefore = (run: PendingRun, t: number): number => {
    let lo = 0;
    let hi = run.ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (run.ends[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  /**
   * What the router sees of replica i at time t: its load tracker entry and scheduler state, with a
   * pending run's steps ended before t counted (their tokens streamed) and the step in progress
   * planned (its blocks taken), as stepping one at a time would have left them.
   */
  const visibleState = (s: EndpointState, i: number, t: number): EndpointState => {
    const replica = replicas[i]!;
    const numWaiting = replica.scheduler.stats.numWaiting;
    const run = pendingRuns[i];
    let work = s.outstandingWorkTokens;
    let used = replica.kv.numUsedBlocks;
    if (run !== null) {
      const c = stepsEndedBefore(run, t);
      // Blocks taken by steps 0..c: whole cycles of the phases, then the first phases of the next.
      const bs = run.takenAtPhase.length;
      used = run.usedBefore + Math.floor((c + 1) / bs) * run.takenBefore[bs]! + run.takenBefore[(c + 1) % bs]!;
      if (c > 0) work -= c * run.batch + run.promptWorkAtFirstToken;
    }
    return { index: s.index, numInFlight: s.numInFlight, outstandingWorkTokens: work, kvUsage: used / replica.kv.numBlocks, numWaiting };
  };

  /**
   * A request routed at t joins replica r, which is in a pending decode run: the steps ended before t
   * are applied, then the replica steps on from there as if t had been its next arrival all along
   * (the step in progress at t is planned normally, and ends as a queued step-end).
   */
  const cutRun = (r: number, run: PendingRun, t: number, out: FleetEvent[]): void => {
    run.cut = true;
    pendingRuns[r] = null;
    const c = stepsEndedBefore(run, t);
    const from = c === 0 ? run.startMs : applyDecodeRun(r, run, c);
    stepOn(r, from, out, t);
  };

  /**
   * A step ends: commit it, then start the next one. While no other event is due before the next
   * step would end, the replica runs ahead here, step after step, without going through the queue:
   * nothing could happen in between, so the result is the same as one event per step, only faster.
   * Otherwise the next step starts from a queued "step-start" at this time, after same-time arrivals.
   */
  const onStepEnd = (r: number, plan: StepPlan, startMs: number, endMs: number): FleetEvent[] => {
    const out: FleetEvent[] = [];
    commitStep(r, plan, startMs, endMs, out);
    return stepOn(r, endMs, out);
  };

  /**
   * Replica r has committed everything up to nowMs: plan and run its next steps into `out`.
   * `dueMs`, when given, is the time of an arrival being handled now (no longer in the queue);
   * stepping then stops before it, as if it were the next queued arrival.
   */
  const stepOn = (r: number, startAtMs: number, out: FleetEvent[], dueMs?: number): FleetEvent[] => {
    const replica = replicas[r]!;
    let nowMs = startAtMs;
    for (;;) {
      if (!replica.hasUnfinished) {
        busy[r] = false;
        return out;
      }
      let nextDueMs = dueMs ?? horizonMs(r);
      for (const e of out) nextDueMs = Math.min(nextDueMs, e.timeMs);
      if (nextDueMs <= nowMs) {
        wakePending[r] = true; // stays busy: the next step starts after same-time events
        out.push({ kind: "step-start", timeMs: nowMs, rank: 2, replica: r });
        return out;
      }
      // Identical decode steps that end before anything else happens run at once; the step after
      // them (the one that finishes a request, or reaches nextDueMs) is planned normally below.
      if (decodeRuns) {
        // With a router that reads replica state, a run goes on past arrivals (see pendingRuns);
        // not while finishing a request can send another (then arrivals are not all known ahead).
        const lazy = lazyRuns && dueMs === undefined && config.maxConcurrency === undefined && sessionOf.size === 0;
        const run = planDecodeRun(r, nowMs, lazy ? Infinity : nextDueMs);
        if (run !== null) {
          if (lazy && !(run.ends[run.ends.length - 1]! < nextDueMs)) {
            const owned = pendingRunOf(r, run);
            pendingRuns[r] = owned;
            out.push({ kind: "run-end", timeMs: owned.ends[owned.ends.length - 1]!, rank: 1, replica: r, run: owned });
            return out;
          }
          nowMs = applyDecodeRun(r, run, run.ends.length);
        }
      }
      const next = beginStep(r, nowMs);
      if (next === null) return out;
      if (next.endMs >= nextDueMs) {
        out.push({ kind: "step-end", timeMs: next.endMs, rank: 1, replica: r, plan: next.plan, startMs: nowMs });
        return out;
      }
      commitStep(r, next.plan, nowMs, next.endMs, out);
      nowMs = next.endMs;
    }
  };

  /** The last step of a pending run ends: apply the run, step on. */
  const onRunEnd = (r: number, run: PendingRun): FleetEvent[] => {
    if (run.cut) return [];
    pendingRuns[r] = null;
    return stepOn(r, applyDecodeRun(r, run, run.ends.length), []);
  };

  for (const e of pullNextArrival()) enqueue(e);
  runEventLoop(queue, (event) => {
    lastMs = Math.max(lastMs, event.timeMs);
    if (++numEvents % 4096 === 0) config.onProgress?.(event.timeMs, numFinished);
    switch (event.kind) {
      case "arrival":
        arrivalTimes.pop();
        return noteArrivals(onArrival(event.item, event.fromWorkload, event.scheduledMs, event.timeMs));
      case "deliver":
        arrivalTimes.pop();
        return noteArrivals(onDeliver(event.item, event.scheduledMs, event.sentMs, event.timeMs));
      case "step-start":
        return noteArrivals(onStepStart(event.replica, event.timeMs));
      case "step-end":
        return noteArrivals(onStepEnd(event.replica, event.plan, event.startMs, event.timeMs));
      case "run-end":
        return noteArrivals(onRunEnd(event.replica, event.run));
    }
  }, () => stoppedEarly);
  config.onProgress?.(lastMs, numFinished);
  if (byId.size > 0 && !stoppedEarly) throw new Error(`${byId.size} requests never finished: the simulation stalled`);

  records.sort((a, b) => a.index - b.index);
  for (const r of records) if (r.itlMs.length !== Math.max(0, r.numOutputTokens - 1)) r.itlMs = r.itlMs.subarray(0, Math.max(0, r.numOutputTokens - 1));
  const endMs = lastMs;
  return {
    requests: records,
    replicas: replicas.map((replica, i) => ({
      numSteps: numSteps[i]!,
      busyMs: busyMs[i]!,
      numPreemptions: numPreemptions[i]!,
      numKvBlocks: replica.kv.numBlocks,
      prefixCache: replica.kv.prefixCacheStats,
    })),
    startMs,
    endMs,
    numEvents,
    numDecodeRunSteps,
    stoppedEarly,
    replicaSeries,
    fleetSeries,
  };
}
