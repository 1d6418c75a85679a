import type { Command } from "commander";
import { RefBackend } from "../engine/backend/ref/ref-backend.js";
import { generateOne } from "../engine/generate.js";
import { loadModel } from "../engine/model/model.js";
import { randomSeed } from "../engine/sampler/seed.js";
import { SequenceSampler, validateSamplingParams } from "../engine/sampler/index.js";
import { IncrementalDetokenizer } from "../engine/tokenizer/index.js";
import { action, num } from "./errors.js";
import { progressReporter } from "./progress.js";

interface GenerateFlags {
  model: string;
  prompt: string;
  maxTokens: number;
  temperature: number;
  topP: number;
  topK: number;
  minP: number;
  repetitionPenalty: number;
  frequencyPenalty: number;
  presencePenalty: number;
  seed?: number;
  stats?: boolean;
  kvCacheDtype: "f16" | "f32";
}

export function registerGenerate(program: Command): void {
  program
    .command("generate")
    .description("generate a continuation of a prompt and stream it to stdout")
    .requiredOption("--model <path>", "GGUF model file")
    .requiredOption("--prompt <text>", "prompt text (not echoed)")
    .option("--max-tokens <n>", "maximum tokens to generate", num("--max-tokens", { int: true, min: 0 }), 128)
    .option("--temperature <t>", "sampling temperature (0 = greedy)", num("--temperature", { min: 0 }), 0.8)
    .option("--top-p <p>", "nucleus sampling mass (1 = off)", num("--top-p", { min: 0, max: 1 }), 0.95)
    .option("--top-k <k>", "keep the k most likely tokens (0 = off)", num("--top-k", { int: true, min: 0 }), 40)
    .option("--min-p <p>", "drop tokens below p x the top probability (0 = off)", num("--min-p", { min: 0, max: 1 }), 0.05)
    .option("--repetition-penalty <r>", "penalty on tokens already seen (1 = off)", num("--repetition-penalty", { min: 0 }), 1)
    .option("--frequency-penalty <f>", "OpenAI frequency penalty", num("--frequency-penalty", { min: -2, max: 2 }), 0)
    .option("--presence-penalty <f>", "OpenAI presence penalty", num("--presence-penalty", { min: -2, max: 2 }), 0)
    .option("--seed <s>", "seed that makes sampling reproducible", num("--seed", { int: true, min: 0 }))
    .option("--kv-cache-dtype <type>", "KV cache element type: f16 or f32", "f16")
    .option("--stats", "print timing statistics as one JSON line on stderr")
    .action(action(async (flags: GenerateFlags) => runGenerate(flags)));
}

async function runGenerate(flags: GenerateFlags): Promise<void> {
  if (flags.kvCacheDtype !== "f16" && flags.kvCacheDtype !== "f32") {
    throw new Error(`--kv-cache-dtype must be f16 or f32, got '${flags.kvCacheDtype}'`);
  }
  const progress = progressReporter("loading model");
  const model = loadModel(flags.model, { backend: new RefBackend(), onProgress: (p) => progress(p.loadedBytes, p.totalBytes) });
  progress.done();
  const { tokenizer } = model;
  const promptIds = tokenizer.encode(flags.prompt, { addSpecial: true, parseSpecial: true });
  const params = validateSamplingParams(
    {
      temperature: flags.temperature,
      topP: flags.topP,
      topK: flags.topK,
      minP: flags.minP,
      repetitionPenalty: flags.repetitionPenalty,
      frequencyPenalty: flags.frequencyPenalty,
      presencePenalty: flags.presencePenalty,
      seed: flags.seed ?? randomSeed(),
    },
    model.config.vocabSize,
  );
  const sampler = new SequenceSampler(params, model.config.vocabSize, promptIds);
  const detok = new IncrementalDetokenizer(tokenizer, { prefix: promptIds });

  const t0 = performance.now();
  let tPrefilled = t0;
  let generated = 0;
  for (const ev of generateOne(model, promptIds, (logits) => sampler.sample(logits), { maxTokens: flags.maxTokens, kvDtype: flags.kvCacheDtype })) {
    if (ev.kind === "prefilled") tPrefilled = performance.now();
    else if (ev.kind === "token") {
      generated++;
      if (!tokenizer.isEog(ev.sample.tokenId)) process.stdout.write(detok.push(ev.sample.tokenId));
    }
  }
  process.stdout.write(detok.flush());
  const tEnd = performance.now();
  if (process.stdout.isTTY) process.stdout.write("\n");
  if (flags.stats) {
    const prefillMs = tPrefilled - t0;
    // The first token comes from the prefill's logits: decode time covers the other tokens.
    const decodeMs = tEnd - tPrefilled;
    const stats = {
      prompt_tokens: promptIds.length,
      prefill_ms: round(prefillMs),
      generated_tokens: generated,
      decode_ms: round(decodeMs),
      prefill_tokens_per_s: round((promptIds.length / prefillMs) * 1000),
      decode_tokens_per_s: generated > 1 ? round(((generated - 1) / decodeMs) * 1000) : null,
      backend: model.transformer.backend.name,
    };
    process.stderr.write(`${JSON.stringify(stats)}\n`);
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
