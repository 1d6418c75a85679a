/** An event: immutable, at a time, with a rank that orders events of the same time. */
export interface TimedEvent {
  readonly timeMs: number;
  /**
   * Lower ranks go first among events at the same time (e.g. arrivals before a replica plans its
   * next step, as an engine admits what arrived before it plans). Then insertion order.
   */
  readonly rank: number;
}

interface Entry<E> {
  readonly timeMs: number;
  readonly rank: number;
  readonly seq: number;
  readonly event: E;
}

/**
 * A min-heap of events ordered by (time, rank, insertion sequence): a total order, so a simulation
 * that pushes the same events in the same order pops them in the same order, whatever the heap's
 * internal layout.
 */
export class EventQueue<E extends TimedEvent> {
  private readonly heap: Entry<E>[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(event: E): void {
    if (!Number.isFinite(event.timeMs)) throw new RangeError(`event time must be finite, got ${event.timeMs}`);
    const heap = this.heap;
    heap.push({ timeMs: event.timeMs, rank: event.rank, seq: this.nextSeq++, event });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  pop(): E | undefined {
    const heap = this.heap;
    if (heap.length === 0) return undefined;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top.event;
  }

  peekTimeMs(): number | undefined {
    return this.heap[0]?.timeMs;
  }
}

function before<E>(a: Entry<E>, b: Entry<E>): boolean {
  return a.timeMs < b.timeMs || (a.timeMs === b.timeMs && (a.rank < b.rank || (a.rank === b.rank && a.seq < b.seq)));
}

/**
 * The discrete-event loop: pop the earliest event, let the handler return the events it causes,
 * push them. Time never runs backwards: an event earlier than the one that caused it is a bug.
 * Returns the time of the last event.
 */
export function runEventLoop<E extends TimedEvent>(queue: EventQueue<E>, handle: (event: E) => readonly E[], stopped: () => boolean = () => false): number {
  let nowMs = -Infinity;
  for (let event = queue.pop(); event !== undefined && !stopped(); event = queue.pop()) {
    nowMs = event.timeMs;
    for (const next of handle(event)) {
      if (next.timeMs < nowMs) throw new Error(`event at ${next.timeMs} ms scheduled from ${nowMs} ms: time cannot run backwards`);
      queue.push(next);
    }
  }
  return nowMs;
}
