/** One request of a recorded trace: when it came and how long it was. */
export interface TraceRow {
  /** Arrival in ms after the trace's first row. */
  readonly timeMs: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /**
   * Mooncake only: one id per `blockSize`-token block of the prompt; equal ids are identical
   * blocks (and, since the ids chain, identical prefixes).
   */
  readonly hashIds?: readonly number[];
}

export type TraceFormat = "azure" | "mooncake" | "burstgpt";

/** Splits text into lines, tolerating CRLF and a missing trailing newline; drops blank lines. */
export function nonBlankLines(text: string): string[] {
  return text.split(/\r?\n/).filter((l) => l.trim() !== "");
}

/** A non-negative integer field, or an error naming the line. */
export function intField(value: unknown, name: string, lineNo: number): number {
  const v = typeof value === "string" ? Number(value.trim()) : value;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
    throw new Error(`line ${lineNo}: ${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return v;
}
