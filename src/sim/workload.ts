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
  type WorkloadItem,
  type WorkloadSpec,
} from "../bench/workload/index.js";

/**
 * Token ids the simulator's prompts are drawn from (bench draws from ids the target's tokenizer
 * makes for English text). Content only matters through equality (prefix caching), so any ids in
 * the vocabulary do; the simulator has no tokenizer for built-in models.
 */
export function simTokenPool(vocabSize: number): number[] {
  return Array.from({ length: Math.max(1, Math.min(vocabSize, 32000)) }, (_, i) => i);
}
