import { type Command, InvalidArgumentError, Option } from "commander";
import type { PromptFormat } from "../bench/client/prepare.js";
import type { EndpointKind } from "../bench/client/wire.js";
import { parseSlo } from "../bench/metrics/request-metrics.js";
import { compareDirs } from "../bench/report/compare.js";
import { formatRunTable, formatSweepTable } from "../bench/report/table.js";
import type { BenchConfig } from "../bench/run/config.js";
import { type BenchIo, runBench } from "../bench/run/bench.js";
import { DEFAULT_MULTI_TURN } from "../bench/workload/multi-turn.js";
import { DEFAULT_RANDOM } from "../bench/workload/random.js";
import { DEFAULT_SHARED_PREFIX } from "../bench/workload/shared-prefix.js";
import type { DatasetSpec } from "../bench/workload/spec.js";
import { readTraceFile } from "../bench/workload/traces/read.js";
import { DEFAULT_TRACE } from "../bench/workload/traces/trace-dataset.js";
import { action, num } from "./errors.js";

/** Workload flags, shared with `flotilla sim` (which reads the same datasets and arrivals). */
export interface WorkloadFlags {
  dataset: string;
  randomInputLen: number;
  randomOutputLen: number;
  randomRangeRatio: number;
  randomPrefixLen: number;
  gspNumGroups: number;
  gspPromptsPerGroup: number;
  gspSystemPromptLen: number;
  gspQuestionLen: number;
  gspOutputLen: number;
  mtConversations: number;
  mtTurns: number;
  mtUserLen: number;
  mtOutputLen: number;
  mtSystemLen: number;
  mtThinkTimeMs: number;
  traceBlockSize: number;
  maxPromptTokens?: number;
  maxOutputTokens?: number;
  requestRate?: number;
  burstiness: number;
  timeScale: number;
  numRequests?: number;
  duration?: number;
  seed: number;
}

interface BenchFlags extends WorkloadFlags {
  baseUrl?: string;
  model?: string;
  endpoint: EndpointKind;
  apiKey?: string;
  tokenizer?: string;
  promptFormat?: PromptFormat;
  maxConcurrency?: number;
  ignoreEos?: boolean;
  temperature: number;
  extraBody?: Record<string, unknown>;
  requestTimeout: number;
  slo?: string;
  sweep?: number[];
  sweepPause: number;
  label?: string;
  out: string;
  check: boolean;
}

const int = (name: string, min = 0) => num(name, { int: true, min });

function rate(value: string): number {
  if (value.trim().toLowerCase() === "inf") return Infinity;
  const v = Number(value);
  if (!(v > 0) || !Number.isFinite(v)) throw new InvalidArgumentError("--request-rate must be a number > 0 or inf.");
  return v;
}

function rateList(value: string): number[] {
  const rates = value.split(",").map((s) => rate(s));
  if (rates.length === 0) throw new InvalidArgumentError("--sweep needs rates, e.g. 1,2,4,8");
  return rates;
}

function jsonObject(value: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError("--extra-body must be a JSON object.");
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new InvalidArgumentError("--extra-body must be a JSON object.");
  return v as Record<string, unknown>;
}

