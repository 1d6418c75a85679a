import type { EndpointState, Filter, Picker, RoutingPolicy, RoutingRequest, WeightedScorer } from "./types.js";

/** Something that learns where requests went (a prefix index). */
export interface RoutingObserver {
  /** Whether it reads the request's prompt token ids; absent means it may. */
  readonly readsPromptTokens?: boolean;
  routed(request: RoutingRequest, endpointIndex: number): void;
}

/**
 * filters -> weighted scorers -> picker. A filter that would leave no endpoint is skipped (a
 * request is never refused for being unroutable while endpoints exist). Observers hear every
 * decision after it is made.
 */
export class PipelinePolicy implements RoutingPolicy {
  /** Filters and scorers read endpoint state; pickers see only indices and scores. */
  readonly usesEndpointState: boolean;
  /** True unless every filter, scorer and observer declares it does not read prompt tokens. */
  readonly readsPromptTokens: boolean;

  constructor(
    readonly name: string,
    private readonly filters: readonly Filter[],
    private readonly scorers: readonly WeightedScorer[],
    private readonly picker: Picker,
    private readonly observers: readonly RoutingObserver[] = [],
  ) {
    this.usesEndpointState = filters.length > 0 || scorers.length > 0;
    this.readsPromptTokens = [...filters, ...scorers.map((s) => s.scorer), ...observers].some((c) => c.readsPromptTokens !== false);
  }

  route(request: RoutingRequest, endpoints: readonly EndpointState[]): number {
    if (endpoints.length === 0) throw new Error("no endpoint to route to");
    let candidates: readonly EndpointState[] = endpoints;
    for (const f of this.filters) {
      const kept = f.filter(request, candidates);
      if (kept.length > 0) candidates = kept;
    }
    const total = new Array<number>(candidates.length).fill(0);
    for (const { scorer, weight } of this.scorers) {
      const scores = scorer.score(request, candidates);
      for (let i = 0; i < candidates.length; i++) total[i]! += weight * scores[i]!;
    }
    const chosen = this.picker.pick(candidates, total).index;
    for (const o of this.observers) o.routed(request, chosen);
    return chosen;
  }
}
