import { type SegmentSplitter, splitGpt2, splitLlama3 } from "./pre-split-custom.js";
import { CPT_LETTER, CPT_MARK, CPT_NUMBER, CPT_PUNCTUATION, CPT_SYMBOL, CPT_WHITESPACE, cptFlags, toCodePoints } from "./unicode.js";

/**
 * Splits text into pre-tokenizer words the way llama.cpp's `unicode_regex_split` does: each
 * regex of a list splits every segment the previous ones produced (the text between matches
 * becomes a word too). Two regexes have hand-written equivalents (pre-split-custom.ts); any other
 * runs on a "collapsed" copy of the text with one character per code point: ASCII stays, other
 * whitespace becomes \v, and every other code point becomes a marker for its general category,
 * with `\p{..}` in the regex rewritten to "marker or the ASCII members". A JS regex then behaves
 * exactly as llama.cpp's std::regex does on its collapsed bytes, code point for code point.
 */

/** The regexes llama.cpp replaces by hand-written splitters (spelled as in llama-vocab.cpp). */
export const GPT2_REGEX = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
export const LLAMA3_REGEX =
  "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const LLAMA3_REGEX_ORIGINAL =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

// Collapsed markers (llama.cpp uses the bytes 0xD0..0xD5 the same way).
const MARK_OTHER = "\u00d0";
const CATEGORY_MARK: ReadonlyArray<[flag: number, mark: string, ascii: string]> = [
  [CPT_NUMBER, "\u00d1", "0-9"],
  [CPT_LETTER, "\u00d2", "A-Za-z"],
  [CPT_PUNCTUATION, "\u00d3", "!-#%-*,-/:-;?-@\\[-\\]_\\{\\}"],
  [CPT_MARK, "\u00d4", ""],
  // `~` is missing from llama.cpp's ASCII symbol list, so it is here too.
  [CPT_SYMBOL, "\u00d5", "\\$\\+<->\\^`\\|"],
];
const CATEGORY_BY_NAME: Record<string, number> = {
  "\\p{N}": CPT_NUMBER,
  "\\p{L}": CPT_LETTER,
  "\\p{P}": CPT_PUNCTUATION,
  "\\p{M}": CPT_MARK,
  "\\p{S}": CPT_SYMBOL,
  "\\p{Lu}": CPT_LETTER,
  "\\p{Ll}": CPT_LETTER,
  "\\p{Lt}": CPT_LETTER,
  "\\p{Lm}": CPT_LETTER,
  "\\p{Lo}": CPT_LETTER,
};

function markFor(flags: number): string {
  for (const [flag, mark] of CATEGORY_MARK) if (flags & flag) return mark;
  return MARK_OTHER;
}

/** The collapsed copy of the text: one UTF-16 unit per code point. */
function collapse(cpts: readonly number[]): string {
  let s = "";
  for (const c of cpts) {
    if (c < 0x80) s += String.fromCharCode(c);
    else {
      const f = cptFlags(c);
      s += f & CPT_WHITESPACE ? "\u000b" : markFor(f);
    }
  }
  return s;
}

/** A llama.cpp regex rewritten for the collapsed text (JS syntax, no `u` flag needed). */
export function collapseRegex(expr: string): string {
  if (/[^\x00-\x7f]/.test(expr)) {
    throw new Error(`pre-tokenizer regex with non-ASCII characters is not supported: ${expr}`);
  }
  let out = "";
  let inside = false;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i]!;
    if (c === "[" && (i === 0 || expr[i - 1] !== "\\")) {
      out += "[";
      inside = true;
      continue;
    }
    if (inside && c === "]" && expr[i - 1] !== "\\") {
      out += "]";
      inside = false;
      continue;
    }
    if (c === "\\" && i + 3 < expr.length && expr[i + 1] === "p" && expr[i + 2] === "{") {
      const close = expr.indexOf("}", i + 3);
      if (close !== -1 && close <= i + 10) {
        const flag = CATEGORY_BY_NAME[expr.slice(i, close + 1)];
        if (flag !== undefined) {
          const [, mark, ascii] = CATEGORY_MARK.find(([f]) => f === flag)!;
          const body = `\\u${mark.charCodeAt(0).toString(16).padStart(4, "0")}${ascii}`;
          out += inside ? body : `[${body}]`;
          i = close;
          continue;
        }
      }
    }
    out += c;
  }
  return out;
}

type Step = { kind: "custom"; split: SegmentSplitter } | { kind: "regex"; re: RegExp };

function compileStep(expr: string): Step {
  if (expr === GPT2_REGEX) return { kind: "custom", split: splitGpt2 };
  if (expr === LLAMA3_REGEX || expr === LLAMA3_REGEX_ORIGINAL) return { kind: "custom", split: splitLlama3 };
  // Regexes without \p{..} run on the real code points in llama.cpp; for the ASCII-only ones
  // accepted here the collapsed text gives the same matches (non-ASCII code points can only meet
  // negated classes, whitespace is \v in both).
  return { kind: "regex", re: new RegExp(collapseRegex(expr), "g") };
}

function splitWithRegex(collapsed: string, re: RegExp, segments: readonly number[]): number[] {
  const out: number[] = [];
  let start = 0;
  for (const length of segments) {
    const sub = collapsed.slice(start, start + length);
    re.lastIndex = 0;
    let prev = 0;
    for (let m = re.exec(sub); m !== null; m = re.exec(sub)) {
      if (m[0].length === 0) {
        re.lastIndex++;
        continue;
      }
      if (m.index > prev) out.push(m.index - prev);
      out.push(m[0].length);
      prev = m.index + m[0].length;
    }
    if (prev < length) out.push(length - prev);
    start += length;
  }
  return out;
}

export class PreSplitter {
  private readonly steps: readonly Step[];
  private readonly needsCollapsed: boolean;

  constructor(readonly regexes: readonly string[]) {
    this.steps = regexes.map(compileStep);
    this.needsCollapsed = this.steps.some((s) => s.kind === "regex");
  }

  /** The words of `text`, in order; their concatenation is `text`. */
  split(text: string): string[] {
    const cpts = toCodePoints(text);
    if (cpts.length === 0) return [];
    const collapsed = this.needsCollapsed ? collapse(cpts) : "";
    let segments: number[] = [cpts.length];
    for (const step of this.steps) {
      segments = step.kind === "custom" ? step.split(cpts, segments) : splitWithRegex(collapsed, step.re, segments);
    }
    const words: string[] = [];
    let unit = 0;
    let cp = 0;
    for (const length of segments) {
      const from = unit;
      for (let k = 0; k < length; k++) unit += cpts[cp++]! > 0xffff ? 2 : 1;
      words.push(text.slice(from, unit));
    }
    return words;
  }
}