/** Adds the dataset and arrival flags (the same in `flotilla sim`). */
export function addWorkloadFlags(cmd: Command): Command {
  return cmd
    .option("--dataset <name>", "random | shared-prefix | multi-turn | trace:PATH (Azure CSV, Mooncake JSONL, BurstGPT CSV)", "random")
    .option("--random-input-len <n>", "random: mean prompt tokens", int("--random-input-len", 1), DEFAULT_RANDOM.inputLen)
    .option("--random-output-len <n>", "random: mean output tokens", int("--random-output-len", 1), DEFAULT_RANDOM.outputLen)
    .option("--random-range-ratio <r>", "random: lengths uniform in [len x (1-r), len x (1+r)], as vLLM", num("--random-range-ratio", { min: 0, max: 0.999 }), DEFAULT_RANDOM.rangeRatio)
    .option("--random-prefix-len <n>", "random: tokens of one prefix shared by every prompt", int("--random-prefix-len"), DEFAULT_RANDOM.prefixLen)
    .option("--gsp-num-groups <n>", "shared-prefix: groups (system prompts)", int("--gsp-num-groups", 1), DEFAULT_SHARED_PREFIX.numGroups)
    .option("--gsp-prompts-per-group <n>", "shared-prefix: prompts per group", int("--gsp-prompts-per-group", 1), DEFAULT_SHARED_PREFIX.promptsPerGroup)
    .option("--gsp-system-prompt-len <n>", "shared-prefix: system prompt tokens", int("--gsp-system-prompt-len"), DEFAULT_SHARED_PREFIX.systemPromptLen)
    .option("--gsp-question-len <n>", "shared-prefix: question tokens", int("--gsp-question-len"), DEFAULT_SHARED_PREFIX.questionLen)
    .option("--gsp-output-len <n>", "shared-prefix: output tokens", int("--gsp-output-len", 1), DEFAULT_SHARED_PREFIX.outputLen)
    .option("--mt-conversations <n>", "multi-turn: conversations", int("--mt-conversations", 1), DEFAULT_MULTI_TURN.numConversations)
    .option("--mt-turns <n>", "multi-turn: turns per conversation", int("--mt-turns", 1), DEFAULT_MULTI_TURN.turnsPerConversation)
    .option("--mt-user-len <n>", "multi-turn: tokens per user message", int("--mt-user-len", 1), DEFAULT_MULTI_TURN.userLen)
    .option("--mt-output-len <n>", "multi-turn: output tokens per turn", int("--mt-output-len", 1), DEFAULT_MULTI_TURN.outputLen)
    .option("--mt-system-len <n>", "multi-turn: system prompt tokens per conversation", int("--mt-system-len"), DEFAULT_MULTI_TURN.systemLen)
    .option("--mt-think-time-ms <ms>", "multi-turn: pause between an answer and the next question", num("--mt-think-time-ms", { min: 0 }), DEFAULT_MULTI_TURN.thinkTimeMs)
    .option("--trace-block-size <n>", "trace: tokens per Mooncake hash id", int("--trace-block-size", 1), DEFAULT_TRACE.blockSize)
    .option("--max-prompt-tokens <n>", "clip trace prompts to this many tokens (small models)", int("--max-prompt-tokens", 1))
    .option("--max-output-tokens <n>", "clip trace outputs to this many tokens", int("--max-output-tokens", 1))
    .option("--request-rate <r>", "requests/s (Poisson), or inf = all at once (default; trace datasets: the trace's timestamps)", rate)
    .option("--burstiness <b>", "gamma shape of arrival gaps: 1 = Poisson, < 1 burstier, > 1 more regular", num("--burstiness", { min: 1e-6 }), 1)
    .option("--time-scale <f>", "trace: multiply the trace's times by f (0.5 = twice as fast)", num("--time-scale", { min: 0 }), 1)
    .option("--num-requests <n>", "requests to send, every turn counted (default: random 1000, others the whole dataset)", int("--num-requests", 1))
    .option("--duration <s>", "stop sending new requests after s seconds", num("--duration", { min: 0.001 }))
    .option("--seed <n>", "seed of every random choice of the workload", int("--seed"), 0);
}

