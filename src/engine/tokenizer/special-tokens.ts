import { ATTR_CONTROL, ATTR_LSTRIP, ATTR_NORMAL, ATTR_RSTRIP, ATTR_UNKNOWN, ATTR_USER_DEFINED } from "./token-attr.js";

/**
 * The special-token bookkeeping llama.cpp does after reading the vocabulary
 * (`llama_vocab::impl::load`): tokens found by their text when the GGUF does not name them,
 * the end-of-generation set, and a few per-model attribute fixes. Token attributes are updated
 * in place.
 */

export interface SpecialIds {
  bos: number | null;
  eos: number | null;
  eot: number | null;
  eom: number | null;
  unk: number | null;
  sep: number | null;
  pad: number | null;
  mask: number | null;
  fimPre: number | null;
  fimSuf: number | null;
  fimMid: number | null;
  fimPad: number | null;
  fimRep: number | null;
  fimSep: number | null;
}

/** GGUF keys of the special ids, in llama.cpp's order (the deprecated FIM keys come last and win). */
export const SPECIAL_ID_KEYS: ReadonlyArray<[key: string, slot: keyof SpecialIds]> = [
  ["tokenizer.ggml.bos_token_id", "bos"],
  ["tokenizer.ggml.eos_token_id", "eos"],
  ["tokenizer.ggml.eot_token_id", "eot"],
  ["tokenizer.ggml.eom_token_id", "eom"],
  ["tokenizer.ggml.unknown_token_id", "unk"],
  ["tokenizer.ggml.seperator_token_id", "sep"],
  ["tokenizer.ggml.padding_token_id", "pad"],
  ["tokenizer.ggml.mask_token_id", "mask"],
  ["tokenizer.ggml.fim_pre_token_id", "fimPre"],
  ["tokenizer.ggml.fim_suf_token_id", "fimSuf"],
  ["tokenizer.ggml.fim_mid_token_id", "fimMid"],
  ["tokenizer.ggml.fim_pad_token_id", "fimPad"],
  ["tokenizer.ggml.fim_rep_token_id", "fimRep"],
  ["tokenizer.ggml.fim_sep_token_id", "fimSep"],
  ["tokenizer.ggml.prefix_token_id", "fimPre"],
  ["tokenizer.ggml.suffix_token_id", "fimSuf"],
  ["tokenizer.ggml.middle_token_id", "fimMid"],
];

// Texts that identify a special token when its id is not in the metadata. llama.cpp takes the
// first it meets in hash order; taking them in list order makes the choice deterministic.
const BY_TEXT: ReadonlyArray<[slot: keyof SpecialIds, texts: readonly string[]]> = [
  [
    "eot",
    [
      "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]",
      "<｜end▁of▁sentence｜>", "<end_of_utterance>",
    ],
  ],
  ["eom", ["<|eom_id|>"]],
  [
    "fimPre",
    ["<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>"],
  ],
  [
    "fimSuf",
    ["<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>"],
  ],
  [
    "fimMid",
    ["<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>"],
  ],
  ["fimPad", ["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"]],
  ["fimRep", ["<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"]],
  ["fimSep", ["<|file_sep|>"]],
];

/** Texts of tokens that end generation whatever the metadata says. */
const EOG_TEXTS: readonly string[] = [
  "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>", "<end_of_turn>",
  "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>", "<end_of_utterance>",
  "<eos>", "<turn|>", "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~[",
];

/** gpt-oss: these must always be rendered, so they become user-defined. */
const ALWAYS_RENDERED: readonly string[] = ["<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"];

export interface SpecialSetup {
  readonly eog: ReadonlySet<number>;
  /** Control, user-defined and unknown tokens, longest text first: the order they are split out of text. */
  readonly partitionOrder: readonly number[];
}

