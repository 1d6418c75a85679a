import type { EndpointState, Filter, Scorer } from "./types.js";

/** score = 1 - work / max work over the candidates (all 1 when nobody has work). */
export class LeastWorkScorer implements Scorer {
  readonly name = "least-outstanding-work";
  readonly readsPromptTokens = false;

  score(_request: unknown, endpoints: readonly EndpointState[]): number[] {
    let max = 0;
    for (const e of endpoints) if (e.outstandingWorkTokens > max) max = e.outstandingWorkTokens;
    return endpoints.map((e) => (max === 0 ? 1 : 1 - e.outstandingWorkTokens / max));
  }
}

export interface LoadGuardOptions {
  /** An endpoint may carry this many more work tokens than the least loaded one... */
  readonly absoluteSlackTokens: number;
  /** ...or this fraction more, whichever is larger. */
  readonly relativeSlack: number;
}

export const DEFAULT_LOAD_GUARD: LoadGuardOptions = { absoluteSlackTokens: 2048, relativeSlack: 0.25 };

/**
 * Keeps endpoints whose outstanding work is within max(absolute, relative x min) of the least
 * loaded one: an affinity scorer may then choose among them, but never pile work on a hot replica.
 */
export class LoadGuardFilter implements Filter {
  readonly name = "load-guard";
  readonly readsPromptTokens = false;

  constructor(private readonly options: LoadGuardOptions = DEFAULT_LOAD_GUARD) {}

  filter(_request: unknown, endpoints: readonly EndpointState[]): EndpointState[] {
    let min = Infinity;
    for (const e of endpoints) if (e.outstandingWorkTokens < min) min = e.outstandingWorkTokens;
    const limit = min + Math.max(this.options.absoluteSlackTokens, this.options.relativeSlack * min);
    return endpoints.filter((e) => e.outstandingWorkTokens <= limit);
  }
}
