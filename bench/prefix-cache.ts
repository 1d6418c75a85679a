/**
 * Issue-3 measurement: `flotilla generate --prompts-file` on a random model at the stories110M
 * shape, 64 requests sharing a ~512-token system prompt, prefix caching on vs off, batched vs one
 * request at a time. Runs the real CLI and reads its --stats line.
 * Usage: npm run bench:prefix [-- --requests 64 --max-tokens 16 --backend native]
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { GgufFile } from "../src/engine/model/gguf/reader.js";
import { writeRandomModel } from "../src/engine/model/testing/random-model.js";
import { GgmlType } from "../src/engine/quant/ggml-types.js";
import { loadTokenizer } from "../src/engine/tokenizer/index.js";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const NUM_REQUESTS = Number(arg("requests", "64"));
const MAX_TOKENS = Number(arg("max-tokens", "16"));
const EXTRA = process.argv.includes("--backend") ? ["--backend", arg("backend", "ref")] : [];
const ROOT = resolve(import.meta.dirname, "..");
const VOCAB = resolve(ROOT, "../shared/models/vocab/ggml-vocab-llama-spm.gguf");
const dir = join(tmpdir(), "flotilla-bench-prefix");
mkdirSync(dir, { recursive: true });
const modelPath = join(dir, "stories110M-shape-Q8_0.gguf");
if (!existsSync(modelPath)) {
  process.stderr.write(`writing ${modelPath} ...\n`);
  writeRandomModel(modelPath, { architecture: "llama", dim: 768, numLayers: 12, numHeads: 12, numKvHeads: 12, ffnDim: 2048, weightType: GgmlType.Q8_0, vocabFrom: VOCAB, contextLength: 1024, seed: 1 });
}

// A ~512-token system prompt of plain English, then a short distinct question per request.
const f = GgufFile.open(VOCAB);
const tok = loadTokenizer(f);
f.close();
const sentences = [
  "You are a helpful assistant for a small bakery in a quiet town.",
  "Answer questions about bread, cakes, opening hours and prices in a friendly way.",
  "The bakery opens at seven in the morning and closes at six in the evening.",
  "Sourdough loaves cost five dollars and rye bread costs four dollars.",
  "Cakes must be ordered two days in advance for birthdays and weddings.",
];
let system = "";
for (let i = 0; tok.encode(system, { addSpecial: false }).length < 512; i++) system += `${sentences[i % sentences.length]} `;
const systemTokens = tok.encode(system, { addSpecial: true }).length;
const prompts = Array.from({ length: NUM_REQUESTS }, (_, i) => JSON.stringify({ prompt: `${system}Question ${i + 1}: what should I buy for ${i + 2} guests?`, max_tokens: MAX_TOKENS, temperature: 0, ignore_eos: true }));
const promptsFile = join(dir, "prompts.jsonl");
writeFileSync(promptsFile, `${prompts.join("\n")}\n`);

interface Stats { requests: number; prompt_tokens: number; generated_tokens: number; elapsed_ms: number; generated_tokens_per_s: number; total_tokens_per_s: number; prefix_cache_hit_rate: number; preemptions: number; backend: string }
const rows: Array<{ name: string; stats: Stats }> = [];
for (const [name, flags] of [
  ["batched, prefix caching on", ["--max-num-seqs", "64"]],
  ["batched, prefix caching off", ["--max-num-seqs", "64", "--no-prefix-caching"]],
  ["one at a time, prefix caching on", ["--max-num-seqs", "1"]],
  ["one at a time, prefix caching off", ["--max-num-seqs", "1", "--no-prefix-caching"]],
] as const) {
  process.stderr.write(`running: ${name} ...\n`);
  const r = spawnSync(process.execPath, [join(ROOT, "bin/flotilla.js"), "generate", "--model", modelPath, "--prompts-file", promptsFile, "--stats", "--max-batched-tokens", "512", ...flags, ...EXTRA], { encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`flotilla generate failed: ${r.stderr}`);
  rows.push({ name, stats: JSON.parse(r.stderr.trim().split("\n").pop()!) as Stats });
}

console.log(`\n${NUM_REQUESTS} requests, system prompt ${systemTokens} tokens, ${MAX_TOKENS} output tokens each, stories110M shape (Q8_0), Llama-2 vocabulary\n`);
console.log("| configuration | elapsed s | total tok/s | generated tok/s | prefix-cache hit rate | preemptions |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
for (const { name, stats } of rows) {
  console.log(`| ${name} | ${(stats.elapsed_ms / 1000).toFixed(1)} | ${stats.total_tokens_per_s.toFixed(1)} | ${stats.generated_tokens_per_s.toFixed(1)} | ${(stats.prefix_cache_hit_rate * 100).toFixed(1)}% | ${stats.preemptions} |`);
}