export function setUpSpecialTokens(
  texts: readonly string[],
  textToId: ReadonlyMap<string, number>,
  attrs: Uint16Array,
  ids: SpecialIds,
  modelName: string,
  preName: string,
  architecture: string,
): SpecialSetup {
  const markControl = (id: number) => {
    attrs[id] = attrs[id]! | ATTR_CONTROL;
  };

  for (const [slot, candidates] of BY_TEXT) {
    if (ids[slot] !== null) continue;
    for (const t of candidates) {
      const id = textToId.get(t);
      if (id !== undefined) {
        ids[slot] = id;
        markControl(id);
        break;
      }
    }
  }

  const eog = new Set<number>();
  for (const id of [ids.fimPad, ids.fimRep, ids.fimSep]) if (id !== null) eog.add(id);
  for (const t of EOG_TEXTS) {
    const id = textToId.get(t);
    if (id !== undefined) {
      eog.add(id);
      markControl(id);
    }
  }
  for (const t of ALWAYS_RENDERED) {
    const id = textToId.get(t);
    if (id !== undefined) attrs[id] = ATTR_USER_DEFINED;
  }
  for (const id of [ids.eos, ids.eot, ids.eom]) if (id !== null) eog.add(id);

  // o200k_harmony and solar-open: "<|end|>" ends a message, not the generation.
  const has = (t: string) => [...eog].some((id) => texts[id] === t);
  if ((has("<|return|>") && has("<|call|>") && has("<|end|>")) || (has("<|calls|>") && has("<|flush|>") && has("<|end|>"))) {
    const end = [...eog].find((id) => texts[id] === "<|end|>")!;
    eog.delete(end);
    attrs[end] = ATTR_USER_DEFINED;
  }
  // gemma4 and paddleocr: "</s>" is ordinary text there.
  if (has("<|tool_response>") && has("</s>")) {
    const s = [...eog].find((id) => texts[id] === "</s>")!;
    eog.delete(s);
    attrs[s] = ATTR_NORMAL;
  }

  const partitionOrder: number[] = [];
  for (let id = 0; id < texts.length; id++) {
    if (attrs[id]! & (ATTR_CONTROL | ATTR_USER_DEFINED | ATTR_UNKNOWN)) partitionOrder.push(id);
  }
  // Longest first by UTF-8 length, as llama.cpp sorts; the sort is stable, so ties stay in id order.
  const bytes = new Map(partitionOrder.map((id) => [id, Buffer.byteLength(texts[id]!, "utf8")]));
  partitionOrder.sort((a, b) => bytes.get(b)! - bytes.get(a)!);

  applyModelAttrs(textToId, attrs, partitionOrder, modelName.toLowerCase(), preName, architecture);
  return { eog, partitionOrder };
}

/** Per-model strip attributes llama.cpp sets by name (they are not stored in GGUF files). */
function applyModelAttrs(
  textToId: ReadonlyMap<string, number>,
  attrs: Uint16Array,
  specials: readonly number[],
  modelName: string,
  preName: string,
  architecture: string,
): void {
  const set = (text: string, attr: number, on: boolean) => {
    const id = textToId.get(text);
    if (id !== undefined) attrs[id] = on ? attrs[id]! | attr : attrs[id]! & ~attr;
  };
  if (["jina-v2-de", "jina-v2-es", "jina-v2-code"].some((s) => preName.includes(s)) ||
      ["nomic-bert-moe", "jina-bert-v3"].some((s) => architecture.includes(s))) {
    set("<mask>", ATTR_LSTRIP, true);
  } else if (modelName.includes("phi-3") || modelName.includes("phi3")) {
    for (const id of specials) attrs[id] = attrs[id]! | ATTR_RSTRIP;
    set("</s>", ATTR_RSTRIP, true);
    for (const t of ["<unk>", "<s>", "<|endoftext|>"]) set(t, ATTR_RSTRIP, false);
  } else if (modelName.includes("modern-bert")) {
    set("[MASK]", ATTR_LSTRIP, true);
  }
}
