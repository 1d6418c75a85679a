import type { OkRecord, RequestRecord } from "../client/record.js";
import { tpotMs } from "./request-metrics.js";

/** The latencies a run reports per sample. */
export type SampleKey = "ttft" | "tpot" | "itl" | "e2e" | "queue";

const memo = new WeakMap<readonly RequestRecord[], Map<SampleKey, Float64Array>>();

/**
 * One latency of every sample of a run, in ms, in record order. The summary's statistics and the
 * report's CDFs both read it, and a simulated run has millions of gaps between tokens, so it is
 * gathered once per records array and key (records are never changed once a run is over). Do
 * not change it.
 */
export function latencySamples(records: readonly RequestRecord[], key: SampleKey): Float64Array {
  let byKey = memo.get(records);
  if (byKey === undefined) memo.set(records, (byKey = new Map()));
  let samples = byKey.get(key);
  if (samples === undefined) byKey.set(key, (samples = samplesOf(records, key)));
  return samples;
}

/** The samples in record order (a fresh array). */
function samplesOf(records: readonly RequestRecord[], key: SampleKey): Float64Array {
  if (key === "queue") return Float64Array.from(records, (r) => r.startMs - r.scheduledMs);
  const ok = records.filter((r): r is OkRecord => r.status === "ok");
  switch (key) {
    case "ttft":
      return Float64Array.from(ok, (r) => r.ttftMs);
    case "e2e":
      return Float64Array.from(ok, (r) => r.e2eMs);
    case "tpot": {
      const out = new Float64Array(ok.length);
      let n = 0;
      for (const r of ok) {
        const t = tpotMs(r);
        if (t !== null) out[n++] = t;
      }
      return out.subarray(0, n);
    }
    case "itl": {
      let n = 0;
      for (const r of ok) n += r.itlMs.length;
      const out = new Float64Array(n);
      let at = 0;
      for (const r of ok) {
        out.set(r.itlMs, at);
        at += r.itlMs.length;
      }
      return out;
    }
  }
}
