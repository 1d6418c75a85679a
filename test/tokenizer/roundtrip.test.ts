import { describe, expect, it } from "vitest";
import { IncrementalDetokenizer, type Tokenizer } from "../../src/engine/tokenizer/index.js";
import { cleanSpaces } from "../../src/engine/tokenizer/pieces.js";
import { MODEL_FILES, openTokenizer } from "./helpers.js";
import { randomTexts, TRICKY_TEXTS } from "./tricky-texts.js";

const TEXTS = [...TRICKY_TEXTS, ...randomTexts(200, 7)];
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * What decoding gives back for text that went through the tokenizer: the text itself, except that
 * SentencePiece reads a literal U+2581 as the space it stands for, and vocabularies that clean
 * spaces drop them before punctuation.
 */
function expectedRoundTrip(tok: Tokenizer, text: string): string {
  if (tok.kind === "spm") return text.replaceAll("\u2581", " ");
  return tok.cleanSpaces ? dec.decode(cleanSpaces(enc.encode(text))) : text;
}

function stream(tok: Tokenizer, ids: readonly number[], opts: { skipSpecial?: boolean; prefix?: readonly number[] } = {}) {
  const d = new IncrementalDetokenizer(tok, opts);
  const chunks = ids.map((id) => d.push(id));
  chunks.push(d.flush());
  return chunks;
}

describe.each(Object.entries(MODEL_FILES))("%s round trips", (_name, path) => {
  const tok = openTokenizer(path);

  it("decode(encode(x)) gives x back (up to llama.cpp's documented losses)", () => {
    for (const text of TEXTS) {
      const ids = tok.encode(text, { addSpecial: false, parseSpecial: false });
      expect({ text, out: tok.decode(ids) }).toEqual({ text, out: expectedRoundTrip(tok, text) });
    }
  });

  it("streamed text equals decode, chunk by chunk well-formed", () => {
    for (const text of TEXTS) {
      const ids = tok.encode(text, { addSpecial: true, parseSpecial: true });
      for (const skipSpecial of [false, true]) {
        const chunks = stream(tok, ids, { skipSpecial });
        expect({ text, out: chunks.join("") }).toEqual({ text, out: tok.decode(ids, { skipSpecial }) });
        for (const c of chunks) {
          expect(LONE_SURROGATE.test(c)).toBe(false);
          // Valid input never shows a replacement character, even split across byte tokens.
          if (!text.includes("\ufffd")) expect(c.includes("\ufffd")).toBe(false);
        }
      }
    }
  });

  it("with a prompt prefix, streams exactly the continuation", () => {
    for (const text of TEXTS) {
      const ids = tok.encode(text, { addSpecial: true, parseSpecial: true });
      for (let cut = 0; cut <= ids.length; cut += Math.max(1, Math.floor(ids.length / 4))) {
        const prefix = ids.slice(0, cut);
        const full = tok.decode(ids);
        const head = tok.decode(prefix);
        const out = stream(tok, ids.slice(cut), { prefix }).join("");
        // Space cleaning may remove a trailing space of the prefix text when the continuation
        // starts with punctuation; elsewhere the prefix text is a prefix of the whole.
        if (full.startsWith(head)) expect({ text, cut, out }).toEqual({ text, cut, out: full.slice(head.length) });
      }
    }
  });
});

describe("byte tokens and pieces", () => {
  const stories = openTokenizer(MODEL_FILES.stories260K);
  const llama3 = openTokenizer(MODEL_FILES["llama-bpe"]);

  it("holds partial UTF-8 across byte-fallback tokens", () => {
    const ids = stories.encode("😶‍🌫️", { addSpecial: false });
    expect(ids.length).toBeGreaterThan(4); // byte fallback: one token per byte
    const d = new IncrementalDetokenizer(stories);
    const outs = ids.map((id) => d.push(id));
    expect(outs.filter((o) => o !== "").every((o) => !o.includes("\ufffd"))).toBe(true);
    expect(outs.join("") + d.flush()).toBe("😶‍🌫️");
    expect(outs[0]).toBe(""); // the first byte alone is not a character
  });

  it("flushes an unfinished character as U+FFFD", () => {
    const ids = stories.encode("x日", { addSpecial: false });
    expect(stories.tokenText(ids.at(-1)!)).toMatch(/^<0x/); // 日 is three byte tokens here
    const d = new IncrementalDetokenizer(stories);
    expect(ids.slice(0, -1).map((id) => d.push(id)).join("")).toBe("x");
    expect(d.flush()).toBe("\ufffd");
  });

  it("gives the bytes each token contributes", () => {
    const hello = stories.encode("Hello", { addSpecial: false });
    expect(new TextDecoder().decode(stories.tokenBytes(hello[0]!))).toMatch(/^ H/);
    const nl = stories.encode("\n", { addSpecial: false }).at(-1)!;
    expect(stories.tokenText(nl)).toBe("<0x0A>");
    expect(Array.from(stories.tokenBytes(nl))).toEqual([10]);
    expect(new TextDecoder().decode(stories.tokenBytes(1))).toBe("<s>");
    expect(stories.tokenBytes(1, { skipSpecial: true }).length).toBe(0);
    const world = llama3.encode(" world", { addSpecial: false });
    expect(llama3.tokenText(world[0]!)).toBe("Ġworld");
    expect(new TextDecoder().decode(llama3.tokenBytes(world[0]!))).toBe(" world");
  });

  it("decodes SPM like llama.cpp: one leading space dropped, none after BOS", () => {
    const ids = stories.encode("Hello", { addSpecial: true });
    expect(ids[0]).toBe(1);
    expect(stories.decode(ids.slice(1))).toBe("Hello");
    expect(stories.decode(ids, { skipSpecial: true })).toBe(" Hello");
    expect(stories.decode(ids)).toBe("<s> Hello");
    expect(stories.decode(ids.slice(1), { keepLeadingSpace: true })).toBe(" Hello");
  });

  it("cleans spaces in Llama 3 text also when streaming with a prefix", () => {
    const prompt = llama3.encode("Hello", { addSpecial: true });
    const rest = llama3.encode(" , world 's end ?", { addSpecial: false });
    expect(llama3.decode([...prompt, ...rest], { skipSpecial: true })).toBe("Hello, world's end?");
    expect(stream(llama3, rest, { prefix: prompt }).join("")).toBe(", world's end?");
  });

  it("rejects ids outside the vocabulary", () => {
    expect(() => stories.decode([512])).toThrow(/outside the vocabulary/);
    expect(() => stories.tokenBytes(-1)).toThrow(RangeError);
    expect(stories.isEog(2)).toBe(true);
    expect(stories.isEog(1)).toBe(false);
    expect(stories.isControl(1)).toBe(true);
    expect(stories.isControl(100000)).toBe(false);
  });
});
