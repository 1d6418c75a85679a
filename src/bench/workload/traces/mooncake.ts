import { intField, nonBlankLines, type TraceRow } from "./row.js";

/**
 * Mooncake traces (kvcache-ai/Mooncake, FAST'25): one JSON object a line,
 * `{"timestamp": ms, "input_length": n, "output_length": n, "hash_ids": [..]}`. Pure.
 */
export function parseMooncakeJsonl(text: string): TraceRow[] {
  const lines = nonBlankLines(text);
  const rows: TraceRow[] = [];
  let t0: number | null = null;
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let obj: unknown;
    try {
      obj = JSON.parse(lines[i]!);
    } catch (e) {
      throw new Error(`line ${lineNo}: not JSON (${(e as Error).message})`);
    }
    if (typeof obj !== "object" || obj === null) throw new Error(`line ${lineNo}: expected a JSON object`);
    const o = obj as Record<string, unknown>;
    const ts = o.timestamp;
    if (typeof ts !== "number" || !Number.isFinite(ts)) throw new Error(`line ${lineNo}: timestamp must be a number`);
    t0 ??= ts;
    const hashIds = o.hash_ids ?? [];
    if (!Array.isArray(hashIds)) throw new Error(`line ${lineNo}: hash_ids must be an array`);
    rows.push({
      timeMs: ts - t0,
      inputTokens: intField(o.input_length, "input_length", lineNo),
      outputTokens: intField(o.output_length, "output_length", lineNo),
      hashIds: hashIds.map((h: unknown) => intField(h, "hash_ids[]", lineNo)),
    });
  }
  return rows;
}
