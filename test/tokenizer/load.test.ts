import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { GgufFile } from "../../src/engine/model/gguf/reader.js";
import type { GgufValue } from "../../src/engine/model/gguf/types.js";
import { gv, writeGguf } from "../../src/engine/model/gguf/writer.js";
import { loadTokenizer, SUPPORTED_PRE_TOKENIZERS } from "../../src/engine/tokenizer/index.js";
import { tempDir } from "../helpers/paths.js";
import { openTokenizer, VOCAB_FILES } from "./helpers.js";

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let n = 0;

function tokenizerFrom(metadata: Record<string, GgufValue>) {
  const path = join(tmp.dir, `t${n++}.gguf`);
  writeGguf(path, { metadata, tensors: [] });
  const f = GgufFile.open(path);
  try {
    return loadTokenizer(f);
  } finally {
    f.close();
  }
}

const bpeVocab = {
  "tokenizer.ggml.model": gv.str("gpt2"),
  "tokenizer.ggml.tokens": gv.strs(["a", "b", "ab", "<|endoftext|>"]),
  "tokenizer.ggml.token_type": gv.i32s([1, 1, 1, 3]),
  "tokenizer.ggml.merges": gv.strs(["a b"]),
};

describe("loadTokenizer", () => {
  it("refuses files without a tokenizer, or with one it does not implement", () => {
    expect(() => tokenizerFrom({ "general.architecture": gv.str("llama") })).toThrow(/no tokenizer.*tokenizer\.ggml\.model/);
    expect(() => tokenizerFrom({ "tokenizer.ggml.model": gv.str("bert"), "tokenizer.ggml.tokens": gv.strs(["a"]) })).toThrow(
      /unsupported tokenizer model 'bert'/,
    );
    expect(() => tokenizerFrom({ "tokenizer.ggml.model": gv.str("llama") })).toThrow(/tokenizer\.ggml\.tokens is missing/);
    const { "tokenizer.ggml.merges": _merges, ...noMerges } = bpeVocab;
    expect(() => tokenizerFrom(noMerges)).toThrow(/without merges/);
  });

  it("refuses an unknown pre-tokenizer instead of guessing", () => {
    expect(() => tokenizerFrom({ ...bpeVocab, "tokenizer.ggml.pre": gv.str("made-up") })).toThrow(/unsupported pre-tokenizer 'made-up'/);
    expect(SUPPORTED_PRE_TOKENIZERS).toContain("llama-bpe");
    expect(SUPPORTED_PRE_TOKENIZERS).toContain("qwen2");
    expect(SUPPORTED_PRE_TOKENIZERS).toContain("smollm");
    expect(SUPPORTED_PRE_TOKENIZERS).toContain("deepseek-r1-qwen");
  });

  it("uses llama.cpp's defaults when metadata is absent", () => {
    // No pre-tokenizer: "default". BPE defaults: no BOS added; BOS/EOS id 11 is outside this vocab.
    const t = tokenizerFrom(bpeVocab);
    expect(t.kind).toBe("bpe");
    expect(t.addBos).toBe(false);
    expect(t.bosId).toBeNull();
    expect(t.encode("abab")).toEqual([2, 2]);
    expect(t.isEog(3)).toBe(true); // <|endoftext|> by its text
    expect(t.eotId).toBe(3);
    expect(() => tokenizerFrom({ ...bpeVocab, "tokenizer.ggml.add_bos_token": gv.bool(true) })).toThrow(/no BOS token/);
  });

  it("reads the vocab files' settings", () => {
    const spm = openTokenizer(VOCAB_FILES["llama-spm"]);
    expect([spm.kind, spm.vocabSize, spm.bosId, spm.eosId, spm.addBos, spm.addEos, spm.addSpacePrefix]).toEqual([
      "spm", 32000, 1, 2, true, false, true,
    ]);
    const l3 = openTokenizer(VOCAB_FILES["llama-bpe"]);
    expect([l3.kind, l3.vocabSize, l3.bosId, l3.eosId, l3.eotId, l3.addBos, l3.cleanSpaces]).toEqual([
      "bpe", 128256, 128000, 128001, 128009, true, true,
    ]);
    const qw = openTokenizer(VOCAB_FILES.qwen2);
    expect([qw.addBos, qw.cleanSpaces, qw.eotId]).toEqual([false, false, 151645]);
  });
});
