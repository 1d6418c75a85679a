import { TextDecoder } from "node:util";
import { ASSIGNED_AFTER_UNICODE_15_1 } from "./unicode-newer.js";

/**
 * Code point classes used by the pre-tokenizers, with llama.cpp's definitions (src/unicode.cpp):
 * general categories come from the Unicode database (JS `\p{..}` here, a generated Unicode 15.1
 * table there; code points assigned later are unassigned to it, see unicode-newer.ts), and
 * "whitespace" is the Unicode White_Space property, which is neither JS `\s` (that adds U+FEFF
 * and lacks U+0085) nor C isspace.
 */

export const CPT_NUMBER = 1; // \p{N}
export const CPT_LETTER = 2; // \p{L}
export const CPT_PUNCTUATION = 4; // \p{P}
export const CPT_MARK = 8; // \p{M}
export const CPT_SYMBOL = 16; // \p{S}
/** Separators, controls, format, private use, surrogates and unassigned code points. */
export const CPT_OTHER = 32;
export const CPT_WHITESPACE = 64;
/** Set on every cached entry so that 0 can mean "not computed yet". */
const CPT_KNOWN = 128;

const WHITESPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006,
  0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

const CATEGORY = /^(?:(\p{L})|(\p{N})|(\p{P})|(\p{M})|(\p{S}))$/u;
const MAX_CODEPOINT = 0x110000;

/** Lazily filled: one byte per code point, computed on first sight (1.1 MB at most). */
let cache: Uint8Array | null = null;

function compute(cpt: number): number {
  let flags = CPT_OTHER;
  if (ASSIGNED_AFTER_UNICODE_15_1.some(([lo, hi]) => cpt >= lo && cpt <= hi)) return flags;
  const m = CATEGORY.exec(String.fromCodePoint(cpt));
  if (m) {
    if (m[1] !== undefined) flags = CPT_LETTER;
    else if (m[2] !== undefined) flags = CPT_NUMBER;
    else if (m[3] !== undefined) flags = CPT_PUNCTUATION;
    else if (m[4] !== undefined) flags = CPT_MARK;
    else flags = CPT_SYMBOL;
  }
  if (WHITESPACE.has(cpt)) flags |= CPT_WHITESPACE;
  return flags;
}

/** The class bits of a code point; never 0 for a valid code point. */
export function cptFlags(cpt: number): number {
  if (cpt < 0 || cpt >= MAX_CODEPOINT) return 0;
  cache ??= new Uint8Array(MAX_CODEPOINT);
  let f = cache[cpt]!;
  if (f === 0) {
    f = compute(cpt) | CPT_KNOWN;
    cache[cpt] = f;
  }
  return f & ~CPT_KNOWN;
}

/** The code points of a string (lone surrogates, which `wellFormed` removes, would pass through). */
export function toCodePoints(text: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out.push(0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00));
        i++;
        continue;
      }
    }
    out.push(c);
  }
  return out;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * The string with every lone surrogate replaced by U+FFFD: what its UTF-8 encoding (the form
 * llama.cpp tokenizes) decodes back to.
 */
export function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, "\ufffd");
}

const encoder = new TextEncoder();

export function utf8Encode(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * A fresh UTF-8 decoder: invalid bytes become U+FFFD (WHATWG rules) and a leading byte-order mark
 * is kept, since it is text the model produced.
 */
export function utf8Decoder(): TextDecoder {
  return new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
}

const decoder = utf8Decoder();

export function utf8Decode(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}
