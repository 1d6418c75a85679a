import { DEFAULT_LOAD_GUARD, LeastWorkScorer, LoadGuardFilter, type LoadGuardOptions } from "./load.js";
import { PipelinePolicy } from "./pipeline.js";
import { MaxScorePicker, RoundRobinPicker } from "./pickers.js";
import { DEFAULT_PREFIX_INDEX, PrefixAffinityScorer, PrefixIndex, type PrefixIndexOptions } from "./prefix-affinity.js";
import type { RoutingPolicy } from "./types.js";

export type { EndpointState, Filter, Picker, RoutingPolicy, RoutingRequest, Scorer, WeightedScorer } from "./types.js";
export { LoadTracker } from "./load-tracker.js";
export { PipelinePolicy } from "./pipeline.js";

export const ROUTING_POLICY_NAMES = ["round-robin", "least-outstanding-work", "prefix-affinity"] as const;
export type RoutingPolicyName = (typeof ROUTING_POLICY_NAMES)[number];

export interface RoutingPolicyOptions {
  readonly loadGuard?: LoadGuardOptions;
  readonly prefixIndex?: Partial<PrefixIndexOptions>;
  /** Weight of the load scorer next to prefix affinity's 1 (breaks ties between equal matches). */
  readonly prefixLoadWeight?: number;
}

/** A fresh policy (policies keep state: a cursor, a prefix index). */
export function createRoutingPolicy(name: RoutingPolicyName, options: RoutingPolicyOptions = {}): RoutingPolicy {
  switch (name) {
    case "round-robin":
      return new PipelinePolicy(name, [], [], new RoundRobinPicker());
    case "least-outstanding-work":
      return new PipelinePolicy(name, [], [{ scorer: new LeastWorkScorer(), weight: 1 }], new MaxScorePicker());
    case "prefix-affinity": {
      const index = new PrefixIndex({ ...DEFAULT_PREFIX_INDEX, ...options.prefixIndex });
      return new PipelinePolicy(
        name,
        [new LoadGuardFilter(options.loadGuard ?? DEFAULT_LOAD_GUARD)],
        [
          { scorer: new PrefixAffinityScorer(index), weight: 1 },
          { scorer: new LeastWorkScorer(), weight: options.prefixLoadWeight ?? 0.1 },
        ],
        new MaxScorePicker(),
        [index],
      );
    }
  }
}

export function isRoutingPolicyName(name: string): name is RoutingPolicyName {
  return (ROUTING_POLICY_NAMES as readonly string[]).includes(name);
}