/** The dataset of workload flags; reads a trace file if one is named. */
export function datasetFromFlags(f: WorkloadFlags): DatasetSpec {
  const d = f.dataset;
  if (d === "random") {
    return { kind: "random", params: { inputLen: f.randomInputLen, outputLen: f.randomOutputLen, rangeRatio: f.randomRangeRatio, prefixLen: f.randomPrefixLen } };
  }
  if (d === "shared-prefix" || d === "generated-shared-prefix") {
    return {
      kind: "shared-prefix",
      params: { numGroups: f.gspNumGroups, promptsPerGroup: f.gspPromptsPerGroup, systemPromptLen: f.gspSystemPromptLen, questionLen: f.gspQuestionLen, outputLen: f.gspOutputLen },
    };
  }
  if (d === "multi-turn") {
    return {
      kind: "multi-turn",
      params: { numConversations: f.mtConversations, turnsPerConversation: f.mtTurns, userLen: f.mtUserLen, outputLen: f.mtOutputLen, systemLen: f.mtSystemLen, thinkTimeMs: f.mtThinkTimeMs },
    };
  }
  if (d.startsWith("trace:")) {
    const path = d.slice("trace:".length);
    if (path === "") throw new Error("--dataset trace:PATH needs a file");
    const { rows } = readTraceFile(path);
    return {
      kind: "trace",
      path,
      rows,
      params: {
        blockSize: f.traceBlockSize,
        ...(f.maxPromptTokens !== undefined ? { maxPromptTokens: f.maxPromptTokens } : {}),
        ...(f.maxOutputTokens !== undefined ? { maxOutputTokens: f.maxOutputTokens } : {}),
      },
    };
  }
  throw new Error(`unknown --dataset ${JSON.stringify(d)}: use random, shared-prefix, multi-turn or trace:PATH`);
}

/** --num-requests, with the defaults: random 1000 (vLLM's), unbounded under --duration; else the whole dataset. */
export function numRequestsFromFlags(f: WorkloadFlags, dataset: DatasetSpec): number | null {
  if (f.numRequests !== undefined) return f.numRequests;
  if (dataset.kind === "random" && f.duration === undefined) return 1000;
  return null;
}

export function registerBench(program: Command): void {
  const bench = program
    .command("bench")
    .description("benchmark an OpenAI-compatible server: TTFT, TPOT, ITL, E2E, throughput, goodput, with reports")
    .option("--base-url <url>", "the server, e.g. http://127.0.0.1:8000")
    .option("--model <name>", "served model name (default: the first of GET /v1/models)")
    .addOption(new Option("--endpoint <kind>", "API to call").choices(["completions", "chat"]).default("completions"))
    .option("--api-key <key>", "sent as a Bearer token (default: $OPENAI_API_KEY)")
    .option("--tokenizer <path>", "GGUF with the target's vocabulary, used when the server has no /tokenize")
    .addOption(new Option("--prompt-format <f>", "send prompts as token ids or as text (default: ids for completions, text for chat)").choices(["ids", "text"]));
  addWorkloadFlags(bench)
    .option("--max-concurrency <n>", "at most n requests in flight", int("--max-concurrency", 1))
    .option("--ignore-eos", "send ignore_eos: true so every answer has exactly its output length")
    .option("--temperature <t>", "sampling temperature sent", num("--temperature", { min: 0 }), 0)
    .option("--extra-body <json>", "JSON object merged into every request body", jsonObject)
    .option("--request-timeout <s>", "fail a request after s seconds", num("--request-timeout", { min: 0.001 }), 600)
    .option("--slo <list>", "goodput objectives in ms, e.g. ttft=500,tpot=50[,e2e=10000]")
    .option("--sweep <rates>", "run once per request rate, e.g. 1,2,4,8 (inf allowed): the latency-throughput curve", rateList)
    .option("--sweep-pause <s>", "pause between sweep points", num("--sweep-pause", { min: 0 }), 0)
    .option("--label <name>", "name of this run in reports (default: the model name)")
    .option("--out <dir>", "folder for summary.json, requests.jsonl and report.html", "bench-results")
    .option("--no-check", "skip the short request sent first to catch a wrong URL or model")
    .action(action(async (flags: BenchFlags) => runBenchCommand(flags)));

  bench
    .command("compare")
    .description("put two or more `flotilla bench` results on one report")
    .argument("<dirs...>", "result folders (each with summary.json)")
    .option("--out <dir>", "folder for the combined report.html (required)")
    .action(
      action((dirs: string[], flags: { out?: string }) => {
        // Commander hands a trailing `--out` to `bench` itself (its parent), so look there too.
        const out = flags.out ?? (bench.getOptionValueSource("out") === "cli" ? (bench.opts() as { out: string }).out : undefined);
        if (out === undefined) throw new Error("bench compare needs --out DIR");
        const r = compareDirs(dirs, out);
        process.stdout.write(`${r.text}\nreport: ${r.reportPath}\n`);
      }),
    );
}

