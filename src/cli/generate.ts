import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { Engine, type EngineRequest, type OutputDelta } from "../engine/engine.js";
import { loadModel, type LoadedModel } from "../engine/model/model.js";
import type { SamplingParams } from "../engine/sampler/index.js";
import { addBackendFlags, backendFromFlags, type BackendFlags } from "./backend-flags.js";
import { addEngineFlags, engineConfigFromFlags, type EngineFlags } from "./engine-flags.js";
import { action, num } from "./errors.js";
import { progressReporter } from "./progress.js";

interface GenerateFlags extends EngineFlags, BackendFlags {
  model: string;
  prompt?: string;
  promptsFile?: string;
  maxTokens: number;
  temperature: number;
  topP: number;
  topK: number;
  minP: number;
  repetitionPenalty: number;
  frequencyPenalty: number;
  presencePenalty: number;
  seed?: number;
  stop?: string[];
  ignoreEos?: boolean;
  stats?: boolean;
}

export function registerGenerate(program: Command): void {
  const cmd = program
    .command("generate")
    .description("generate continuations: one prompt streamed to stdout, or many (--prompts-file) as JSON lines")
    .requiredOption("--model <path>", "GGUF model file")
    .option("--prompt <text>", "prompt text (not echoed)")
    .option("--prompts-file <file>", "JSON lines, each {\"prompt\": ..., optional max_tokens, temperature, top_p, top_k, min_p, seed, stop, priority ...}; all run through one batched engine")
    .option("--max-tokens <n>", "maximum tokens to generate", num("--max-tokens", { int: true, min: 0 }), 128)
    .option("--temperature <t>", "sampling temperature (0 = greedy)", num("--temperature", { min: 0 }), 0.8)
    .option("--top-p <p>", "nucleus sampling mass (1 = off)", num("--top-p", { min: 0, max: 1 }), 0.95)
    .option("--top-k <k>", "keep the k most likely tokens (0 = off)", num("--top-k", { int: true, min: 0 }), 40)
    .option("--min-p <p>", "drop tokens below p x the top probability (0 = off)", num("--min-p", { min: 0, max: 1 }), 0.05)
    .option("--repetition-penalty <r>", "penalty on tokens already seen (1 = off)", num("--repetition-penalty", { min: 0 }), 1)
    .option("--frequency-penalty <f>", "OpenAI frequency penalty", num("--frequency-penalty", { min: -2, max: 2 }), 0)
    .option("--presence-penalty <f>", "OpenAI presence penalty", num("--presence-penalty", { min: -2, max: 2 }), 0)
    .option("--seed <s>", "seed that makes sampling reproducible", num("--seed", { int: true, min: 0 }))
    .option("--stop <text...>", "stop before this text (repeatable)")
    .option("--ignore-eos", "keep generating past end-of-generation tokens")
    .option("--stats", "print timing statistics as one JSON line on stderr");
  addBackendFlags(addEngineFlags(cmd)).action(action(async (flags: GenerateFlags) => runGenerate(flags)));
}

async function runGenerate(flags: GenerateFlags): Promise<void> {
  if ((flags.prompt === undefined) === (flags.promptsFile === undefined)) {
    throw new Error("give exactly one of --prompt TEXT or --prompts-file FILE");
  }
  const jobs = flags.promptsFile !== undefined ? readPromptsFile(flags.promptsFile) : [{ prompt: flags.prompt! } satisfies PromptLine];
  const progress = progressReporter("loading model");
  const { backend, description } = backendFromFlags(flags);
  const model = loadModel(flags.model, { backend, onProgress: (p) => progress(p.loadedBytes, p.totalBytes) });
  progress.done();
  process.stderr.write(`flotilla: ${description}\n`);
  const engine = new Engine(model, engineConfigFromFlags(flags));
  try {
    if (flags.promptsFile !== undefined) await runBatch(engine, model, jobs, flags);
    else await runOne(engine, model, flags.prompt!, flags);
  } finally {
    await engine.shutdown();
  }
}

/** One line of --prompts-file; sampling fields use the OpenAI names. */
interface PromptLine {
  prompt: string;
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  min_p?: number;
  seed?: number;
  stop?: string | string[];
  repetition_penalty?: number;
  frequency_penalty?: number;
  presence_penalty?: number;
  priority?: number;
  ignore_eos?: boolean;
}

const PROMPT_LINE_FIELDS: Record<keyof PromptLine, "string" | "number" | "boolean" | "stop"> = {
  prompt: "string",
  max_tokens: "number",
  temperature: "number",
  top_p: "number",
  top_k: "number",
  min_p: "number",
  seed: "number",
  stop: "stop",
  repetition_penalty: "number",
  frequency_penalty: "number",
  presence_penalty: "number",
  priority: "number",
  ignore_eos: "boolean",
};

function readPromptsFile(path: string): PromptLine[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(`--prompts-file ${path}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : String(e)}`);
  }
  const out: PromptLine[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      throw new Error(`${path}:${i + 1}: not valid JSON`);
    }
    if (typeof obj !== "object" || obj === null || Array.isArray(obj)) throw new Error(`${path}:${i + 1}: expected a JSON object`);
    for (const [k, v] of Object.entries(obj)) {
      const kind = PROMPT_LINE_FIELDS[k as keyof PromptLine];
      if (!kind) throw new Error(`${path}:${i + 1}: unknown field "${k}"`);
      const ok = kind === "stop" ? typeof v === "string" || (Array.isArray(v) && v.every((s) => typeof s === "string")) : typeof v === kind;
      if (!ok) throw new Error(`${path}:${i + 1}: field "${k}" must be ${kind === "stop" ? "a string or an array of strings" : `a ${kind}`}`);
    }
    if (typeof (obj as PromptLine).prompt !== "string") throw new Error(`${path}:${i + 1}: missing "prompt"`);
    out.push(obj as PromptLine);
  });
  if (out.length === 0) throw new Error(`${path}: no prompts`);
  return out;
}

