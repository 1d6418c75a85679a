import type { OkRecord } from "../client/record.js";

/**
 * Time per output token after the first: (E2E - TTFT) / (output tokens - 1), as vLLM and SGLang
 * define it; undefined (null) for answers of one token or none.
 */
export function tpotMs(r: Pick<OkRecord, "e2eMs" | "ttftMs" | "outputTokens">): number | null {
  return r.outputTokens > 1 ? (r.e2eMs - r.ttftMs) / (r.outputTokens - 1) : null;
}

/** Latency objectives for goodput (`--slo ttft=MS,tpot=MS,e2e=MS`); absent ones are not checked. */
export interface Slo {
  readonly ttftMs?: number;
  readonly tpotMs?: number;
  readonly e2eMs?: number;
}

/**
 * Whether a completed request met every objective. A one-token answer has no TPOT and meets any
 * TPOT objective (vLLM counts its TPOT as 0).
 */
export function meetsSlo(r: Pick<OkRecord, "ttftMs" | "e2eMs" | "outputTokens">, slo: Slo): boolean {
  if (slo.ttftMs !== undefined && r.ttftMs > slo.ttftMs) return false;
  if (slo.tpotMs !== undefined && (tpotMs(r) ?? 0) > slo.tpotMs) return false;
  if (slo.e2eMs !== undefined && r.e2eMs > slo.e2eMs) return false;
  return true;
}

/** Parses `ttft=200,tpot=50[,e2e=5000]` (ms). */
export function parseSlo(text: string): Slo {
  const slo: { ttftMs?: number; tpotMs?: number; e2eMs?: number } = {};
  for (const part of text.split(",").map((p) => p.trim()).filter((p) => p !== "")) {
    const m = /^(ttft|tpot|e2e|e2el)\s*=\s*([0-9.]+)\s*(ms)?$/i.exec(part);
    const v = m ? Number(m[2]) : NaN;
    if (!m || !(v > 0)) throw new Error(`--slo: expected NAME=MS with NAME ttft, tpot or e2e and MS > 0, got ${JSON.stringify(part)}`);
    const key = m[1]!.toLowerCase();
    if (key === "ttft") slo.ttftMs = v;
    else if (key === "tpot") slo.tpotMs = v;
    else slo.e2eMs = v;
  }
  if (Object.keys(slo).length === 0) throw new Error("--slo needs at least one objective, e.g. ttft=500,tpot=50");
  return slo;
}
