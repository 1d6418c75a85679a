import { getLlama, type Llama, LlamaLogLevel, type LlamaModel, type Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Tokenizer } from "../../src/engine/tokenizer/index.js";
import { MODEL_FILES, openTokenizer } from "./helpers.js";
import { randomTexts, TRICKY_TEXTS } from "./tricky-texts.js";

/**
 * Our tokenizers against llama.cpp itself, through node-llama-cpp's bindings. Its
 * `model.tokenize(text, special)` is llama_tokenize(add_special = false, parse_special = special)
 * and `model.detokenize(ids, special)` is llama_detokenize(remove_special = false,
 * unparse_special = special). node-llama-cpp loads vocabulary-only GGUF files with `vocabOnly`.
 */

let llama: Llama;
beforeAll(async () => {
  llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
});
afterAll(async () => {
  await llama?.dispose();
});

const RANDOM = randomTexts(300, 20240611);
/** node-llama-cpp brands token ids. */
const asTokens = (ids: readonly number[]) => ids as readonly Token[];
const asToken = (id: number) => id as Token;

describe.each(Object.entries(MODEL_FILES))("%s against llama.cpp", (_name, path) => {
  let model: LlamaModel;
  let tok: Tokenizer;
  beforeAll(async () => {
    model = await llama.loadModel({ modelPath: path, vocabOnly: true });
    tok = openTokenizer(path);
  });
  afterAll(async () => {
    await model?.dispose();
  });

  const theirs = (text: string, special: boolean) => (text === "" ? [] : Array.from(model.tokenize(text, special)));

  it("tokenizes tricky texts the same, with and without special-token parsing", () => {
    for (const text of TRICKY_TEXTS) {
      for (const special of [false, true]) {
        expect({ text, special, ids: tok.encode(text, { addSpecial: false, parseSpecial: special }) }).toEqual({
          text,
          special,
          ids: theirs(text, special),
        });
      }
    }
  });

  it("tokenizes 300 random texts the same", () => {
    for (const text of RANDOM) {
      for (const special of [false, true]) {
        expect({ text, ids: tok.encode(text, { addSpecial: false, parseSpecial: special }) }).toEqual({
          text,
          ids: theirs(text, special),
        });
      }
    }
  });

  it("reads lone surrogates as U+FFFD, as llama.cpp receives them in UTF-8", () => {
    for (const text of ["bad \ud800 x", "\udc00lead", "end\ud83d", "pair \ud83d\ude00 ok"]) {
      expect({ text, ids: tok.encode(text, { addSpecial: false }) }).toEqual({ text, ids: theirs(text, false) });
    }
  });

  it("detokenizes the same, special tokens rendered or skipped", () => {
    for (const text of [...TRICKY_TEXTS, ...RANDOM]) {
      const ids = theirs(text, true);
      const withBos = tok.bosId === null ? ids : [tok.bosId, ...ids];
      for (const seq of [ids, withBos]) {
        expect({ text, out: tok.decode(seq) }).toEqual({ text, out: model.detokenize(asTokens(seq), true) });
        expect({ text, out: tok.decode(seq, { skipSpecial: true }) }).toEqual({ text, out: model.detokenize(asTokens(seq), false) });
      }
    }
  });

  it("adds BOS/EOS and names special tokens as llama.cpp does", () => {
    expect(tok.bosId).toBe(model.tokens.bos);
    expect(tok.eosId).toBe(model.tokens.eos);
    expect(tok.eotId).toBe(model.tokens.eot);
    expect(tok.addBos).toBe(model.tokens.shouldPrependBosToken);
    expect(tok.addEos).toBe(model.tokens.shouldAppendEosToken);
    const ids = tok.encode("Hello world", { addSpecial: true });
    const body = tok.encode("Hello world", { addSpecial: false });
    expect(ids).toEqual([...(tok.addBos ? [tok.bosId!] : []), ...body, ...(tok.addEos ? [tok.eosId!] : [])]);
  });

  it("agrees on end-of-generation and control tokens for the whole vocabulary", () => {
    const eogOurs: number[] = [];
    const eogTheirs: number[] = [];
    const controlOurs: number[] = [];
    const controlTheirs: number[] = [];
    for (let id = 0; id < tok.vocabSize; id++) {
      if (tok.isEog(id)) eogOurs.push(id);
      if (model.isEogToken(asToken(id))) eogTheirs.push(id);
      if (tok.isControl(id)) controlOurs.push(id);
      if (model.getTokenAttributes(asToken(id)).control) controlTheirs.push(id);
    }
    expect(eogOurs).toEqual(eogTheirs);
    expect(controlOurs).toEqual(controlTheirs);
  });
});
