import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RequestRecord } from "../client/record.js";
import { type BenchSummary, SUMMARY_SCHEMA } from "./summary.js";

export const SUMMARY_FILE = "summary.json";
export const REQUESTS_FILE = "requests.jsonl";
export const REPORT_FILE = "report.html";

export function writeSummary(dir: string, summary: BenchSummary): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, SUMMARY_FILE);
  writeFileSync(path, `${JSON.stringify(summary, null, 2)}\n`);
  return path;
}

/** One JSON object a line, sorted by send time (the runner collects them in completion order). */
export function writeRequests(dir: string, records: readonly RequestRecord[]): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, REQUESTS_FILE);
  writeFileSync(path, requestsJsonl(records));
  return path;
}

/** The text of requests.jsonl: one JSON object a line, sorted by send time. */
export function requestsJsonl(records: readonly RequestRecord[]): string {
  const sorted = records.slice().sort((a, b) => a.startMs - b.startMs || a.index - b.index);
  return sorted.map(recordLine).join("\n") + (sorted.length > 0 ? "\n" : "");
}

/** One record as JSON, its gaps as a JSON array whether they are held in an array or a Float64Array. */
function recordLine(r: RequestRecord): string {
  if (r.status === "ok" && !Array.isArray(r.itlMs)) return JSON.stringify({ ...r, itlMs: Array.from(r.itlMs) });
  return JSON.stringify(r);
}

export function readSummary(dir: string): BenchSummary {
  const path = join(dir, SUMMARY_FILE);
  const s = JSON.parse(readFileSync(path, "utf8")) as BenchSummary;
  if (s.schema !== SUMMARY_SCHEMA) throw new Error(`${path}: not a flotilla bench summary (schema ${JSON.stringify(s.schema)})`);
  return s;
}

export function readRequests(dir: string): RequestRecord[] {
  const text = readFileSync(join(dir, REQUESTS_FILE), "utf8");
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as RequestRecord);
}
