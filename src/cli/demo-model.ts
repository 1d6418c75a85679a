import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { GgmlType } from "../engine/quant/ggml-types.js";
import { gv, writeGguf } from "../engine/model/gguf/writer.js";
import type { GgufValue } from "../engine/model/gguf/types.js";
import { writeRandomModel } from "../engine/model/testing/random-model.js";

/**
 * The built-in demo model: what `flotilla serve` runs with no `--model`, so the README's first
 * command works on a fresh machine with no network and no model files.
 *
 * It is a tiny Llama (2 layers, dim 64) with random weights, so its output is gibberish: it
 * exercises the whole server (tokenizer, chat template, batching, streaming, metrics), not a
 * language model. Everything is generated here, deterministically, by the project's own GGUF
 * writer: a SentencePiece vocabulary (byte fallback, so any text round-trips; common English
 * words as pieces; ChatML control tokens and template), then random weights over it. The file
 * name carries a version: change it whenever the generator's output changes.
 */
export const DEMO_MODEL_NAME = "flotilla-demo";
const DEMO_FILE = "flotilla-demo-v1.gguf";
const DEMO_SEED = 20240601;

const CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

const WORDS = (
  "the of and to a in is it you that he was for on are with as I his they be at one have this from or had by " +
  "word but what some we can out other were all there when up use your how said an each she which do their time " +
  "if will way about many then them write would like so these her long make thing see him two has look more day " +
  "could go come did number sound no most people my over know water than call first who may down side been now " +
  "find any new work part take get place made live where after back little only round man year came show every " +
  "good me give our under name very through just form sentence great think say help low line differ turn cause " +
  "much mean before move right boy old too same tell does set three want air well also play small end put home " +
  "read hand port large spell add even land here must big high such follow act why ask men change went light kind " +
  "off need house picture try us again animal point mother world near build self earth father head stand own page " +
  "should country found answer school grow study still learn plant cover food sun four between state keep eye never " +
  "last let thought city tree cross farm hard start might story saw far sea draw left late run while press close " +
  "night real life few north open seem together next white children begin got walk example ease paper group always " +
  "music those both mark often letter until mile river car feet care second book carry took science eat room friend " +
  "began idea fish mountain stop once base hear horse cut sure watch color face wood main enough plain girl usual " +
  "young ready above ever red list though feel talk bird soon body dog family direct pose leave song measure door " +
  "product black short numeral class wind question happen complete ship area half rock order fire south problem " +
  "piece told knew pass since top whole king space heard best hour better true during hundred five remember step " +
  "early hold west ground interest reach fast verb sing listen six table travel less morning ten simple several"
).split(" ");

/** Token types of the GGUF tokenizer metadata (llama.cpp's llama_token_type). */
const NORMAL = 1;
const UNKNOWN = 2;
const CONTROL = 3;
const BYTE = 6;

/** A SentencePiece vocabulary as GGUF `tokenizer.*` metadata. */
export function demoVocabulary(): Map<string, GgufValue> {
  const tokens: string[] = [];
  const types: number[] = [];
  const add = (text: string, type: number): void => {
    tokens.push(text);
    types.push(type);
  };
  add("<unk>", UNKNOWN);
  add("<s>", CONTROL);
  add("</s>", CONTROL);
  add("<|im_start|>", CONTROL);
  add("<|im_end|>", CONTROL);
  for (let b = 0; b < 256; b++) add(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`, BYTE);
  const pieces = new Set<string>();
  const chars = "\u2581abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?'\"-:;()";
  for (const c of chars) pieces.add(c);
  // Every prefix of "▁word" is a piece, so SentencePiece's pairwise merges can reach the word.
  for (const w of WORDS) {
    const piece = `\u2581${w}`;
    for (let len = 2; len <= piece.length; len++) pieces.add(piece.slice(0, len));
  }
  const firstPiece = tokens.length;
  for (const p of pieces) add(p, NORMAL);
  // Longer pieces score higher, so merges prefer whole words; control and byte tokens score 0.
  const scores = tokens.map((t, i) => (i < firstPiece ? 0 : -1 / t.length - i * 1e-6));
  return new Map<string, GgufValue>([
    ["tokenizer.ggml.model", gv.str("llama")],
    ["tokenizer.ggml.tokens", gv.strs(tokens)],
    ["tokenizer.ggml.scores", gv.f32s(scores)],
    ["tokenizer.ggml.token_type", gv.i32s(types)],
    ["tokenizer.ggml.bos_token_id", gv.u32(1)],
    ["tokenizer.ggml.eos_token_id", gv.u32(2)],
    ["tokenizer.ggml.unknown_token_id", gv.u32(0)],
    ["tokenizer.ggml.add_bos_token", gv.bool(true)],
    ["tokenizer.chat_template", gv.str(CHATML_TEMPLATE)],
  ]);
}

/**
 * The demo model's path in `cacheDir`, written first if missing. Written under a temporary name
 * and renamed, so an interrupted run never leaves a half-written model that a later run trusts.
 */
export function ensureDemoModel(cacheDir: string): { path: string; created: boolean } {
  const dir = join(cacheDir, "demo");
  const path = join(dir, DEMO_FILE);
  if (existsSync(path)) return { path, created: false };
  mkdirSync(dir, { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const vocab = `${path}.${process.pid}.vocab.tmp`;
  try {
    writeGguf(vocab, { metadata: demoVocabulary(), tensors: [] });
    writeRandomModel(tmp, {
      architecture: "llama",
      dim: 64,
      numLayers: 2,
      numHeads: 4,
      numKvHeads: 2,
      ffnDim: 128,
      contextLength: 2048,
      weightType: GgmlType.F32,
      vocabFrom: vocab,
      seed: DEMO_SEED,
      name: DEMO_MODEL_NAME,
    });
    renameSync(tmp, path);
  } finally {
    rmSync(vocab, { force: true });
    rmSync(tmp, { force: true });
  }
  return { path, created: true };
}
