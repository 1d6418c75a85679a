import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { closeConnection, type Connection, fetchText, openConnection } from "../client/http.js";
import { defaultPromptFormat, type PreparedRequest, prepareIds, prepareText } from "../client/prepare.js";
import type { RequestRecord } from "../client/record.js";
import { streamRequest } from "../client/stream-request.js";
import { LocalTokenizer, ServerTokenizer, type TargetTokenizer } from "../client/target-tokenizer.js";
import { requestBody, type SamplingOptions } from "../client/wire.js";
import { type PromScrape, parsePrometheus } from "../metrics/prometheus.js";
import { runMetrics } from "../metrics/run-metrics.js";
import { serverMetricsDelta } from "../metrics/server-metrics.js";
import { writeHtmlReport } from "../report/html.js";
import { writeRequests, writeSummary } from "../report/files.js";
import { type RunSummary, SUMMARY_SCHEMA, type SweepSummary, type TargetInfo, type WorkloadInfo } from "../report/summary.js";
import { type ArrivalProcess, rateArrivals } from "../workload/arrivals.js";
import { describeDataset, workloadItems } from "../workload/spec.js";
import { POOL_CORPUS, tokenPool } from "../workload/token-pool.js";
import { type BenchConfig, datasetSize } from "./config.js";
import { runRequests } from "./runner.js";

/** Where the benchmark reports what it is doing; the CLI prints, tests collect. */
export interface BenchIo {
  log(line: string): void;
  /** done of total (null when unknown) for the phase named by `label`. */
  progress(label: string, done: number, total: number | null): void;
  progressDone(): void;
}

export interface BenchRun {
  readonly summary: RunSummary;
  readonly records: readonly RequestRecord[];
  readonly dir: string;
}

export interface BenchResult {
  readonly summary: RunSummary | SweepSummary;
  readonly runs: readonly BenchRun[];
}

/**
 * `flotilla bench`: resolves the model and the target's tokenizer, builds the workload, and runs
 * it once (or once per `--sweep` rate), scraping /metrics around each run. Writes summary.json,
 * requests.jsonl and report.html into `cfg.outDir` (a sweep: one folder per rate as well).
 */
export async function runBench(cfg: BenchConfig, io: BenchIo): Promise<BenchResult> {
  const maxSockets = cfg.maxConcurrency ?? Infinity;
  const conn = openConnection(cfg.baseUrl, { maxSockets, ...(cfg.apiKey ? { apiKey: cfg.apiKey } : {}) });
  try {
    const model = cfg.model ?? (await firstModel(conn));
    const tok = await resolveTokenizer(conn, model, cfg.tokenizerPath);
    const pool = tokenPool(await tok.encode(POOL_CORPUS), tok.specialIds);
    const promptFormat = cfg.promptFormat ?? defaultPromptFormat(cfg.endpoint);
    if (cfg.endpoint === "chat" && promptFormat === "ids") throw new Error("--prompt-format ids needs --endpoint completions (chat takes text)");
    io.log(`target ${cfg.baseUrl} model ${model}, tokenizer: ${tok.source}, ${pool.length} pool tokens, prompts as ${promptFormat}`);
    const target: TargetInfo = { baseUrl: cfg.baseUrl, endpoint: cfg.endpoint, model, tokenizer: tok.source, promptFormat };
    const workload = workloadInfo(cfg);
    const sampling: SamplingOptions = { model, temperature: cfg.temperature, ignoreEos: cfg.ignoreEos, extraBody: cfg.extraBody };
    if (cfg.checkFirst) await checkRequest(conn, cfg, sampling, pool);
    const label = cfg.label ?? model;
    const startedAt = new Date().toISOString();

    const rates: Array<number | "trace"> = cfg.sweep ? [...cfg.sweep] : [cfg.requestRate];
    const runs: BenchRun[] = [];
    for (const [i, rate] of rates.entries()) {
      if (i > 0 && cfg.sweepPauseMs > 0) await new Promise((r) => setTimeout(r, cfg.sweepPauseMs));
      const arrivals: ArrivalProcess = rate === "trace" ? { kind: "trace", timeScale: cfg.timeScale } : rateArrivals(rate, cfg.burstiness);
      const dir = cfg.sweep ? join(cfg.outDir, `rate-${rate === Infinity ? "inf" : rate}`) : cfg.outDir;
      if (cfg.sweep) io.log(`sweep point ${i + 1}/${rates.length}: ${rate === Infinity ? "all at once" : `${rate} req/s`}`);
      const run = await runOnce(conn, cfg, { arrivals, rate, pool, tok, promptFormat, sampling, target, workload, label: cfg.sweep ? `${label} @ ${rate} req/s` : label, dir }, io);
      runs.push(run);
    }
    if (!cfg.sweep) {
      writeHtmlReport(cfg.outDir, [{ summary: runs[0]!.summary, records: runs[0]!.records }]);
      return { summary: runs[0]!.summary, runs };
    }
    const sweep: SweepSummary = {
      schema: SUMMARY_SCHEMA,
      kind: "sweep",
      label,
      startedAt,
      target,
      workload,
      points: runs.map((r) => ({ dir: r.dir.slice(cfg.outDir.length).replace(/^[\\/]/, ""), summary: r.summary })),
    };
    writeSummary(cfg.outDir, sweep);
    writeHtmlReport(cfg.outDir, [{ summary: sweep, records: [] }]);
    return { summary: sweep, runs };
  } finally {
    closeConnection(conn);
  }
}

