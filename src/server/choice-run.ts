import type { Engine, EngineRequest, OutputDelta, RequestHandle } from "../engine/engine.js";
import { AsyncQueue } from "../util/async-queue.js";
import type { ServingMetrics } from "./metrics.js";

/** One delta of one choice (choice index = prompt index * n + sample index). */
export interface ChoiceDelta {
  readonly index: number;
  readonly delta: OutputDelta;
}

/**
 * The engine requests behind one HTTP request (one per choice), read as one stream of deltas in
 * the order the engine produced them.
 *
 * Invariant: every engine request added here ends, and its final delta is seen by the metrics,
 * whether it finishes, the client goes away (`abort()`, or the consumer stops iterating), or the
 * engine shuts down. Each handle is drained to its end rather than broken out of, so the final
 * delta (carrying the finish reason) is never lost.
 */
export class ChoiceRun implements AsyncIterable<ChoiceDelta> {
  private readonly queue: AsyncQueue<ChoiceDelta>;
  private aborted = false;

  private constructor(private readonly handles: readonly RequestHandle[], metrics: ServingMetrics) {
    this.queue = new AsyncQueue<ChoiceDelta>(() => this.abort());
    let open = handles.length;
    handles.forEach((handle, index) => {
      void drain(handle, metrics, (delta) => this.queue.push({ index, delta })).then(() => {
        if (--open === 0) this.queue.end();
      });
    });
  }

  /**
   * Adds every request to the engine, or none: if one is refused (bad parameters, prompt too long,
   * shutting down), those already added are aborted and the error is rethrown.
   */
  static start(engine: Engine, requests: readonly EngineRequest[], metrics: ServingMetrics, arrivalMs: number): ChoiceRun {
    const handles: RequestHandle[] = [];
    try {
      for (const req of requests) {
        const handle = engine.addRequest(req);
        metrics.requestAdded(handle.id, req.promptTokenIds.length, arrivalMs);
        handles.push(handle);
      }
    } catch (e) {
      for (const h of handles) {
        h.abort();
        void drain(h, metrics, () => {});
      }
      throw e;
    }
    return new ChoiceRun(handles, metrics);
  }

  /** True when `abort()` was called (the client went away), as opposed to an engine-side abort. */
  get wasAborted(): boolean {
    return this.aborted;
  }

  /** Ends every request now; their KV blocks are free when this returns. Idempotent. */
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    for (const h of this.handles) h.abort();
  }

  [Symbol.asyncIterator](): AsyncIterator<ChoiceDelta> {
    return this.queue[Symbol.asyncIterator]();
  }
}

/** Reads a handle to its end, so the metrics see its final delta. */
async function drain(handle: RequestHandle, metrics: ServingMetrics, onDelta: (delta: OutputDelta) => void): Promise<void> {
  for await (const delta of handle) {
    metrics.onDelta(handle.id, delta);
    onDelta(delta);
  }
}
