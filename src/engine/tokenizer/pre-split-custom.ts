import { CPT_LETTER, CPT_NUMBER, CPT_WHITESPACE, cptFlags } from "./unicode.js";

/**
 * Hand-written splitters for the two most common pre-tokenizer regexes. llama.cpp does not run a
 * regex engine for these but the equivalent state machines below (unicode.cpp), and their results
 * differ from a regex engine at the edges (its own whitespace set; a lone trailing space), so
 * these follow its rules step by step.
 *
 * Each takes code points and segment lengths (every earlier split is a boundary no word crosses)
 * and returns the lengths of the words, in code points.
 */
export type SegmentSplitter = (cpts: readonly number[], segments: readonly number[]) => number[];

const APOS = 0x27;
const SPACE = 0x20;
const CR = 0x0d;
const LF = 0x0a;
const lower = (c: number) => (c >= 0x41 && c <= 0x5a ? c | 0x20 : c);

/** A view of one segment: positions outside it read as "no code point" (flags 0, code -1). */
class Segment {
  constructor(
    private readonly cpts: readonly number[],
    readonly begin: number,
    readonly end: number,
    private readonly out: number[],
  ) {
    this.prevEnd = begin;
  }
  private prevEnd: number;
  cpt(pos: number): number {
    return pos >= this.begin && pos < this.end ? this.cpts[pos]! : -1;
  }
  flags(pos: number): number {
    return pos >= this.begin && pos < this.end ? cptFlags(this.cpts[pos]!) : 0;
  }
  /** Ends the current word at `end`; returns its length (0 words are not recorded). */
  emit(end: number): number {
    const len = end - this.prevEnd;
    if (len > 0) this.out.push(len);
    this.prevEnd = end;
    return len;
  }
}

/** `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+` */
export const splitGpt2: SegmentSplitter = (cpts, segments) => {
  const out: number[] = [];
  let start = 0;
  for (const length of segments) {
    const s = new Segment(cpts, start, start + length, out);
    start += length;
    for (let pos = s.begin; pos < s.end; ) {
      const cpt = s.cpt(pos);
      const flags = s.flags(pos);
      if (cpt === APOS && pos + 1 < s.end) {
        const next = s.cpt(pos + 1);
        if (next === 0x73 || next === 0x74 || next === 0x6d || next === 0x64) {
          pos += s.emit(pos + 2);
          continue;
        }
        if (pos + 2 < s.end) {
          const next2 = s.cpt(pos + 2);
          if ((next === 0x72 && next2 === 0x65) || (next === 0x76 && next2 === 0x65) || (next === 0x6c && next2 === 0x6c)) {
            pos += s.emit(pos + 3);
            continue;
          }
        }
      }
      let f2 = cpt === SPACE ? s.flags(pos + 1) : flags;
      if (f2 & CPT_LETTER) {
        if (cpt === SPACE) pos++;
        while (f2 & CPT_LETTER) f2 = s.flags(++pos);
        s.emit(pos);
        continue;
      }
      if (f2 & CPT_NUMBER) {
        if (cpt === SPACE) pos++;
        while (f2 & CPT_NUMBER) f2 = s.flags(++pos);
        s.emit(pos);
        continue;
      }
      if (!(f2 & (CPT_WHITESPACE | CPT_LETTER | CPT_NUMBER)) && f2 !== 0) {
        if (cpt === SPACE) pos++;
        while (!(f2 & (CPT_WHITESPACE | CPT_LETTER | CPT_NUMBER)) && f2 !== 0) f2 = s.flags(++pos);
        s.emit(pos);
        continue;
      }
      let spaces = 0;
      while (s.flags(pos + spaces) & CPT_WHITESPACE) spaces++;
      if (spaces > 1 && s.cpt(pos + spaces) !== -1) {
        // \s+(?!\S): leave the last whitespace to start the next word
        pos += spaces - 1;
        s.emit(pos);
        continue;
      }
      if (spaces > 0) {
        pos += spaces;
        s.emit(pos);
        continue;
      }
      s.emit(++pos);
    }
  }
  return out;
};

/**
 * `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
 * (Llama 3 and others).
 */
export const splitLlama3: SegmentSplitter = (cpts, segments) => {
  const out: number[] = [];
  let start = 0;
  for (const length of segments) {
    const s = new Segment(cpts, start, start + length, out);
    start += length;
    for (let pos = s.begin; pos < s.end; ) {
      const cpt = s.cpt(pos);
      const flags = s.flags(pos);
      if (cpt === APOS && pos + 1 < s.end) {
        const next = lower(s.cpt(pos + 1));
        if (next === 0x73 || next === 0x74 || next === 0x6d || next === 0x64) {
          pos += s.emit(pos + 2);
          continue;
        }
        if (pos + 2 < s.end) {
          const next2 = lower(s.cpt(pos + 2));
          if ((next === 0x72 && next2 === 0x65) || (next === 0x76 && next2 === 0x65) || (next === 0x6c && next2 === 0x6c)) {
            pos += s.emit(pos + 3);
            continue;
          }
        }
      }
      // [^\r\n\p{L}\p{N}]?\p{L}+
      if (!(cpt === CR || cpt === LF || flags & CPT_NUMBER)) {
        if (flags & CPT_LETTER || s.flags(pos + 1) & CPT_LETTER) {
          pos++;
          while (s.flags(pos) & CPT_LETTER) pos++;
          s.emit(pos);
          continue;
        }
      }
      // \p{N}{1,3}
      if (flags & CPT_NUMBER) {
        let ini = pos;
        while (s.flags(pos) & CPT_NUMBER) {
          if (++pos - ini >= 3) {
            s.emit(pos);
            ini = pos;
          }
        }
        s.emit(pos);
        continue;
      }
      // ` ?[^\s\p{L}\p{N}]+[\r\n]*`; the "is a code point" test is on the first position, as
      // llama.cpp has it, so a lone space at the very end of a segment is taken here.
      let f2 = cpt === SPACE ? s.flags(pos + 1) : flags;
      if (!(f2 & (CPT_WHITESPACE | CPT_LETTER | CPT_NUMBER)) && flags !== 0) {
        if (cpt === SPACE) pos++;
        while (!(f2 & (CPT_WHITESPACE | CPT_LETTER | CPT_NUMBER)) && f2 !== 0) f2 = s.flags(++pos);
        let c2 = s.cpt(pos);
        while (c2 === CR || c2 === LF) c2 = s.cpt(++pos);
        s.emit(pos);
        continue;
      }
      let spaces = 0;
      let lastNewlineEnd = 0;
      while (s.flags(pos + spaces) & CPT_WHITESPACE) {
        const c2 = s.cpt(pos + spaces);
        if (c2 === CR || c2 === LF) lastNewlineEnd = pos + spaces + 1;
        spaces++;
      }
      if (lastNewlineEnd > 0) {
        // \s*[\r\n]+
        pos = lastNewlineEnd;
        s.emit(pos);
        continue;
      }
      if (spaces > 1 && s.cpt(pos + spaces) !== -1) {
        pos += spaces - 1;
        s.emit(pos);
        continue;
      }
      if (spaces > 0) {
        pos += spaces;
        s.emit(pos);
        continue;
      }
      s.emit(++pos);
    }
  }
  return out;
};
