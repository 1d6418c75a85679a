/** The worker thread of `writeRequestsInWorker`: unpacks the records and writes requests.jsonl. */
import { writeFileSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import type { RequestRecord } from "../client/record.js";
import { requestsJsonl } from "./files.js";
import type { PackedRecords } from "./requests-writer.js";

const { path, records, gaps, offsets } = workerData as PackedRecords;
try {
  const unpacked = (records as RequestRecord[]).map((r, i) => (r.status === "ok" ? { ...r, itlMs: gaps.subarray(offsets[i]!, offsets[i + 1]!) } : r));
  writeFileSync(path, requestsJsonl(unpacked));
} catch (e) {
  parentPort?.postMessage({ error: e instanceof Error ? e.message : String(e) });
}
