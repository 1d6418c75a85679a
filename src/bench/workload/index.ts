/** The workload layer, shared by `flotilla bench` and `flotilla sim`. Pure except `readTraceFile`. */
export * from "./types.js";
export * from "./rng.js";
export * from "./token-pool.js";
export * from "./arrivals.js";
export * from "./workload.js";
export * from "./spec.js";
export { randomDataset, lengthRange, DEFAULT_RANDOM, type RandomDatasetParams } from "./random.js";
export { sharedPrefixDataset, DEFAULT_SHARED_PREFIX, type SharedPrefixParams } from "./shared-prefix.js";
export { multiTurnDataset, DEFAULT_MULTI_TURN, type MultiTurnParams } from "./multi-turn.js";
export { traceDataset, DEFAULT_TRACE, type TraceDatasetParams } from "./traces/trace-dataset.js";
export { parseAzureCsv } from "./traces/azure.js";
export { parseMooncakeJsonl } from "./traces/mooncake.js";
export { parseBurstGptCsv } from "./traces/burstgpt.js";
export { detectTraceFormat, parseTrace, readTraceFile } from "./traces/read.js";
export type { TraceFormat, TraceRow } from "./traces/row.js";
