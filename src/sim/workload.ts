import type { DatasetSpec } from "../bench/workload/index.js";
/**
 * The one place the simulator meets `flotilla bench`'s workloads: datasets, trace readers,
 * arrival processes and item types are bench's (`src/bench/workload/`), so a simulation replays
 * exactly the requests a benchmark sends for the same flags and seed.
 */
export {
  describeArrivals,
  describeDataset,
  workloadItems,
  type ArrivalProcess,
  type DatasetItem,
  type DatasetSpec,
  type PromptSegment,
  type WorkloadItem,
  type WorkloadSpec,
} from "../bench/workload/index.js";

/**
 * Token ids the simulator's prompts are drawn from (bench draws from ids the target's tokenizer
 * makes for English text). Content only matters through equality (prefix caching, prefix-aware
 * routing), so any ids in the vocabulary do; the simulator has no tokenizer for built-in models.
 * When nothing reads content (`contentMatters` false), one id: prompts of the right lengths with
 * no random draws (a trace holds tens of millions of prompt tokens).
 */
export function simTokenPool(vocabSize: number, contentMatters = true): number[] {
  if (!contentMatters) return [0];
  return Array.from({ length: Math.max(1, Math.min(vocabSize, 32000)) }, (_, i) => i);
}

/**
 * Whether the dataset describes each prompt's content (`DatasetItem.promptSegments`): trace
 * datasets do, so the simulator's prefix cache can hash descriptions instead of drawn tokens.
 */
export function describesPromptContent(spec: DatasetSpec): boolean {
  return spec.kind === "trace";
}
