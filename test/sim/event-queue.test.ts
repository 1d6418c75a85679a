import { describe, expect, it } from "vitest";
import { EventQueue, runEventLoop, type TimedEvent } from "../../src/sim/event-queue.js";

interface E extends TimedEvent {
  readonly name: string;
}

const ev = (timeMs: number, rank: number, name: string): E => ({ timeMs, rank, name });

describe("event queue", () => {
  it("pops by time, then rank, then insertion order", () => {
    const q = new EventQueue<E>();
    for (const e of [ev(5, 0, "a"), ev(1, 2, "b"), ev(1, 0, "c"), ev(1, 2, "d"), ev(0.5, 9, "e"), ev(1, 1, "f"), ev(5, 0, "g")]) q.push(e);
    const order: string[] = [];
    for (let e = q.pop(); e; e = q.pop()) order.push(e.name);
    expect(order).toEqual(["e", "c", "f", "b", "d", "a", "g"]);
  });

  it("is a total order: many equal-time events come out in insertion order whatever the heap does", () => {
    const q = new EventQueue<E>();
    const names = Array.from({ length: 500 }, (_, i) => `n${i}`);
    // Interleave pushes and pops so the heap's layout changes.
    const out: string[] = [];
    names.forEach((n, i) => {
      q.push(ev(7, 1, n));
      if (i % 3 === 2) out.push(q.pop()!.name);
    });
    for (let e = q.pop(); e; e = q.pop()) out.push(e.name);
    expect(out).toEqual(names);
  });

  it("the loop feeds handler results back and refuses time running backwards", () => {
    const q = new EventQueue<E>();
    q.push(ev(0, 0, "start"));
    const seen: string[] = [];
    const end = runEventLoop(q, (e) => {
      seen.push(`${e.name}@${e.timeMs}`);
      const n = Number(e.name.replace("start", "0"));
      return n < 3 ? [ev(e.timeMs + 10, 0, String(n + 1))] : [];
    });
    expect(seen).toEqual(["start@0", "1@10", "2@20", "3@30"]);
    expect(end).toBe(30);
    const bad = new EventQueue<E>();
    bad.push(ev(10, 0, "x"));
    expect(() => runEventLoop(bad, () => [ev(5, 0, "y")])).toThrow(/backwards/);
    expect(() => bad.push(ev(Number.NaN, 0, "nan"))).toThrow(/finite/);
  });
});
