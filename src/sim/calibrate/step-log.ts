import type { SequenceWork } from "../perf/step-time.js";

/**
 * One line of an engine's `--log-steps` file (src/engine/engine.ts `StepLog`), the fields a fit
 * needs. `computed` and `sampled` are optional: when the log has them (each scheduled request's
 * numComputedTokens before the step, and the requests sampled), contexts are exact; otherwise
 * they are reconstructed (see `readStepLog`).
 */
export interface StepLogLine {
  readonly step: number;
  /** When the step started (ms since the engine started). */
  readonly time_ms?: number;
  readonly duration_ms: number;
  readonly scheduled: Readonly<Record<string, number>>;
  readonly preempted?: readonly string[];
  /** Requests left after the step's commit: when non-zero the engine went straight on to the next step. */
  readonly num_running?: number;
  readonly num_waiting?: number;
  readonly computed?: Readonly<Record<string, number>>;
  readonly sampled?: readonly string[];
}

/** A step as the performance model sees it: what ran, and how long it took. */
export interface MeasuredStep {
  readonly step: number;
  /**
   * What the step cost the engine loop: from its start to the next step's start when the engine
   * had work left (so the host work between steps, streaming tokens to clients, counts: the
   * simulator starts the next step right away), else the step's own duration.
   */
  readonly durationMs: number;
  /** The step's own duration (plan, forward, sample, commit). */
  readonly stepDurationMs: number;
  readonly sequences: readonly SequenceWork[];
}

export function parseStepLog(text: string, origin: string): StepLogLine[] {
  const lines: StepLogLine[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === "") return;
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch {
      throw new Error(`${origin}:${i + 1}: not valid JSON`);
    }
    const rec = o as Partial<StepLogLine>;
    if (typeof rec !== "object" || rec === null || typeof rec.duration_ms !== "number" || typeof rec.scheduled !== "object" || rec.scheduled === null) {
      throw new Error(`${origin}:${i + 1}: not a step log line (needs duration_ms and scheduled)`);
    }
    lines.push(rec as StepLogLine);
  });
  return lines;
}

/**
 * The steps of a log with each request's work. Without `computed`, a request's computed tokens
 * are the sum of what it was scheduled before (reset when it is preempted): exact unless a prompt
 * hit the prefix cache (calibrate with --no-prefix-caching, or log `computed`). Without `sampled`,
 * an entry samples when it is a decode (1 token of a request seen before), or when the request's
 * next entry is a decode, or when the request never appears again (its prefill ended it).
 */
export function measuredSteps(lines: readonly StepLogLine[]): MeasuredStep[] {
  // Backwards pass: for each line, each request's next scheduled token count (undefined = never again).
  const nextCount: Array<Map<string, number | undefined>> = new Array(lines.length);
  const upcoming = new Map<string, number>();
  for (let i = lines.length - 1; i >= 0; i--) {
    const here = new Map<string, number | undefined>();
    for (const id of Object.keys(lines[i]!.scheduled)) here.set(id, upcoming.get(id));
    nextCount[i] = here;
    for (const [id, n] of Object.entries(lines[i]!.scheduled)) upcoming.set(id, n);
    // A preemption restarts the request: what came after it says nothing about the entry before.
    for (const id of lines[i]!.preempted ?? []) upcoming.delete(id);
  }
  const computed = new Map<string, number>();
  return lines.map((line, i) => {
    for (const id of line.preempted ?? []) computed.set(id, 0);
    const sampledSet = line.sampled ? new Set(line.sampled) : null;
    const sequences: SequenceWork[] = Object.entries(line.scheduled).map(([id, n]) => {
      const known = computed.get(id);
      const numComputedTokens = line.computed?.[id] ?? known ?? 0;
      const next = nextCount[i]!.get(id);
      const sample = sampledSet ? sampledSet.has(id) : (n === 1 && known !== undefined && known > 0) || next === 1 || next === undefined;
      computed.set(id, numComputedTokens + n);
      return { numComputedTokens, numScheduledTokens: n, sample };
    });
    const next = lines[i + 1];
    const busy = (line.num_running ?? 0) + (line.num_waiting ?? 0) > 0;
    const periodMs = busy && next?.time_ms !== undefined && line.time_ms !== undefined ? next.time_ms - line.time_ms : Number.NaN;
    const durationMs = periodMs >= line.duration_ms ? periodMs : line.duration_ms;
    return { step: line.step, durationMs, stepDurationMs: line.duration_ms, sequences };
  });
}
