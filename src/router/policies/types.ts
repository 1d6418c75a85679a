/**
 * Routing across replicas, shared by the fleet router (`flotilla route`) and the simulator.
 * Pure and synchronous: no I/O, no clock, no `Math.random`; everything an endpoint's state says
 * is passed in, so the same inputs always pick the same endpoint.
 *
 * A policy is a pipeline, as in llm-d's inference scheduler: filters drop endpoints that must not
 * take the request, scorers rate each remaining endpoint in [0, 1], a picker chooses from the
 * weighted sum. See README.md for each plugin's formula.
 */

/** What the router knows about a request when it routes it. */
export interface RoutingRequest {
  readonly id: string;
  readonly promptTokenIds: readonly number[];
  /** The request's max_tokens: all the router knows about its output. */
  readonly maxOutputTokens: number;
}

/** What the router knows about one endpoint: its own bookkeeping (see `LoadTracker`) and scraped metrics. */
export interface EndpointState {
  /** Position in the endpoint list; a picker returns one of these. */
  readonly index: number;
  /** Requests sent there that have not finished. */
  readonly numInFlight: number;
  /**
   * Tokens of work outstanding, in token-steps: for every in-flight request, its prompt until the
   * first token comes back, plus the output tokens it may still generate (max_tokens - streamed).
   */
  readonly outstandingWorkTokens: number;
  /** Scraped from the endpoint's /metrics when known: fraction of KV blocks in use, queue length. */
  readonly kvUsage?: number;
  readonly numWaiting?: number;
}

export interface Filter {
  readonly name: string;
  /** Whether it reads the request's prompt token ids (not just their count); absent means it may. */
  readonly readsPromptTokens?: boolean;
  /** The endpoints that may take the request (a subset of `endpoints`, same order). */
  filter(request: RoutingRequest, endpoints: readonly EndpointState[]): EndpointState[];
}

export interface Scorer {
  readonly name: string;
  /** Whether it reads the request's prompt token ids (not just their count); absent means it may. */
  readonly readsPromptTokens?: boolean;
  /** One score in [0, 1] per endpoint, aligned with `endpoints`; higher is better. */
  score(request: RoutingRequest, endpoints: readonly EndpointState[]): number[];
}

export interface WeightedScorer {
  readonly scorer: Scorer;
  readonly weight: number;
}

export interface Picker {
  readonly name: string;
  /** Chooses one of `endpoints` (non-empty) given each one's total score. */
  pick(endpoints: readonly EndpointState[], totalScores: readonly number[]): EndpointState;
}

export interface RoutingPolicy {
  readonly name: string;
  /**
   * False when decisions never depend on the endpoints' state (only on the order of requests, as
   * round-robin): a caller may then route a request before it is due (the simulator does, to let
   * replicas run ahead until their own next request).
   */
  readonly usesEndpointState: boolean;
  /**
   * False when decisions never depend on the prompt's token ids, only on their count (the
   * simulator then need not draw prompt content it would never read).
   */
  readonly readsPromptTokens: boolean;
  /** The index (`EndpointState.index`) of the endpoint to send the request to; `endpoints` is non-empty. */
  route(request: RoutingRequest, endpoints: readonly EndpointState[]): number;
}