interface RunContext {
  readonly arrivals: ArrivalProcess;
  readonly rate: number | "trace";
  readonly pool: readonly number[];
  readonly tok: TargetTokenizer;
  readonly promptFormat: "ids" | "text";
  readonly sampling: SamplingOptions;
  readonly target: TargetInfo;
  readonly workload: WorkloadInfo;
  readonly label: string;
  readonly dir: string;
}

async function runOnce(conn: Connection, cfg: BenchConfig, ctx: RunContext, io: BenchIo): Promise<BenchRun> {
  const spec = {
    dataset: cfg.dataset,
    arrivals: ctx.arrivals,
    seed: cfg.seed,
    limits: { ...(cfg.numRequests !== null ? { numRequests: cfg.numRequests } : {}), ...(cfg.durationMs !== null ? { durationMs: cfg.durationMs } : {}) },
  };
  const size = datasetSize(cfg.dataset);
  const total = size === null ? cfg.numRequests : Math.min(size, cfg.numRequests ?? Infinity);
  let requests: Iterable<PreparedRequest>;
  let inexact = 0;
  if (ctx.promptFormat === "ids") {
    requests = prepareIds(workloadItems(spec, ctx.pool));
  } else {
    const prepared = await prepareText(workloadItems(spec, ctx.pool), cfg.endpoint, ctx.tok, (done) => io.progress("preparing prompts", done, total));
    io.progressDone();
    requests = prepared.requests;
    inexact = prepared.inexactMessages;
    if (inexact > 0) io.log(`warning: ${inexact} prompt texts could not be made exactly as long as asked; their real token counts are used`);
  }

  const before = await scrape(conn);
  const startedAt = new Date().toISOString();
  const result = await runRequests(requests, {
    conn,
    endpoint: cfg.endpoint,
    sampling: ctx.sampling,
    requestTimeoutMs: cfg.requestTimeoutMs,
    maxConcurrency: cfg.maxConcurrency ?? Infinity,
    ...(cfg.durationMs !== null ? { durationMs: cfg.durationMs } : {}),
    countUnsent: total !== null,
    now: () => performance.now(),
    onRecord: (_r, done) => io.progress("benchmark", done, total),
  });
  io.progressDone();
  const after = await scrape(conn);

  let serverNote: string | null = null;
  let server = null;
  if (after.scrape) {
    server = serverMetricsDelta(before.scrape, after.scrape);
    if (server.prefixCacheQueries === null && server.preemptions === null && server.ttftMs === null) serverNote = "the server's /metrics has none of vLLM's metric names";
  } else {
    serverNote = after.error;
  }
  const summary: RunSummary = {
    schema: SUMMARY_SCHEMA,
    kind: "run",
    label: ctx.label,
    startedAt,
    target: ctx.target,
    workload: ctx.workload,
    arrivals: ctx.arrivals,
    requestRate: ctx.rate === "trace" ? "trace" : ctx.rate === Infinity ? "inf" : ctx.rate,
    metrics: runMetrics(result.records, result.durationMs, result.notSent, cfg.slo),
    server,
    serverNote,
    inexactPrompts: inexact,
  };
  writeSummary(ctx.dir, summary);
  writeRequests(ctx.dir, result.records);
  if (cfg.sweep) writeHtmlReport(ctx.dir, [{ summary, records: result.records }]);
  return { summary, records: result.records, dir: ctx.dir };
}

