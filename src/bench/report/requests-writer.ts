import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import type { RequestRecord } from "../client/record.js";
import { REQUESTS_FILE } from "./files.js";

/** What the writer thread gets: the records with their gaps packed into one transferred buffer. */
export interface PackedRecords {
  readonly path: string;
  /** The records, each completed one's `itlMs` replaced by null (in place, so keys keep their order). */
  readonly records: readonly unknown[];
  /** Every completed record's gaps, one after another (record order). */
  readonly gaps: Float64Array;
  /** Record i's gaps are gaps[offsets[i], offsets[i + 1]) (none for a failed record). */
  readonly offsets: Int32Array;
}

/**
 * Writes requests.jsonl (`writeRequests`' format, byte for byte) in a worker thread, so a caller
 * with millions of gaps between tokens (a simulation: 80 MB of JSON numbers) can build its
 * summary and report meanwhile. The gaps travel as one transferred buffer, not as millions of
 * cloned numbers. Resolves to the file's path once it is written.
 */
export function writeRequestsInWorker(dir: string, records: readonly RequestRecord[]): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, REQUESTS_FILE);
  const offsets = new Int32Array(records.length + 1);
  let total = 0;
  records.forEach((r, i) => {
    offsets[i] = total;
    if (r.status === "ok") total += r.itlMs.length;
  });
  offsets[records.length] = total;
  const gaps = new Float64Array(total);
  records.forEach((r, i) => {
    if (r.status === "ok") gaps.set(r.itlMs, offsets[i]!);
  });
  const packed: PackedRecords = { path, records: records.map((r) => (r.status === "ok" ? { ...r, itlMs: null } : r)), gaps, offsets };
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./requests-writer-worker.js", import.meta.url), { workerData: packed, transferList: [gaps.buffer as ArrayBuffer] });
    let failed: Error | null = null;
    worker.on("message", (m: { readonly error?: string }) => {
      if (m.error !== undefined) failed = new Error(`writing ${path}: ${m.error}`);
    });
    worker.on("error", reject);
    worker.on("exit", (code) => (failed !== null ? reject(failed) : code === 0 ? resolve(path) : reject(new Error(`writing ${path}: the writer thread exited with code ${code}`))));
  });
}
