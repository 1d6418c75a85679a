import type { RequestRecord as BenchRecord } from "../../bench/client/record.js";
import type { ServerMetrics } from "../../bench/metrics/server-metrics.js";
import type { FleetResult } from "../fleet/simulation.js";

/**
 * The simulated requests as `flotilla bench` records them (requests.jsonl), so bench's metrics,
 * tables, reports and `bench compare` work on a simulation unchanged. A request the engine
 * refuses (prompt too long for the context or the KV cache) is what a server answers with HTTP
 * 400. Output counts are exact (the simulator knows every token), as a server's `usage` is.
 */
export function toBenchRecords(result: FleetResult): BenchRecord[] {
  return result.requests.map((r): BenchRecord => {
    const base = {
      index: r.index,
      ...(r.sessionId !== undefined ? { sessionId: r.sessionId, turn: r.turn! } : {}),
      ...(r.prefixGroup !== undefined ? { prefixGroup: r.prefixGroup } : {}),
      scheduledMs: r.scheduledMs,
      startMs: r.sentMs,
      promptTokens: r.numPromptTokens,
      maxTokens: r.maxTokens,
    };
    if (r.failure !== undefined || r.firstTokenMs === undefined || r.finishMs === undefined) {
      return {
        ...base,
        status: "failed",
        error: { kind: "http", status: 400, message: r.failure ?? "never finished" },
        elapsedMs: (r.finishMs ?? r.sentMs) - r.sentMs,
        chunksReceived: 0,
      };
    }
    return {
      ...base,
      status: "ok",
      ttftMs: r.firstTokenMs - r.sentMs,
      itlMs: r.itlMs,
      e2eMs: r.finishMs - r.sentMs,
      outputTokens: r.numOutputTokens,
      outputTokensFrom: "usage",
      serverPromptTokens: r.numPromptTokens,
      cachedPromptTokens: r.numCachedPromptTokens,
      finishReason: "length",
      outputChars: 0,
    };
  });
}

/** What the replicas' /metrics would have said over the run (counters only; no histograms). */
export function simServerMetrics(result: FleetResult): ServerMetrics {
  let queries = 0;
  let hits = 0;
  for (const r of result.replicas) {
    queries += r.prefixCache.numQueriedTokens;
    hits += r.prefixCache.numHitTokens;
  }
  const ok = result.requests.filter((r) => r.failure === undefined);
  return {
    prefixCacheQueries: queries,
    prefixCacheHits: hits,
    prefixCacheHitRate: queries === 0 ? null : hits / queries,
    preemptions: result.replicas.reduce((s, r) => s + r.numPreemptions, 0),
    promptTokens: ok.reduce((s, r) => s + r.numPromptTokens, 0),
    generationTokens: ok.reduce((s, r) => s + r.numOutputTokens, 0),
    ttftMs: null,
    e2eMs: null,
    queueMs: null,
  };
}
