import { setTimeout as sleep } from "node:timers/promises";
import type { PreparedRequest } from "../client/prepare.js";
import type { RequestRecord } from "../client/record.js";
import { streamRequest, type StreamOutcome } from "../client/stream-request.js";
import type { Connection } from "../client/http.js";
import { requestBody, type EndpointKind, type SamplingOptions } from "../client/wire.js";
import { Semaphore } from "./semaphore.js";

export interface RunnerOptions {
  readonly conn: Connection;
  readonly endpoint: EndpointKind;
  readonly sampling: SamplingOptions;
  readonly requestTimeoutMs: number;
  /** At most this many requests in flight; later ones wait, in arrival order. */
  readonly maxConcurrency: number;
  /** Send nothing new after this long (requests in flight are waited for). */
  readonly durationMs?: number;
  /**
   * The workload is bounded: when `durationMs` stops the run, pull the rest of it to count the
   * requests that were due but never sent. Leave false for unbounded workloads.
   */
  readonly countUnsent?: boolean;
  /** Monotonic ms. */
  readonly now: () => number;
  readonly onRecord?: (record: RequestRecord, done: number) => void;
}

export interface RunnerResult {
  /** Every request that was sent, in completion order. */
  readonly records: RequestRecord[];
  /** From the first send to the last answer. */
  readonly durationMs: number;
  /**
   * Requests due before `durationMs` ended but never sent (waiting for a slot or for their
   * previous turn); only those pulled so far unless `countUnsent`.
   */
  readonly notSent: number;
}

/**
 * Replays prepared requests against the target: first turns at their arrival times, later turns
 * of a conversation after the previous turn finished plus the user's think time, never more than
 * `maxConcurrency` at once. Requests are pulled from `requests` lazily, as their time comes.
 */
export async function runRequests(requests: Iterable<PreparedRequest>, opts: RunnerOptions): Promise<RunnerResult> {
  const sem = new Semaphore(opts.maxConcurrency);
  const records: RequestRecord[] = [];
  const inFlight = new Set<Promise<void>>();
  const sessions = new Map<number, SessionState>();
  const endMs = opts.durationMs ?? Infinity;
  let notSent = 0;
  const t0 = opts.now();
  const elapsed = (): number => opts.now() - t0;

  const track = (p: Promise<void>): void => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };

  const launch = (req: PreparedRequest, scheduledMs: number, slotHeld = false): void => {
    track(
      (async () => {
        if (!slotHeld) await sem.acquire();
        const startMs = elapsed();
        if (startMs >= endMs) {
          sem.release();
          notSent++;
          skipSession(req);
          return;
        }
        let outcome: StreamOutcome;
        try {
          const body = requestBody(opts.endpoint, req.prompt, req.item.outputTokens, opts.sampling);
          outcome = await streamRequest(opts.conn, body, { endpoint: opts.endpoint, timeoutMs: opts.requestTimeoutMs, now: elapsed });
        } finally {
          sem.release();
        }
        const record = { ...baseFields(req, scheduledMs, startMs), ...outcome } as RequestRecord;
        records.push(record);
        opts.onRecord?.(record, records.length);
        finishTurn(req);
      })(),
    );
  };

  // Conversations: a later turn is parked until its predecessor finished.
  const finishTurn = (req: PreparedRequest): void => {
    const s = req.item.session;
    if (!s) return;
    const state = sessionState(s.sessionId);
    state.previousDone = true;
    state.doneAtMs = elapsed();
    releaseNext(state);
  };
  const skipSession = (req: PreparedRequest): void => {
    const s = req.item.session;
    if (!s) return;
    const state = sessionState(s.sessionId);
    notSent += state.parked.length;
    state.parked.length = 0;
    state.skipped = true;
  };
  const releaseNext = (state: SessionState): void => {
    const next = state.parked.shift();
    if (!next) return;
    state.previousDone = false;
    const think = next.item.arrival.kind === "after-previous-turn" ? next.item.arrival.thinkTimeMs : 0;
    const scheduledMs = state.doneAtMs + think;
    track(
      (async () => {
        await sleepUntil(elapsed, scheduledMs);
        launch(next, scheduledMs);
      })(),
    );
  };
  const sessionState = (id: number): SessionState => {
    let s = sessions.get(id);
    if (!s) {
      s = { parked: [], previousDone: false, doneAtMs: 0, skipped: false };
      sessions.set(id, s);
    }
    return s;
  };

  const iterator = requests[Symbol.iterator]();
  for (let next = iterator.next(); !next.done; next = iterator.next()) {
    const req = next.value;
    const arrival = req.item.arrival;
    if (arrival.kind === "after-previous-turn") {
      const state = sessionState(req.item.session?.sessionId ?? -1);
      if (state.skipped) {
        notSent++;
        continue;
      }
      state.parked.push(req);
      if (state.previousDone) releaseNext(state);
      continue;
    }
    await sleepUntil(elapsed, arrival.timeMs);
    // Waiting for a slot here (not inside the launched task) keeps an unbounded workload from
    // being pulled faster than it can be sent.
    let held = false;
    if (elapsed() < endMs) {
      await sem.acquire();
      held = true;
    }
    if (elapsed() >= endMs) {
      if (held) sem.release();
      notSent++;
      if (opts.countUnsent) {
        // Due means arriving before the end (later turns always are: their session started).
        for (let rest = iterator.next(); !rest.done; rest = iterator.next()) {
          const a = rest.value.item.arrival;
          if (a.kind === "after-previous-turn" || a.timeMs < endMs) notSent++;
        }
      }
      break;
    }
    if (req.item.session) sessionState(req.item.session.sessionId);
    launch(req, arrival.timeMs, true);
  }
  // A finishing request may park or launch more work; wait until nothing is left.
  while (inFlight.size > 0) await Promise.all([...inFlight]);
  for (const s of sessions.values()) notSent += s.parked.length;
  return { records, durationMs: lastEndMs(records), notSent };
}

/** Waits until `elapsed()` reaches `targetMs`; timers may fire up to a millisecond early. */
async function sleepUntil(elapsed: () => number, targetMs: number): Promise<void> {
  for (let wait = targetMs - elapsed(); wait > 0; wait = targetMs - elapsed()) await sleep(Math.max(1, wait));
}

interface SessionState {
  readonly parked: PreparedRequest[];
  previousDone: boolean;
  doneAtMs: number;
  skipped: boolean;
}

function baseFields(req: PreparedRequest, scheduledMs: number, startMs: number) {
  const it = req.item;
  return {
    index: it.index,
    ...(it.session ? { sessionId: it.session.sessionId, turn: it.session.turn } : {}),
    ...(it.prefixGroup !== undefined ? { prefixGroup: it.prefixGroup } : {}),
    scheduledMs,
    startMs,
    promptTokens: req.promptTokens,
    maxTokens: it.outputTokens,
  };
}

/** The run's length: the latest moment any request ended (ok or failed). */
export function lastEndMs(records: readonly RequestRecord[]): number {
  let end = 0;
  for (const r of records) end = Math.max(end, r.startMs + (r.status === "ok" ? r.e2eMs : r.elapsedMs));
  return end;
}