async function runBenchCommand(f: BenchFlags): Promise<void> {
  if (f.baseUrl === undefined) throw new Error("--base-url is required, e.g. --base-url http://127.0.0.1:8000");
  const dataset = datasetFromFlags(f);
  const numRequests = numRequestsFromFlags(f, dataset);
  const requestRate: number | "trace" = f.requestRate ?? (dataset.kind === "trace" ? "trace" : Infinity);
  if (f.sweep && f.requestRate !== undefined) throw new Error("give --sweep or --request-rate, not both");
  const allAtOnce = f.sweep ? f.sweep.includes(Infinity) : requestRate === Infinity;
  if (numRequests === null && dataset.kind === "random" && allAtOnce && f.maxConcurrency === undefined) {
    throw new Error("an unbounded random workload sent all at once needs --num-requests or --max-concurrency");
  }
  const apiKey = f.apiKey ?? process.env.OPENAI_API_KEY;
  const cfg: BenchConfig = {
    baseUrl: f.baseUrl,
    endpoint: f.endpoint,
    ...(f.model !== undefined ? { model: f.model } : {}),
    ...(apiKey ? { apiKey } : {}),
    ...(f.tokenizer !== undefined ? { tokenizerPath: f.tokenizer } : {}),
    ...(f.promptFormat !== undefined ? { promptFormat: f.promptFormat } : {}),
    dataset,
    seed: f.seed,
    numRequests,
    durationMs: f.duration !== undefined ? f.duration * 1000 : null,
    requestRate,
    burstiness: f.burstiness,
    timeScale: f.timeScale,
    sweep: f.sweep ?? null,
    maxConcurrency: f.maxConcurrency ?? null,
    ignoreEos: f.ignoreEos === true,
    temperature: f.temperature,
    extraBody: f.extraBody ?? {},
    requestTimeoutMs: f.requestTimeout * 1000,
    slo: f.slo !== undefined ? parseSlo(f.slo) : null,
    ...(f.label !== undefined ? { label: f.label } : {}),
    outDir: f.out,
    checkFirst: f.check,
    sweepPauseMs: f.sweepPause * 1000,
  };
  const result = await runBench(cfg, terminalIo());
  const s = result.summary;
  process.stdout.write(`${s.kind === "run" ? formatRunTable(s) : formatSweepTable(s)}\n`);
  const where = s.kind === "run" ? `${f.out}/summary.json, requests.jsonl, report.html` : `${f.out}/summary.json, report.html; each rate in ${f.out}/rate-*/`;
  process.stdout.write(`results: ${where}\n`);
}

/** Log lines and a progress bar on stderr; the bar only when stderr is a terminal. */
function terminalIo(): BenchIo {
  const tty = process.stderr.isTTY === true;
  let shown = false;
  let lastDraw = 0;
  const t0 = Date.now();
  return {
    log(line) {
      process.stderr.write(`${line}\n`);
    },
    progress(label, done, total) {
      if (!tty) return;
      const now = Date.now();
      if (now - lastDraw < 100 && done !== total) return;
      lastDraw = now;
      shown = true;
      const elapsed = `${((now - t0) / 1000).toFixed(1)} s`;
      if (total === null || total <= 0) {
        process.stderr.write(`\r${label}: ${done} done, ${elapsed}   `);
        return;
      }
      const width = 30;
      const frac = Math.min(1, done / total);
      const filled = Math.round(frac * width);
      process.stderr.write(`\r${label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total} ${elapsed}   `);
    },
    progressDone() {
      if (shown) process.stderr.write("\n");
      shown = false;
    },
  };
}
