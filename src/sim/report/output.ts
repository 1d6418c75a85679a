import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RequestRecord as BenchRecord } from "../../bench/client/record.js";
import { writeHtmlReport } from "../../bench/report/html.js";
import { writeRequests, writeSummary } from "../../bench/report/files.js";
import type { FleetResult } from "../fleet/simulation.js";
import { FLEET_REPORT_FILE, renderFleetReport } from "./fleet-html.js";
import type { SimRunSummary } from "./summary.js";

/** Writes what `flotilla bench` writes (summary.json, requests.jsonl, report.html) plus fleet.html. */
export function writeSimOutputs(dir: string, summary: SimRunSummary, records: readonly BenchRecord[], result: FleetResult): { readonly files: readonly string[] } {
  const files = [writeSummary(dir, summary), writeRequests(dir, records), writeHtmlReport(dir, [{ summary, records }])];
  const fleetPath = join(dir, FLEET_REPORT_FILE);
  writeFileSync(fleetPath, renderFleetReport(summary, result));
  return { files: [...files, fleetPath] };
}
