import { readFileSync } from "node:fs";
import { join } from "node:path";
import { GgufFile } from "../../src/engine/model/gguf/reader.js";
import { loadTokenizer, type Tokenizer } from "../../src/engine/tokenizer/index.js";
import { STORIES_260K, VOCAB_DIR } from "../helpers/paths.js";

export const VOCAB_FILES = {
  "llama-spm": join(VOCAB_DIR, "ggml-vocab-llama-spm.gguf"),
  "llama-bpe": join(VOCAB_DIR, "ggml-vocab-llama-bpe.gguf"),
  qwen2: join(VOCAB_DIR, "ggml-vocab-qwen2.gguf"),
} as const;

export const MODEL_FILES = { stories260K: STORIES_260K, ...VOCAB_FILES } as const;

export function openTokenizer(path: string): Tokenizer {
  const f = GgufFile.open(path);
  try {
    return loadTokenizer(f);
  } finally {
    f.close();
  }
}

export interface GoldenCase {
  readonly text: string;
  readonly ids: number[];
}

/**
 * The test vectors next to a vocab file, read the way llama.cpp's tests/test-tokenizer-0.cpp
 * reads them: the whole `.inp` file is cut at every "\n__ggml_vocab_test__\n" (so a text keeps
 * its own inner and leading newlines, and the file's final separator leaves no empty case); the
 * `.out` file has one line of space-separated ids per text, stripped of surrounding whitespace.
 * That test tokenizes with add_special = false and parse_special = false.
 */
export function readGoldenCases(vocabPath: string): GoldenCase[] {
  const raw = readFileSync(`${vocabPath}.inp`, "utf8");
  const sep = "\n__ggml_vocab_test__\n";
  const texts: string[] = [];
  let pos = 0;
  while (pos < raw.length) {
    const next = raw.indexOf(sep, pos);
    if (next === -1) {
      texts.push(raw.slice(pos));
      break;
    }
    texts.push(raw.slice(pos, next));
    pos = next + sep.length;
  }
  const lines = readFileSync(`${vocabPath}.out`, "utf8").split("\n");
  if (lines.at(-1) === "") lines.pop(); // getline does not see a line after the final newline
  if (lines.length !== texts.length) throw new Error(`${vocabPath}: ${texts.length} texts but ${lines.length} expected lines`);
  return texts.map((text, i) => {
    const o = lines[i]!.trim();
    return { text, ids: o === "" ? [] : o.split(" ").map(Number) };
  });
}