async function firstModel(conn: Connection): Promise<string> {
  const res = await fetchText(conn, "GET", "v1/models").catch((e: unknown) => {
    throw new Error(`cannot reach ${conn.baseUrl.href}: ${(e as Error).message}`);
  });
  if (res.status !== 200) throw new Error(`GET /v1/models answered ${res.status}; pass --model NAME`);
  const body = JSON.parse(res.text) as { data?: Array<{ id?: unknown }> };
  const id = body.data?.[0]?.id;
  if (typeof id !== "string") throw new Error("GET /v1/models listed no model; pass --model NAME");
  return id;
}

/** The server's /tokenize when it has one, else the local GGUF's tokenizer. */
async function resolveTokenizer(conn: Connection, model: string, localPath: string | undefined): Promise<TargetTokenizer> {
  const server = await ServerTokenizer.probe(conn, model);
  if (server) return server;
  if (localPath !== undefined) return new LocalTokenizer(localPath);
  throw new Error("prompt lengths must be exact in the target's tokens, but the server has no vLLM-style POST /tokenize: pass --tokenizer PATH (a GGUF with the target's vocabulary)");
}

async function scrape(conn: Connection): Promise<{ scrape: PromScrape | null; error: string }> {
  try {
    const res = await fetchText(conn, "GET", "metrics");
    if (res.status !== 200) return { scrape: null, error: `GET /metrics answered ${res.status}` };
    return { scrape: parsePrometheus(res.text), error: "" };
  } catch (e) {
    return { scrape: null, error: `GET /metrics failed: ${(e as Error).message}` };
  }
}

/** One short request before anything is measured, so a wrong model name or URL fails fast and clearly. */
async function checkRequest(conn: Connection, cfg: BenchConfig, sampling: SamplingOptions, pool: readonly number[]): Promise<void> {
  const ids = pool.slice(0, 8);
  const prompt =
    cfg.endpoint === "chat" ? ({ kind: "messages", messages: [{ role: "user", content: "Hello" }] } as const) : ({ kind: "ids", tokenIds: ids } as const);
  const body = requestBody(cfg.endpoint, cfg.promptFormat === "text" && cfg.endpoint === "completions" ? { kind: "text", text: "Hello" } : prompt, 2, sampling);
  const out = await streamRequest(conn, body, { endpoint: cfg.endpoint, timeoutMs: cfg.requestTimeoutMs, now: () => performance.now() });
  if (out.status === "failed") throw new Error(`the check request failed (${out.error.kind}): ${out.error.message}`);
}

function workloadInfo(cfg: BenchConfig): WorkloadInfo {
  const d = cfg.dataset;
  const params: Record<string, unknown> = d.kind === "trace" ? { path: d.path, rows: d.rows.length, ...d.params } : { ...d.params };
  return {
    dataset: describeDataset(d),
    datasetKind: d.kind,
    datasetParams: params,
    seed: cfg.seed,
    numRequests: cfg.numRequests,
    durationS: cfg.durationMs === null ? null : cfg.durationMs / 1000,
    maxConcurrency: cfg.maxConcurrency,
    ignoreEos: cfg.ignoreEos,
    temperature: cfg.temperature,
    requestTimeoutS: cfg.requestTimeoutMs / 1000,
  };
}
