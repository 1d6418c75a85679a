import type { EndpointState } from "./types.js";

interface InFlight {
  readonly endpointIndex: number;
  /** Prompt tokens still counted as work (until the first token comes back). */
  promptTokens: number;
  /** Output tokens that may still come (max_tokens - streamed). */
  remainingOutputTokens: number;
}

/**
 * The router's bookkeeping of what it sent where, from the events a proxy sees: routed, first
 * token, each further token, finished. Gives every endpoint's `numInFlight` and
 * `outstandingWorkTokens` without asking the endpoint.
 */
export class LoadTracker {
  private readonly inFlight = new Map<string, InFlight>();
  private readonly numInFlight: number[];
  private readonly workTokens: number[];

  constructor(readonly numEndpoints: number) {
    this.numInFlight = new Array<number>(numEndpoints).fill(0);
    this.workTokens = new Array<number>(numEndpoints).fill(0);
  }

  routed(requestId: string, endpointIndex: number, numPromptTokens: number, maxOutputTokens: number): void {
    if (this.inFlight.has(requestId)) throw new Error(`request ${requestId} is already in flight`);
    this.inFlight.set(requestId, { endpointIndex, promptTokens: numPromptTokens, remainingOutputTokens: maxOutputTokens });
    this.numInFlight[endpointIndex]!++;
    this.workTokens[endpointIndex]! += numPromptTokens + maxOutputTokens;
  }

  /** A token streamed back (the first one also ends the prompt's work). */
  token(requestId: string): void {
    const r = this.inFlight.get(requestId);
    if (r === undefined) return;
    this.workTokens[r.endpointIndex]! -= r.promptTokens + (r.remainingOutputTokens > 0 ? 1 : 0);
    r.promptTokens = 0;
    if (r.remainingOutputTokens > 0) r.remainingOutputTokens--;
  }

  /** `count` further tokens streamed back after the first (a batch of decode steps at once). */
  tokens(requestId: string, count: number): void {
    const r = this.inFlight.get(requestId);
    if (r === undefined || count <= 0) return;
    this.token(requestId);
    const more = Math.min(count - 1, r.remainingOutputTokens);
    this.workTokens[r.endpointIndex]! -= more;
    r.remainingOutputTokens -= more;
  }

  finished(requestId: string): void {
    const r = this.inFlight.get(requestId);
    if (r === undefined) return;
    this.inFlight.delete(requestId);
    this.numInFlight[r.endpointIndex]!--;
    this.workTokens[r.endpointIndex]! -= r.promptTokens + r.remainingOutputTokens;
  }

  state(endpointIndex: number): EndpointState {
    return { index: endpointIndex, numInFlight: this.numInFlight[endpointIndex]!, outstandingWorkTokens: this.workTokens[endpointIndex]! };
  }

  states(): EndpointState[] {
    return Array.from({ length: this.numEndpoints }, (_, i) => this.state(i));
  }
}
