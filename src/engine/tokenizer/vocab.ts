import type { GgufFile } from "../model/gguf/reader.js";
import { GgufValueType } from "../model/gguf/types.js";
import { type PreTokenizerConfig, preTokenizerConfig } from "./pre-types.js";
import { SPECIAL_ID_KEYS, type SpecialIds, setUpSpecialTokens } from "./special-tokens.js";
import { ATTR_NORMAL, attrFromTokenType } from "./token-attr.js";

/**
 * A tokenizer vocabulary read from GGUF metadata, with the defaults and fix-ups of llama.cpp's
 * `llama_vocab::impl::load`, so that the same file tokenizes the same way in both.
 */
export interface Vocab {
  readonly kind: "spm" | "bpe";
  readonly texts: readonly string[];
  /** SentencePiece merge scores (0 where the file has none). */
  readonly scores: Float64Array;
  /** `ATTR_*` bits per token. */
  readonly attrs: Uint16Array;
  readonly textToId: ReadonlyMap<string, number>;
  readonly ids: Readonly<SpecialIds>;
  readonly addBos: boolean;
  readonly addEos: boolean;
  /** SPM: a space is put before text at the start and after special tokens; decoding removes one. */
  readonly addSpacePrefix: boolean;
  readonly cleanSpaces: boolean;
  readonly eog: ReadonlySet<number>;
  readonly partitionOrder: readonly number[];
  /** Byte-level BPE only. */
  readonly bpe: { readonly preName: string; readonly pre: PreTokenizerConfig; readonly ranks: ReadonlyMap<string, number> } | null;
}

export function loadVocab(file: GgufFile): Vocab {
  const model = file.getString("tokenizer.ggml.model");
  if (model === undefined) throw new Error(`${file.path}: no tokenizer in this GGUF file (tokenizer.ggml.model is missing)`);
  if (model !== "llama" && model !== "gpt2") {
    throw new Error(`${file.path}: unsupported tokenizer model '${model}' (supported: llama = SentencePiece, gpt2 = byte-level BPE)`);
  }
  const kind = model === "llama" ? "spm" : "bpe";

  const texts = file.getStringArray("tokenizer.ggml.tokens");
  if (texts === undefined) throw new Error(`${file.path}: no tokenizer vocabulary (tokenizer.ggml.tokens is missing)`);
  const n = texts.length;
  if (n === 0) throw new Error(`${file.path}: the tokenizer vocabulary is empty`);

  const ids: SpecialIds =
    kind === "spm"
      ? { ...NO_IDS, bos: 1, eos: 2, unk: 0 }
      : // llama.cpp's BPE defaults (GPT-2's <|endoftext|> = 11 in its original vocab file).
        { ...NO_IDS, bos: 11, eos: 11 };

  let pre: PreTokenizerConfig | null = null;
  let preName = "";
  let ranks: Map<string, number> | null = null;
  let addSpacePrefix: boolean;
  let cleanSpaces: boolean;
  let addBos: boolean;
  if (kind === "bpe") {
    preName = file.getString("tokenizer.ggml.pre") ?? "";
    pre = preTokenizerConfig(preName);
    if (pre.noBos) ids.bos = null;
    ranks = readMerges(file);
    addSpacePrefix = false;
    cleanSpaces = pre.cleanSpaces;
    addBos = pre.addBos;
  } else {
    addSpacePrefix = true;
    cleanSpaces = false;
    addBos = true;
  }
  let addEos = false;
  addSpacePrefix = file.getBool("tokenizer.ggml.add_space_prefix") ?? addSpacePrefix;

  const scores = readScores(file, n);
  const attrs = readAttrs(file, n);
  const textToId = new Map<string, number>();
  const fixed = texts.slice();
  for (let i = 0; i < n; i++) {
    if (fixed[i] === "") fixed[i] = `[EMPTY_${i}]`;
    // llama.cpp refuses duplicates; here a duplicate can also come from invalid UTF-8 that the
    // GGUF reader decoded to U+FFFD, so the first id keeps the text.
    if (!textToId.has(fixed[i]!)) textToId.set(fixed[i]!, i);
  }

  for (const [key, slot] of SPECIAL_ID_KEYS) {
    const current = ids[slot];
    if (current !== null && current >= n) ids[slot] = null; // a default out of this vocabulary
    const v = file.getNumber(key);
    if (v !== undefined && Number.isInteger(v) && v >= 0 && v < n) ids[slot] = v;
  }

  addBos = file.getBool("tokenizer.ggml.add_bos_token") ?? addBos;
  addEos = file.getBool("tokenizer.ggml.add_eos_token") ?? addEos;
  if (addBos && ids.bos === null) throw new Error(`${file.path}: tokenizer.ggml.add_bos_token is true, but the model has no BOS token`);
  if (addEos && ids.eos === null) throw new Error(`${file.path}: tokenizer.ggml.add_eos_token is true, but the model has no EOS token`);

  const { eog, partitionOrder } = setUpSpecialTokens(
    fixed,
    textToId,
    attrs,
    ids,
    file.getString("general.name") ?? "",
    preName,
    file.getString("general.architecture") ?? "",
  );

  return {
    kind,
    texts: fixed,
    scores,
    attrs,
    textToId,
    ids,
    addBos,
    addEos,
    addSpacePrefix,
    cleanSpaces,
    eog,
    partitionOrder,
    bpe: kind === "bpe" ? { preName, pre: pre!, ranks: ranks! } : null,
  };
}