function samplingOf(line: PromptLine, flags: GenerateFlags): Partial<SamplingParams> {
  return {
    temperature: line.temperature ?? flags.temperature,
    topP: line.top_p ?? flags.topP,
    topK: line.top_k ?? flags.topK,
    minP: line.min_p ?? flags.minP,
    repetitionPenalty: line.repetition_penalty ?? flags.repetitionPenalty,
    frequencyPenalty: line.frequency_penalty ?? flags.frequencyPenalty,
    presencePenalty: line.presence_penalty ?? flags.presencePenalty,
    ...(line.seed ?? flags.seed) !== undefined ? { seed: line.seed ?? flags.seed } : {},
  };
}

function requestOf(model: LoadedModel, line: PromptLine, flags: GenerateFlags): EngineRequest {
  const stop = line.stop === undefined ? flags.stop : typeof line.stop === "string" ? [line.stop] : line.stop;
  return {
    promptTokenIds: model.tokenizer.encode(line.prompt, { addSpecial: true, parseSpecial: true }),
    sampling: samplingOf(line, flags),
    maxTokens: line.max_tokens ?? flags.maxTokens,
    ...(stop ? { stop } : {}),
    ignoreEos: line.ignore_eos ?? flags.ignoreEos ?? false,
    ...(line.priority !== undefined ? { priority: line.priority } : {}),
  };
}

/** One prompt: its continuation streams to stdout as it is generated. */
async function runOne(engine: Engine, model: LoadedModel, prompt: string, flags: GenerateFlags): Promise<void> {
  const req = requestOf(model, { prompt }, flags);
  const t0 = performance.now();
  let tFirst: number | null = null;
  let generated = 0;
  if (req.maxTokens !== 0) {
    for await (const d of engine.addRequest(req)) {
      tFirst ??= performance.now();
      generated += d.tokenIds.length;
      if (d.error) throw new Error(d.error);
      process.stdout.write(d.text);
    }
  }
  const tEnd = performance.now();
  if (process.stdout.isTTY) process.stdout.write("\n");
  if (flags.stats) {
    // The first token comes from the prefill step's logits: decode time covers the others.
    const prefillMs = (tFirst ?? tEnd) - t0;
    const decodeMs = tEnd - (tFirst ?? tEnd);
    const stats = {
      prompt_tokens: req.promptTokenIds.length,
      prefill_ms: round(prefillMs),
      generated_tokens: generated,
      decode_ms: round(decodeMs),
      prefill_tokens_per_s: prefillMs > 0 ? round((req.promptTokenIds.length / prefillMs) * 1000) : null,
      decode_tokens_per_s: generated > 1 && decodeMs > 0 ? round(((generated - 1) / decodeMs) * 1000) : null,
      backend: model.transformer.backend.name,
    };
    process.stderr.write(`${JSON.stringify(stats)}\n`);
  }
}

/** Many prompts through one batched engine; one JSON line per request, in input order. */
async function runBatch(engine: Engine, model: LoadedModel, lines: PromptLine[], flags: GenerateFlags): Promise<void> {
  const t0 = performance.now();
  const requests = lines.map((l) => requestOf(model, l, flags));
  let failures = 0;
  const results: Array<Promise<string>> = requests.map(async (req, i) => {
    const deltas: OutputDelta[] = [];
    try {
      if (req.maxTokens !== 0) for await (const d of engine.addRequest({ ...req, id: `line-${i + 1}` })) deltas.push(d);
    } catch (e) {
      // A bad line (prompt too long, bad sampling values) fails alone; the others still run.
      failures++;
      return JSON.stringify({ index: i, error: e instanceof Error ? e.message : String(e) });
    }
    const last = deltas[deltas.length - 1];
    return JSON.stringify({
      index: i,
      text: deltas.map((d) => d.text).join(""),
      token_ids: deltas.flatMap((d) => d.tokenIds),
      finish_reason: last?.finishReason ?? "length",
      prompt_tokens: req.promptTokenIds.length,
      cached_tokens: last?.numCachedTokens ?? 0,
      completion_tokens: last?.numOutputTokens ?? 0,
      ...(last?.error ? { error: last.error } : {}),
    });
  });
  // Print in input order as soon as each line and all lines before it are done.
  for (const r of results) process.stdout.write(`${await r}\n`);
  const elapsedMs = performance.now() - t0;
  if (failures > 0) {
    process.stderr.write(`flotilla: error: ${failures} of ${lines.length} prompts failed (see their "error" fields)\n`);
    process.exitCode = 1;
  }
  if (flags.stats) {
    const counts = engine.tokenCounts;
    const pc = engine.kv.prefixCacheStats;
    process.stderr.write(
      `${JSON.stringify({
        requests: lines.length,
        prompt_tokens: counts.prompt,
        generated_tokens: counts.generation,
        elapsed_ms: round(elapsedMs),
        generated_tokens_per_s: round((counts.generation / elapsedMs) * 1000),
        total_tokens_per_s: round(((counts.prompt + counts.generation) / elapsedMs) * 1000),
        prefix_cache_hit_rate: pc.numQueriedTokens > 0 ? round(pc.numHitTokens / pc.numQueriedTokens) : 0,
        preemptions: engine.numPreemptions,
        backend: model.transformer.backend.name,
      })}\n`,
    );
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
