import type { EndpointState, Picker } from "./types.js";

/**
 * Highest total score; ties go to the first tied endpoint after the one picked last (by index,
 * wrapping), so equal endpoints share the load instead of the lowest index taking it all.
 */
export class MaxScorePicker implements Picker {
  readonly name = "max-score";
  private lastIndex = -1;

  pick(endpoints: readonly EndpointState[], totalScores: readonly number[]): EndpointState {
    let best = -Infinity;
    for (const s of totalScores) if (s > best) best = s;
    // Scores are sums of products of floats: treat values within 1e-12 as tied.
    const tied = endpoints.filter((_, i) => totalScores[i]! >= best - 1e-12);
    const next = tied.find((e) => e.index > this.lastIndex) ?? tied[0]!;
    this.lastIndex = next.index;
    return next;
  }
}

/** Cycles through the endpoints by index, ignoring scores. */
export class RoundRobinPicker implements Picker {
  readonly name = "round-robin";
  private lastIndex = -1;

  pick(endpoints: readonly EndpointState[]): EndpointState {
    const next = endpoints.find((e) => e.index > this.lastIndex) ?? endpoints[0]!;
    this.lastIndex = next.index;
    return next;
  }
}
