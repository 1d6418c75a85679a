import { GPT2_REGEX, LLAMA3_REGEX } from "./pre-split.js";

/**
 * Byte-level BPE pre-tokenizers by `tokenizer.ggml.pre` name, with the flags llama.cpp sets for
 * each (llama-vocab.cpp, `llama_vocab::impl::load` and `llm_tokenizer_bpe`). Names missing here
 * are refused with an error, as llama.cpp refuses them: a silent fallback would tokenize
 * differently from the model's training.
 */
export interface PreTokenizerConfig {
  readonly regexes: readonly string[];
  /** Detokenizer removes spaces before `.,!?` and in some contractions (clean_up_tokenization_spaces). */
  readonly cleanSpaces: boolean;
  /** A whole word that is a token is taken as is, without merges. */
  readonly ignoreMerges: boolean;
  /** Default for add_bos when the GGUF does not say. */
  readonly addBos: boolean;
  /** The model has no BOS token (overrides the BPE default id). */
  readonly noBos: boolean;
}

const QWEN2_REGEX =
  "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN35_REGEX =
  "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const CONTRACTIONS = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";
const UPPER_THEN_LOWER = "((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+";
const LOWER_AFTER_UPPER = "((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*";
const GPT4O_REGEX =
  `[^\\r\\n\\p{L}\\p{N}]?${UPPER_THEN_LOWER}${CONTRACTIONS}?|[^\\r\\n\\p{L}\\p{N}]?${LOWER_AFTER_UPPER}${CONTRACTIONS}?` +
  "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const TEKKEN_REGEX =
  `[^\\r\\n\\p{L}\\p{N}]?${UPPER_THEN_LOWER}|[^\\r\\n\\p{L}\\p{N}]?${LOWER_AFTER_UPPER}` +
  "|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

const DEFAULT_REGEXES = ["[\\p{P}\\$\\+<=>\\^~\\|]+", GPT2_REGEX, "\\p{N}+", "[0-9][0-9][0-9]"];
const FALCON_REGEXES = ["[\\p{P}\\$\\+<=>\\^~\\|`]+", GPT2_REGEX, "[0-9][0-9][0-9]"];
const STARCODER_REGEXES = ["\\p{N}", GPT2_REGEX];

function cfg(regexes: readonly string[], over: Partial<Omit<PreTokenizerConfig, "regexes">> = {}): PreTokenizerConfig {
  return { regexes, cleanSpaces: true, ignoreMerges: false, addBos: false, noBos: false, ...over };
}

const TABLE: ReadonlyArray<[names: readonly string[], config: PreTokenizerConfig]> = [
  [["default"], cfg(DEFAULT_REGEXES)],
  [
    ["llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano"],
    cfg([LLAMA3_REGEX], { ignoreMerges: true, addBos: true }),
  ],
  [["dbrx", "smaug-bpe"], cfg([LLAMA3_REGEX])],
  [["glm4", "chatglm-bpe"], cfg([LLAMA3_REGEX], { noBos: true })],
  [["qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "hunyuan", "solar-open"], cfg([QWEN2_REGEX], { cleanSpaces: false })],
  [["megrez", "stablelm2"], cfg([QWEN2_REGEX])],
  [["qwen35"], cfg([QWEN35_REGEX], { cleanSpaces: false })],
  [
    [
      "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0", "mellum", "modern-bert",
      "exaone4", "mpt", "olmo", "jais", "jina-v1-en", "jina-v2-code", "roberta-bpe",
    ],
    cfg([GPT2_REGEX]),
  ],
  [["trillion", "granite-docling"], cfg([GPT2_REGEX], { cleanSpaces: false })],
  [["starcoder", "refact", "codeshell", "exaone", "minerva-7b", "mellum2"], cfg(STARCODER_REGEXES)],
  [["command-r", "smollm"], cfg(STARCODER_REGEXES, { cleanSpaces: false })],
  [["falcon"], cfg(FALCON_REGEXES)],
  [["gpt-4o", "llama4", "kanana2", "talkie", "minimax-m2"], cfg([GPT4O_REGEX], { cleanSpaces: false })],
  [["tekken"], cfg([TEKKEN_REGEX], { cleanSpaces: false, ignoreMerges: true, addBos: true })],
];

const BY_NAME: ReadonlyMap<string, PreTokenizerConfig> = new Map(TABLE.flatMap(([names, c]) => names.map((n) => [n, c] as const)));

export const SUPPORTED_PRE_TOKENIZERS: readonly string[] = [...BY_NAME.keys()];

/**
 * The pre-tokenizer for a `tokenizer.ggml.pre` value. Absent means "default", as in llama.cpp
 * (which also warns that quality will suffer); an unknown name throws.
 */
export function preTokenizerConfig(pre: string | undefined): PreTokenizerConfig {
  const c = BY_NAME.get(pre === undefined || pre === "" ? "default" : pre);
  if (!c) {
    throw new Error(
      `unsupported pre-tokenizer '${pre}' (tokenizer.ggml.pre); supported: ${SUPPORTED_PRE_TOKENIZERS.join(", ")}`,
    );
  }
  return c;
}
