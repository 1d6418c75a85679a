import { intField, nonBlankLines, type TraceRow } from "./row.js";

/**
 * BurstGPT-style CSV (HPMLL/BurstGPT): a header naming at least `Timestamp` (seconds from the
 * trace start), `Request tokens` and `Response tokens`, in any column order. Rows whose response
 * is 0 tokens are failed requests in the log and are skipped, as vLLM's BurstGPT loader does.
 * Pure.
 */
export function parseBurstGptCsv(text: string): TraceRow[] {
  const lines = nonBlankLines(text);
  const header = (lines[0] ?? "").split(",").map((h) => h.trim());
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`not a BurstGPT trace: no "${name}" column in header ${JSON.stringify(lines[0] ?? "")}`);
    return i;
  };
  const [iTime, iReq, iResp] = [col("Timestamp"), col("Request tokens"), col("Response tokens")];
  const rows: TraceRow[] = [];
  let t0: number | null = null;
  for (let i = 1; i < lines.length; i++) {
    const cols = lines[i]!.split(",");
    const lineNo = i + 1;
    const timeS = Number(cols[iTime]);
    if (!Number.isFinite(timeS)) throw new Error(`line ${lineNo}: Timestamp must be a number, got ${JSON.stringify(cols[iTime])}`);
    const outputTokens = intField(cols[iResp], "Response tokens", lineNo);
    if (outputTokens === 0) continue;
    t0 ??= timeS;
    rows.push({ timeMs: (timeS - t0) * 1000, inputTokens: intField(cols[iReq], "Request tokens", lineNo), outputTokens });
  }
  return rows;
}
