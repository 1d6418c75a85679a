/**
 * `flotilla bench` against a REAL `flotilla serve` (stories260K) on 127.0.0.1: counts, token
 * lengths, the server's own counters, client TTFT against the server's TTFT histogram, prefix
 * sharing reproduced from a Mooncake-style trace, and a failed request counted.
 *
 * Needs the built CLI (`npm run build`) with the `serve` command; skipped, with a note, when
 * `node bin/flotilla.js serve --help` does not work.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OkRecord } from "../../src/bench/client/record.js";
import type { RunSummary } from "../../src/bench/report/summary.js";
import { runBench, type BenchIo } from "../../src/bench/run/bench.js";
import type { BenchConfig } from "../../src/bench/run/config.js";
import { parseMooncakeJsonl } from "../../src/bench/workload/index.js";
import { CLI, STORIES_260K, tempDir } from "../helpers/paths.js";

const serveAvailable = spawnSync(process.execPath, [CLI, "serve", "--help"], { encoding: "utf8", timeout: 30_000 }).status === 0;
if (!serveAvailable) console.warn("serve-e2e: `node bin/flotilla.js serve --help` failed (run `npm run build`); skipping the tests against a real server");

const quiet: BenchIo = { log: () => {}, progress: () => {}, progressDone: () => {} };
const tmp = tempDir("flotilla-bench-e2e-");
let server: ChildProcess | null = null;
let baseUrl = "";

async function startServe(): Promise<void> {
  const proc = spawn(process.execPath, [CLI, "serve", "--model", STORIES_260K, "--port", "0", "--block-size", "16"], { stdio: ["ignore", "ignore", "pipe"] });
  server = proc;
  let log = "";
  baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`flotilla serve did not start:\n${log}`)), 30_000);
    proc.stderr!.on("data", (d: Buffer) => {
      log += d.toString();
      const m = /listening on (http:\/\/[^\s)]+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    proc.on("exit", (code) => reject(new Error(`flotilla serve exited (${code}):\n${log}`)));
  });
}

function config(over: Partial<BenchConfig>): BenchConfig {
  return {
    baseUrl,
    endpoint: "completions",
    dataset: { kind: "random", params: { inputLen: 48, outputLen: 12, rangeRatio: 0, prefixLen: 0 } },
    seed: 3,
    numRequests: 16,
    durationMs: null,
    requestRate: Infinity,
    burstiness: 1,
    timeScale: 1,
    sweep: null,
    maxConcurrency: null,
    ignoreEos: true,
    temperature: 0,
    extraBody: {},
    requestTimeoutMs: 60_000,
    slo: null,
    outDir: join(tmp.dir, "run"),
    checkFirst: true,
    sweepPauseMs: 0,
    ...over,
  };
}

describe.skipIf(!serveAvailable)("flotilla bench against a real flotilla serve", () => {
  beforeAll(startServe, 60_000);
  afterAll(() => {
    server?.kill("SIGTERM");
    tmp.cleanup();
  });

  it("sends exact prompt lengths, gets exactly max_tokens with ignore_eos, and agrees with the server's counters", async () => {
    const { summary, runs } = await runBench(config({ outDir: join(tmp.dir, "random"), maxConcurrency: 1 }), quiet);
    const s = summary as RunSummary;
    expect(s.target.tokenizer).toBe("server");
    expect(s.target.promptFormat).toBe("ids");
    expect(s.metrics.requests).toMatchObject({ sent: 16, completed: 16, failed: 0 });
    const records = runs[0]!.records as OkRecord[];
    for (const r of records) {
      // Token-id prompts get no BOS: the server counts exactly what was sent.
      expect(r).toMatchObject({ status: "ok", promptTokens: 48, serverPromptTokens: 48, outputTokens: 12, outputTokensFrom: "usage", finishReason: "length" });
      expect(r.itlMs.length).toBeGreaterThan(0);
      expect(r.itlMs.length).toBeLessThanOrEqual(11);
    }
    expect(s.server).not.toBeNull();
    expect(s.server!.promptTokens).toBe(16 * 48);
    expect(s.server!.generationTokens).toBe(16 * 12);
    expect(s.server!.preemptions).toBe(0);
    // Client TTFT = server TTFT + HTTP and event-loop time on both sides. One request at a time,
    // so no queueing hides in either: the client's mean is never below the server's (1 ms for
    // clock granularity) and at most 15 ms + 30% above it.
    const server = s.server!.ttftMs!;
    expect(server.count).toBe(16);
    const client = s.metrics.latencyMs.ttft!.mean;
    expect(client).toBeGreaterThanOrEqual(server.mean - 1);
    expect(client - server.mean).toBeLessThanOrEqual(15 + 0.3 * server.mean);
  });

  it("reproduces a trace's prefix sharing on the server and counts the request it refuses", async () => {
    // Mooncake-style rows, 32-token blocks: rows 1 and 2 repeat row 0's first block; row 3 is
    // longer than the model's 2048-token context, so the server must refuse it.
    const rows = [
      { timestamp: 0, input_length: 64, output_length: 4, hash_ids: [0, 1] },
      { timestamp: 30, input_length: 64, output_length: 4, hash_ids: [0, 2] },
      { timestamp: 60, input_length: 64, output_length: 4, hash_ids: [0, 1] },
      { timestamp: 90, input_length: 3000, output_length: 4, hash_ids: [] },
      { timestamp: 120, input_length: 40, output_length: 4, hash_ids: [7, 8] },
    ];
    const path = join(tmp.dir, "mini-mooncake.jsonl");
    writeFileSync(path, rows.map((r) => JSON.stringify(r)).join("\n"));
    const { summary, runs } = await runBench(
      config({
        outDir: join(tmp.dir, "trace"),
        numRequests: null,
        requestRate: "trace",
        dataset: { kind: "trace", path, rows: parseMooncakeJsonl(rows.map((r) => JSON.stringify(r)).join("\n")), params: { blockSize: 32 } },
      }),
      quiet,
    );
    const s = summary as RunSummary;
    expect(s.metrics.requests).toMatchObject({ sent: 5, completed: 4, failed: 1, failuresByReason: { "http 400": 1 } });
    const byIndex = new Map(runs[0]!.records.map((r) => [r.index, r]));
    expect(byIndex.get(3)).toMatchObject({ status: "failed", promptTokens: 3000, error: { kind: "http", status: 400 } });
    // Sent 30 ms apart, as the trace says.
    expect(byIndex.get(4)!.scheduledMs).toBe(120);
    expect(byIndex.get(4)!.startMs).toBeGreaterThanOrEqual(119);
    // Row 1 shares row 0's first 32-token block, row 2 all of row 0's 64 tokens; the server
    // reuses whole 16-token blocks it has computed, so both hit and row 2 hits more.
    const cached = (i: number) => (byIndex.get(i) as OkRecord).cachedPromptTokens ?? 0;
    expect(cached(0)).toBe(0);
    expect(cached(1)).toBeGreaterThanOrEqual(32);
    expect(cached(2)).toBeGreaterThan(cached(1));
    expect(cached(4)).toBe(0);
    expect(s.server!.prefixCacheHits).toBeGreaterThanOrEqual(cached(1) + cached(2));
    expect(s.server!.prefixCacheHitRate).toBeGreaterThan(0);
  });

  it("runs multi-turn chat with text prompts made exact by the server's /tokenize", async () => {
    const { summary, runs } = await runBench(
      config({
        endpoint: "chat",
        outDir: join(tmp.dir, "chat"),
        numRequests: null,
        dataset: { kind: "multi-turn", params: { numConversations: 2, turnsPerConversation: 2, userLen: 16, outputLen: 4, systemLen: 0, thinkTimeMs: 0 } },
      }),
      quiet,
    );
    const s = summary as RunSummary;
    expect(s.target.promptFormat).toBe("text");
    expect(s.inexactPrompts).toBe(0);
    expect(s.metrics.requests).toMatchObject({ sent: 4, completed: 4 });
    for (const r of runs[0]!.records as OkRecord[]) {
      expect(r.promptTokens).toBe(r.turn === 0 ? 16 : 36);
      // The chat template adds its own tokens around the content.
      expect(r.serverPromptTokens!).toBeGreaterThan(r.promptTokens);
      expect(r.outputTokens).toBe(4);
    }
  });
});
