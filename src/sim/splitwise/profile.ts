import { readFileSync } from "node:fs";

/** One measurement of the Splitwise performance profile (times in ms). */
export interface SplitwiseRow {
  readonly model: string;
  readonly hardware: string;
  readonly promptSize: number;
  readonly batchSize: number;
  /** Tokens generated after the prompt. */
  readonly tokenSize: number;
  readonly tensorParallel: number;
  /** Time of the batch's prefill (all `batchSize` prompts). */
  readonly promptTimeMs: number;
  /** Mean time per generated token (one decode step of the batch). */
  readonly tokenTimeMs: number;
  /** prompt time + (tokenSize - 1) x token time, as measured. */
  readonly e2eTimeMs: number;
}

const COLUMNS = ["model", "hardware", "prompt_size", "batch_size", "token_size", "prompt_time", "token_time", "e2e_time", "tensor_parallel"] as const;

/** Reads `splitwise_perf_model.csv` (Mutinifni/splitwise-sim); header names, not positions, locate the columns. */
export function readSplitwiseProfile(path: string): SplitwiseRow[] {
  const lines = readFileSync(path, "utf8").split(/\r?\n/).filter((l) => l.trim() !== "");
  const header = lines[0]?.split(",") ?? [];
  const at = Object.fromEntries(COLUMNS.map((c) => [c, header.indexOf(c)])) as Record<(typeof COLUMNS)[number], number>;
  for (const c of COLUMNS) if (at[c] < 0) throw new Error(`${path}: no column ${c}`);
  return lines.slice(1).map((line, i) => {
    const f = line.split(",");
    const n = (c: (typeof COLUMNS)[number]): number => {
      const v = Number(f[at[c]]);
      if (!Number.isFinite(v)) throw new Error(`${path}:${i + 2}: ${c} is not a number`);
      return v;
    };
    return {
      model: f[at.model]!,
      hardware: f[at.hardware]!,
      promptSize: n("prompt_size"),
      batchSize: n("batch_size"),
      tokenSize: n("token_size"),
      tensorParallel: n("tensor_parallel"),
      promptTimeMs: n("prompt_time"),
      tokenTimeMs: n("token_time"),
      e2eTimeMs: n("e2e_time"),
    };
  });
}

/** Splitwise's model names -> built-in models. */
export const SPLITWISE_MODELS: ReadonlyMap<string, string> = new Map([
  ["llama2-70b", "Llama-2-70B"],
  ["bloom-176b", "BLOOM-176B"],
]);

/**
 * Splitwise's hardware names -> built-in GPUs. `h100-80gb-pcap` is an H100 under a power cap:
 * the model has no power input, so those rows are predicted as a plain H100 and reported apart.
 */
export const SPLITWISE_HARDWARE: ReadonlyMap<string, { readonly gpu: string; readonly powerCapped: boolean }> = new Map([
  ["a100-80gb", { gpu: "A100-80GB", powerCapped: false }],
  ["h100-80gb", { gpu: "H100-SXM", powerCapped: false }],
  ["h100-80gb-pcap", { gpu: "H100-SXM", powerCapped: true }],
]);
