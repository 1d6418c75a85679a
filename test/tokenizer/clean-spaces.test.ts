import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { IncrementalDetokenizer } from "../../src/engine/tokenizer/index.js";
import { cleanSpaces } from "../../src/engine/tokenizer/pieces.js";
import { MODEL_FILES, openTokenizer } from "./helpers.js";

/**
 * Reference: llama.cpp's three in-place passes over the detokenized buffer (llama_detokenize with
 * clean_spaces), transcribed literally with a write cursor, including the NUL written over the
 * space after " ' " that later reads see.
 */
function referenceClean(input: Uint8Array): Uint8Array {
  const t = Array.from(input);
  let total = t.length;
  const pass = (body: (i: number, x: number, n: number) => number) => {
    const n = total;
    total = n ? 1 : 0;
    for (let i = 1; i < n; ++i) i = body(i, t[i]!, n);
  };
  const sp = 0x20;
  pass((i, x) => {
    if (t[i - 1] === sp && (x === 0x3f || x === 0x21 || x === 0x2e || x === 0x2c)) total--;
    t[total++] = x;
    return i;
  });
  pass((i, x, n) => {
    if (x === 0x27 && i + 1 < n && t[i - 1] === sp && t[i + 1] === sp) {
      total--;
      t[++i] = 0;
    }
    t[total++] = x;
    return i;
  });
  pass((i, x, n) => {
    if (t[i - 1] === sp && x === 0x27 && i + 1 < n) {
      const x1 = t[i + 1]!;
      if (x1 === 0x74 || x1 === 0x64) {
        // " 't", " 'd" keep the space
      } else if (x1 === 0x73 || x1 === 0x6d) total--;
      else if (i + 2 < n) {
        const x2 = t[i + 2]!;
        if ((x1 === 0x72 || x1 === 0x76) && x2 === 0x65) total--;
      }
    }
    t[total++] = x;
    return i;
  });
  return Uint8Array.from(t.slice(0, total));
}

const alphabet = fc.constantFrom(..." ',.?!smtdrevlx".split(""));

describe("clean_spaces", () => {
  it("matches llama.cpp's in-place passes", () => {
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 30 }), (chars) => {
        const bytes = new TextEncoder().encode(chars.join(""));
        expect(Array.from(cleanSpaces(bytes))).toEqual(Array.from(referenceClean(bytes)));
      }),
      { numRuns: 5000 },
    );
  });

  it("known cases", () => {
    const c = (s: string) => new TextDecoder().decode(cleanSpaces(new TextEncoder().encode(s)));
    expect(c("Hello , world !")).toBe("Hello, world!");
    expect(c("a ' b")).toBe("a'b");
    expect(c("it 's they 're we 've I 'm")).toBe("it's they're we've I'm");
    expect(c("don 't I 'd we 'll")).toBe("don 't I 'd we 'll");
  });

  it("streamed Llama 3 text equals decode for any token split", () => {
    const tok = openTokenizer(MODEL_FILES["llama-bpe"]);
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 40 }), (chars) => {
        const ids = tok.encode(chars.join(""), { addSpecial: false });
        const d = new IncrementalDetokenizer(tok);
        const out = ids.map((id) => d.push(id)).join("") + d.flush();
        expect(out).toBe(tok.decode(ids));
      }),
      { numRuns: 2000 },
    );
  });
});
