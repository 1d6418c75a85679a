/**
 * Whole benchmark runs (runBench and the `flotilla bench` command) against the SSE test fixture:
 * counts, exact prompt lengths on the wire, concurrency limits, conversation order, sweeps,
 * output files and `bench compare`.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RequestRecord } from "../../src/bench/client/record.js";
import { compareDirs } from "../../src/bench/report/compare.js";
import { readRequests, readSummary } from "../../src/bench/report/files.js";
import type { RunSummary, SweepSummary } from "../../src/bench/report/summary.js";
import { runBench, type BenchIo } from "../../src/bench/run/bench.js";
import type { BenchConfig } from "../../src/bench/run/config.js";
import { GgufFile } from "../../src/engine/model/gguf/reader.js";
import { loadTokenizer } from "../../src/engine/tokenizer/index.js";
import { CLI, STORIES_260K, tempDir } from "../helpers/paths.js";
import { type Behavior, type Fixture, startFixture } from "./fixtures/openai-sse-server.js";

const file = GgufFile.open(STORIES_260K);
const tokenizer = loadTokenizer(file);
file.close();

const tmp = tempDir("flotilla-bench-");
let fx: Fixture;
let behavior: (body: Record<string, unknown>) => Behavior = () => ({ kind: "stream", ttftMs: 3, itlMs: 1 });

beforeAll(async () => {
  fx = await startFixture({ tokenizer, behavior: (b) => behavior(b) });
});
afterAll(async () => {
  await fx.close();
  tmp.cleanup();
});

const quiet: BenchIo = { log: () => {}, progress: () => {}, progressDone: () => {} };

function config(over: Partial<BenchConfig>): BenchConfig {
  return {
    baseUrl: fx.url,
    endpoint: "completions",
    dataset: { kind: "random", params: { inputLen: 24, outputLen: 5, rangeRatio: 0, prefixLen: 0 } },
    seed: 1,
    numRequests: 12,
    durationMs: null,
    requestRate: Infinity,
    burstiness: 1,
    timeScale: 1,
    sweep: null,
    maxConcurrency: null,
    ignoreEos: true,
    temperature: 0,
    extraBody: {},
    requestTimeoutMs: 5000,
    slo: null,
    outDir: join(tmp.dir, "run"),
    checkFirst: true,
    sweepPauseMs: 0,
    ...over,
  };
}

function bodiesSince(n: number): Array<Record<string, unknown>> {
  return fx.seen.slice(n).map((s) => s.body);
}

describe("runBench", () => {
  it("sends every request with its exact prompt ids and max_tokens, within --max-concurrency, and writes the outputs", async () => {
    behavior = () => ({ kind: "stream", ttftMs: 8, itlMs: 3 });
    const before = fx.seen.length;
    fx.maxInFlight = 0;
    const outDir = join(tmp.dir, "limited");
    const { summary, runs } = await runBench(
      config({ outDir, maxConcurrency: 3, dataset: { kind: "random", params: { inputLen: 40, outputLen: 6, rangeRatio: 0.5, prefixLen: 0 } }, slo: { ttftMs: 1000 } }),
      quiet,
    );
    expect(summary.kind).toBe("run");
    const s = summary as RunSummary;
    expect(s.metrics.requests).toMatchObject({ sent: 12, completed: 12, failed: 0 });
    expect(fx.maxInFlight).toBe(3);
    expect(s.metrics.concurrency.peak).toBe(3);
    // The check request came first; then the workload, ids on the wire, lengths as recorded.
    const bodies = bodiesSince(before);
    expect(bodies.length).toBe(13);
    const sent = bodies.slice(1);
    const records = runs[0]!.records;
    for (const r of records) {
      const body = sent.find((b) => JSON.stringify(b.prompt) !== undefined && (b.prompt as number[]).length === r.promptTokens && b.max_tokens === r.maxTokens);
      expect(body).toBeDefined();
    }
    expect(sent.every((b) => Array.isArray(b.prompt) && b.ignore_eos === true && b.stream === true)).toBe(true);
    expect(new Set(sent.map((b) => (b.prompt as number[]).length)).size).toBeGreaterThan(3); // range ratio 0.5
    expect(s.metrics.tokens.input).toBe(sent.reduce((a, b) => a + (b.prompt as number[]).length, 0));
    expect(s.metrics.tokens.output).toBe(sent.reduce((a, b) => a + (b.max_tokens as number), 0));
    expect(s.metrics.goodput?.goodRequests).toBe(12);
    // Server-side numbers come from /metrics deltas: the check request is not in them.
    expect(s.server?.ttftMs?.count).toBe(12);
    expect(s.server?.prefixCacheQueries).toBe(s.metrics.tokens.input);
    expect(s.server?.preemptions).toBe(0);
    for (const f of ["summary.json", "requests.jsonl", "report.html"]) expect(existsSync(join(outDir, f))).toBe(true);
    expect(readSummary(outDir)).toEqual(JSON.parse(JSON.stringify(s)));
    const lines = readRequests(outDir);
    expect(lines.length).toBe(12);
    expect(lines.map((l) => l.index).sort((a, b) => a - b)).toEqual([...Array(12).keys()]);
    const html = readFileSync(join(outDir, "report.html"), "utf8");
    expect(html).toContain("TTFT CDF");
    expect(html).toContain("Requests in flight");
    // Self-contained: nothing to fetch when it is opened.
    expect(html).not.toMatch(/<script|<link|\b(src|href)=|@import|url\(/);
  });

  it("counts failed requests with their reasons and never drops them", async () => {
    // Prompts over 30 tokens are refused, one in four requests breaks off mid-stream.
    behavior = (b) => {
      const n = (b.prompt as number[]).length;
      if (n > 30) return { kind: "http-error", status: 400, message: `prompt of ${n} tokens is too long` };
      return n % 4 === 0 ? { kind: "disconnect", afterChunks: 1 } : { kind: "stream", ttftMs: 2, itlMs: 1 };
    };
    const before = fx.seen.length;
    const { summary, runs } = await runBench(
      config({ outDir: join(tmp.dir, "failing"), numRequests: 40, checkFirst: false, dataset: { kind: "random", params: { inputLen: 30, outputLen: 4, rangeRatio: 0.3, prefixLen: 0 } } }),
      quiet,
    );
    const lens = bodiesSince(before).map((b) => (b.prompt as number[]).length);
    const tooLong = lens.filter((n) => n > 30).length;
    const broken = lens.filter((n) => n <= 30 && n % 4 === 0).length;
    expect(tooLong).toBeGreaterThan(0);
    expect(broken).toBeGreaterThan(0);
    const m = (summary as RunSummary).metrics;
    expect(m.requests).toMatchObject({ sent: 40, completed: 40 - tooLong - broken, failed: tooLong + broken });
    expect(m.requests.failuresByReason).toEqual({ "http 400": tooLong, disconnect: broken });
    expect(m.requests.failureExamples["http 400"]).toMatch(/too long/);
    expect(runs[0]!.records.length).toBe(40);
  });

  it("stops sending at --duration and says how many were held back", async () => {
    behavior = () => ({ kind: "stream", ttftMs: 2, itlMs: 1 });
    const { summary, runs } = await runBench(
      config({ outDir: join(tmp.dir, "duration"), numRequests: null, durationMs: 300, requestRate: 100, checkFirst: false }),
      quiet,
    );
    const records = runs[0]!.records;
    expect(records.every((r) => r.startMs < 300 && r.scheduledMs < 300)).toBe(true);
    // Poisson at 100 req/s for 0.3 s: about 30 (the seed fixes the draw).
    expect(records.length).toBeGreaterThan(15);
    expect(records.length).toBeLessThan(50);
    expect((summary as RunSummary).workload.durationS).toBe(0.3);
    // With one slot and 40 ms answers, most of a burst is still waiting when time is up.
    behavior = () => ({ kind: "stream", ttftMs: 40, itlMs: 1 });
    const held = await runBench(config({ outDir: join(tmp.dir, "duration-held"), numRequests: 50, durationMs: 200, maxConcurrency: 1, checkFirst: false }), quiet);
    const m = (held.summary as RunSummary).metrics;
    expect(m.requests.sent).toBeGreaterThanOrEqual(3);
    expect(m.requests.sent).toBeLessThanOrEqual(6);
    expect(m.requests.notSent).toBe(50 - m.requests.sent);
  });

  it("stops with a clear error when the check request fails", async () => {
    behavior = () => ({ kind: "http-error", status: 404, message: "The model `x` does not exist." });
    await expect(runBench(config({ outDir: join(tmp.dir, "nope") }), quiet)).rejects.toThrow(/check request failed \(http\): 404: The model `x` does not exist/);
  });

  it("runs conversations turn after turn over chat, each message exactly as long as asked", async () => {
    behavior = () => ({ kind: "stream", ttftMs: 4, itlMs: 1 });
    const before = fx.seen.length;
    const { runs } = await runBench(
      config({
        endpoint: "chat",
        outDir: join(tmp.dir, "chat"),
        numRequests: null,
        requestRate: 200,
        dataset: { kind: "multi-turn", params: { numConversations: 3, turnsPerConversation: 3, userLen: 12, outputLen: 5, systemLen: 7, thinkTimeMs: 20 } },
      }),
      quiet,
    );
    const records = runs[0]!.records;
    expect(records.length).toBe(9);
    for (const r of records) expect(r.promptTokens).toBe(7 + (r.turn! + 1) * 12 + r.turn! * 5);
    const end = (r: RequestRecord) => r.startMs + (r.status === "ok" ? r.e2eMs : r.elapsedMs);
    for (const r of records.filter((x) => x.turn! > 0)) {
      const prev = records.find((p) => p.sessionId === r.sessionId && p.turn === r.turn! - 1)!;
      expect(r.startMs).toBeGreaterThanOrEqual(end(prev) + 19);
    }
    const bodies = bodiesSince(before).slice(1);
    for (const b of bodies) {
      const messages = b.messages as Array<{ role: string; content: string }>;
      const lens = messages.map((m) => tokenizer.encode(m.content, { addSpecial: false }).length);
      expect(lens[0]).toBe(7);
      expect(lens.slice(1)).toEqual(messages.slice(1).map((m) => (m.role === "user" ? 12 : 5)));
    }
  });

  it("sweeps request rates into one folder per rate and a curve", async () => {
    behavior = () => ({ kind: "stream", ttftMs: 2, itlMs: 1 });
    const outDir = join(tmp.dir, "sweep");
    const { summary } = await runBench(config({ outDir, numRequests: 6, sweep: [50, 200, Infinity] }), quiet);
    const s = summary as SweepSummary;
    expect(s.kind).toBe("sweep");
    expect(s.points.map((p) => [p.dir, p.summary.requestRate])).toEqual([
      ["rate-50", 50],
      ["rate-200", 200],
      ["rate-inf", "inf"],
    ]);
    for (const p of s.points) {
      expect(readSummary(join(outDir, p.dir)).kind).toBe("run");
      expect(readRequests(join(outDir, p.dir)).length).toBe(6);
    }
    expect(readSummary(outDir).kind).toBe("sweep");
    const html = readFileSync(join(outDir, "report.html"), "utf8");
    expect(html).toContain("TTFT vs throughput");
    expect(html).toContain("Achieved vs offered load");
  });

  it("compares runs and sweeps on one report", () => {
    const out = join(tmp.dir, "compare");
    const r = compareDirs([join(tmp.dir, "limited"), join(tmp.dir, "failing"), join(tmp.dir, "sweep")], out);
    const html = readFileSync(r.reportPath, "utf8");
    // Same label (the model name) twice: the folder tells them apart.
    expect(html).toContain(`fixture-model (${join(tmp.dir, "limited")})`);
    expect(html).toContain("Sweep: fixture-model");
    expect(r.text).toContain("Successful requests");
    expect(r.text).toMatch(/200 req\/s/);
  });
});

describe("flotilla bench (the command)", () => {
  const run = promisify(execFile);
  const cli = (...args: string[]) => run(process.execPath, [CLI, "bench", ...args], { timeout: 60_000 });

  it("runs a shared-prefix workload and prints the result table", async () => {
    behavior = () => ({ kind: "stream", ttftMs: 2, itlMs: 1 });
    const out = join(tmp.dir, "cli");
    const { stdout } = await cli(
      "--base-url", fx.url, "--dataset", "shared-prefix", "--gsp-num-groups", "2", "--gsp-prompts-per-group", "4",
      "--gsp-system-prompt-len", "32", "--gsp-question-len", "8", "--gsp-output-len", "3", "--max-concurrency", "1",
      "--slo", "ttft=1000,tpot=100", "--label", "fixture run", "--out", out,
    );
    expect(stdout).toContain("Serving Benchmark Result");
    expect(stdout).toMatch(/Successful requests:\s+8/);
    const s = readSummary(out) as RunSummary;
    expect(s.label).toBe("fixture run");
    // The fixture's toy cache (16-token blocks): each group's first prompt misses, the other
    // three reuse the 32-token system prompt: 6 x 32 of 8 x 40 prompt tokens.
    expect(s.server?.prefixCacheHitRate).toBeCloseTo((6 * 32) / (8 * 40), 12);
    expect(s.metrics.goodput?.goodRequests).toBe(8);
  });

  it("compares result folders", async () => {
    const out = join(tmp.dir, "cli-compare");
    const { stdout } = await cli("compare", join(tmp.dir, "cli"), join(tmp.dir, "limited"), "--out", out);
    expect(stdout).toContain("fixture run");
    expect(existsSync(join(out, "report.html"))).toBe(true);
  });

  it("explains bad flags in one line", async () => {
    await expect(cli("--base-url", fx.url, "--dataset", "sharegpt", "--out", join(tmp.dir, "x"))).rejects.toMatchObject({ stderr: expect.stringMatching(/unknown --dataset "sharegpt"/) });
    await expect(cli("--dataset", "random")).rejects.toMatchObject({ stderr: expect.stringMatching(/--base-url is required/) });
    await expect(cli("--base-url", fx.url, "--slo", "ttft=x")).rejects.toMatchObject({ stderr: expect.stringMatching(/--slo/) });
  });
});
