import { intField, nonBlankLines, type TraceRow } from "./row.js";

/**
 * Azure LLM inference traces (Azure/AzurePublicDataset, Splitwise): a header
 * `TIMESTAMP,ContextTokens,GeneratedTokens`, then rows like `2023-11-16 18:17:03.9799600,4808,10`
 * (wall clock, 100 ns digits). Times become ms after the first row. Pure: text in, rows out.
 */
export function parseAzureCsv(text: string): TraceRow[] {
  const lines = nonBlankLines(text);
  const header = lines[0]?.split(",").map((h) => h.trim());
  if (header?.[0] !== "TIMESTAMP" || header[1] !== "ContextTokens" || header[2] !== "GeneratedTokens") {
    throw new Error(`not an Azure trace: expected header TIMESTAMP,ContextTokens,GeneratedTokens, got ${JSON.stringify(lines[0] ?? "")}`);
  }
  const rows: TraceRow[] = [];
  let t0: WallTime | null = null;
  for (let i = 1; i < lines.length; i++) {
    const cols = lines[i]!.split(",");
    const lineNo = i + 1;
    if (cols.length !== 3) throw new Error(`line ${lineNo}: expected 3 columns, got ${cols.length}`);
    const t = parseWallTime(cols[0]!, lineNo);
    t0 ??= t;
    rows.push({
      // Whole seconds and the fraction apart: epoch milliseconds would lose the 100 ns digits.
      timeMs: (t.wholeSeconds - t0.wholeSeconds) * 1000 + (t.fractionS - t0.fractionS) * 1000,
      inputTokens: intField(cols[1], "ContextTokens", lineNo),
      outputTokens: intField(cols[2], "GeneratedTokens", lineNo),
    });
  }
  return rows;
}

interface WallTime {
  /** Seconds since the Unix epoch, UTC, whole. */
  readonly wholeSeconds: number;
  readonly fractionS: number;
}

const WALL_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?$/;

function parseWallTime(s: string, lineNo: number): WallTime {
  const m = WALL_TIME.exec(s.trim());
  if (!m) throw new Error(`line ${lineNo}: TIMESTAMP ${JSON.stringify(s)} is not YYYY-MM-DD HH:MM:SS[.fraction]`);
  const [, y, mo, d, h, mi, sec, frac] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec));
  return { wholeSeconds: ms / 1000, fractionS: frac ? Number(`0${frac}`) : 0 };
}