const NO_IDS: SpecialIds = {
  bos: null, eos: null, eot: null, eom: null, unk: null, sep: null, pad: null, mask: null,
  fimPre: null, fimSuf: null, fimMid: null, fimPad: null, fimRep: null, fimSep: null,
};

/** Merge rules "left right" -> rank (its index); the first of duplicate rules wins. */
function readMerges(file: GgufFile): Map<string, number> {
  const merges = file.getStringArray("tokenizer.ggml.merges");
  if (merges === undefined) throw new Error(`${file.path}: byte-level BPE vocabulary without merges (tokenizer.ggml.merges is missing)`);
  const ranks = new Map<string, number>();
  for (let i = 0; i < merges.length; i++) {
    const m = merges[i]!;
    // Split at the first space after the first character, as llama.cpp does; the key is then the
    // same string, and lookups join the two halves with one space.
    if (m.indexOf(" ", 1) === -1) continue;
    if (!ranks.has(m)) ranks.set(m, i);
  }
  return ranks;
}

function readScores(file: GgufFile, n: number): Float64Array {
  const arr = file.getArray("tokenizer.ggml.scores");
  if (arr === undefined) return new Float64Array(n);
  if (arr.itemType !== GgufValueType.FLOAT32 && arr.itemType !== GgufValueType.INT32) {
    throw new Error(`${file.path}: tokenizer.ggml.scores must be float32 or int32`);
  }
  const scores = file.getNumberArray("tokenizer.ggml.scores")!;
  if (scores.length < n) throw new Error(`${file.path}: ${scores.length} token scores for ${n} tokens`);
  return scores.length === n ? scores : scores.slice(0, n);
}

function readAttrs(file: GgufFile, n: number): Uint16Array {
  const attrs = new Uint16Array(n).fill(ATTR_NORMAL);
  const arr = file.getArray("tokenizer.ggml.token_type");
  if (arr === undefined) return attrs;
  if (arr.itemType !== GgufValueType.INT32) throw new Error(`${file.path}: tokenizer.ggml.token_type must be int32`);
  const types = file.getNumberArray("tokenizer.ggml.token_type")!;
  if (types.length < n) throw new Error(`${file.path}: ${types.length} token types for ${n} tokens`);
  for (let i = 0; i < n; i++) attrs[i] = attrFromTokenType(types[i]!);
  return attrs;
}
