import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RequestRecord as BenchRecord } from "../../bench/client/record.js";
import { writeHtmlReport } from "../../bench/report/html.js";
import { writeRequests, writeSummary } from "../../bench/report/files.js";
import type { FleetResult } from "../fleet/simulation.js";
import { FLEET_REPORT_FILE, renderFleetReport } from "./fleet-html.js";
import type { SimRunSummary } from "./summary.js";

/**
 * Writes what `flotilla bench` writes (summary.json, requests.jsonl, report.html) plus fleet.html.
 * `requestsWritten`: requests.jsonl is being written already (`writeRequestsInWorker`, started as
 * soon as the records existed); it is awaited last, after the other files.
 */
export async function writeSimOutputs(
  dir: string,
  summary: SimRunSummary,
  records: readonly BenchRecord[],
  result: FleetResult,
  requestsWritten?: Promise<string>,
): Promise<{ readonly files: readonly string[] }> {
  const summaryPath = writeSummary(dir, summary);
  const reportPath = writeHtmlReport(dir, [{ summary, records }]);
  const fleetPath = join(dir, FLEET_REPORT_FILE);
  writeFileSync(fleetPath, renderFleetReport(summary, result));
  const requestsPath = requestsWritten !== undefined ? await requestsWritten : writeRequests(dir, records);
  return { files: [summaryPath, requestsPath, reportPath, fleetPath] };
}
