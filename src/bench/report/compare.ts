import { readRequests, readSummary } from "./files.js";
import { type ReportEntry, writeHtmlReport } from "./html.js";
import type { RunSummary } from "./summary.js";
import { formatCompareTable, formatSweepTable } from "./table.js";

export interface CompareResult {
  readonly reportPath: string;
  /** Terminal text: runs side by side, then each sweep's table. */
  readonly text: string;
}

/**
 * `flotilla bench compare DIR...`: puts runs (and sweeps) from earlier `flotilla bench` outputs
 * on one report. Labels that repeat get the folder appended so legends stay distinct.
 */
export function compareDirs(dirs: readonly string[], outDir: string): CompareResult {
  if (dirs.length < 1) throw new Error("compare needs at least one result folder");
  const seen = new Map<string, number>();
  const entries: ReportEntry[] = dirs.map((dir) => {
    let summary = readSummary(dir);
    const n = seen.get(summary.label) ?? 0;
    seen.set(summary.label, n + 1);
    if (n > 0 || dirs.filter((d) => d !== dir).some((d) => readSummary(d).label === summary.label)) summary = { ...summary, label: `${summary.label} (${dir})` };
    return { summary, records: summary.kind === "run" ? readRequests(dir) : [] };
  });
  const reportPath = writeHtmlReport(outDir, entries, `flotilla bench compare: ${entries.map((e) => e.summary.label).join(" vs ")}`);
  const runs = entries.map((e) => e.summary).filter((s): s is RunSummary => s.kind === "run");
  const parts: string[] = [];
  if (runs.length > 0) parts.push(formatCompareTable(runs));
  for (const e of entries) if (e.summary.kind === "sweep") parts.push(formatSweepTable(e.summary));
  return { reportPath, text: parts.join("\n\n") };
}
