import type { GgufFile } from "../model/gguf/reader.js";
import { type Tokenizer, VocabTokenizer } from "./tokenizer.js";
import { loadVocab } from "./vocab.js";

export type { DecodeOptions, EncodeOptions, Tokenizer } from "./tokenizer.js";
export { IncrementalDetokenizer, type IncrementalDetokenizerOptions } from "./incremental.js";
export { SUPPORTED_PRE_TOKENIZERS } from "./pre-types.js";

/**
 * The tokenizer described by a GGUF file's `tokenizer.ggml.*` metadata: SentencePiece
 * (`tokenizer.ggml.model` = "llama") or byte-level BPE ("gpt2"), matching llama.cpp token for
 * token. Throws an Error naming the file when the metadata is missing, of another tokenizer
 * model, or uses a pre-tokenizer (`tokenizer.ggml.pre`) this implementation does not know.
 */
export function loadTokenizer(file: GgufFile): Tokenizer {
  return new VocabTokenizer(loadVocab(file));
}
