import type { ArrivalProcess } from "./arrivals.js";
import { multiTurnDataset, type MultiTurnParams } from "./multi-turn.js";
import { randomDataset, type RandomDatasetParams } from "./random.js";
import { sharedPrefixDataset, type SharedPrefixParams } from "./shared-prefix.js";
import type { TraceRow } from "./traces/row.js";
import { traceDataset, type TraceDatasetParams } from "./traces/trace-dataset.js";
import type { DatasetItem, WorkloadItem } from "./types.js";
import { buildWorkload, type WorkloadLimits } from "./workload.js";

/** Which dataset, with its parameters; trace rows are read by the caller (the only I/O). */
export type DatasetSpec =
  | { readonly kind: "random"; readonly params: RandomDatasetParams }
  | { readonly kind: "shared-prefix"; readonly params: SharedPrefixParams }
  | { readonly kind: "multi-turn"; readonly params: MultiTurnParams }
  | { readonly kind: "trace"; readonly path: string; readonly rows: readonly TraceRow[]; readonly params: TraceDatasetParams };

/** Everything that fixes a workload: the same spec and pool give the same requests. */
export interface WorkloadSpec {
  readonly dataset: DatasetSpec;
  readonly arrivals: ArrivalProcess;
  readonly seed: number;
  readonly limits: WorkloadLimits;
}

export function datasetItems(spec: DatasetSpec, pool: readonly number[], seed: number): Iterable<DatasetItem> {
  switch (spec.kind) {
    case "random":
      return randomDataset(spec.params, pool, seed);
    case "shared-prefix":
      return sharedPrefixDataset(spec.params, pool, seed);
    case "multi-turn":
      return multiTurnDataset(spec.params, pool, seed);
    case "trace":
      return traceDataset(spec.rows, spec.params, pool, seed);
  }
}

/** The workload's requests, lazily, in arrival order of first turns. Pure. */
export function workloadItems(spec: WorkloadSpec, pool: readonly number[]): Generator<WorkloadItem> {
  return buildWorkload(datasetItems(spec.dataset, pool, spec.seed), spec.arrivals, spec.seed, spec.limits);
}

/** A short description for reports, e.g. "random (in 1024 ±0%, out 128)". */
export function describeDataset(spec: DatasetSpec): string {
  switch (spec.kind) {
    case "random": {
      const p = spec.params;
      return `random (in ${p.inputLen}${p.prefixLen ? ` + prefix ${p.prefixLen}` : ""}, out ${p.outputLen}, range ratio ${p.rangeRatio})`;
    }
    case "shared-prefix": {
      const p = spec.params;
      return `shared-prefix (${p.numGroups} groups x ${p.promptsPerGroup}, system ${p.systemPromptLen}, question ${p.questionLen}, out ${p.outputLen})`;
    }
    case "multi-turn": {
      const p = spec.params;
      return `multi-turn (${p.numConversations} conversations x ${p.turnsPerConversation} turns, user ${p.userLen}, out ${p.outputLen})`;
    }
    case "trace":
      return `trace ${spec.path} (${spec.rows.length} rows)`;
  }
}
