import { readFileSync } from "node:fs";
import { parseAzureCsv } from "./azure.js";
import { parseBurstGptCsv } from "./burstgpt.js";
import { parseMooncakeJsonl } from "./mooncake.js";
import type { TraceFormat, TraceRow } from "./row.js";

/**
 * The format of a trace from its first line: a JSON object is Mooncake, a `TIMESTAMP,...` header
 * Azure, a header with `Request tokens` BurstGPT. Pure.
 */
export function detectTraceFormat(text: string): TraceFormat {
  const first = text.slice(0, 4096).split(/\r?\n/, 1)[0]!.trim();
  if (first.startsWith("{")) return "mooncake";
  if (first.startsWith("TIMESTAMP,")) return "azure";
  if (first.includes("Request tokens")) return "burstgpt";
  throw new Error(`unknown trace format (first line ${JSON.stringify(first.slice(0, 80))}): expected Azure CSV, Mooncake JSONL or BurstGPT CSV`);
}

/** Parses trace text of a known or detected format. Pure. */
export function parseTrace(text: string, format: TraceFormat = detectTraceFormat(text)): TraceRow[] {
  switch (format) {
    case "azure":
      return parseAzureCsv(text);
    case "mooncake":
      return parseMooncakeJsonl(text);
    case "burstgpt":
      return parseBurstGptCsv(text);
  }
}

/** Reads and parses a trace file; errors name the file. The only I/O of the workload code. */
export function readTraceFile(path: string, format?: TraceFormat): { format: TraceFormat; rows: TraceRow[] } {
  const text = readFileSync(path, "utf8");
  try {
    const f = format ?? detectTraceFormat(text);
    return { format: f, rows: parseTrace(text, f) };
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}
