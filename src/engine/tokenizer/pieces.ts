import { charToByte } from "./byte-encoding.js";
import { ATTR_BYTE, ATTR_NORMAL, ATTR_SPECIAL, ATTR_USER_DEFINED } from "./token-attr.js";
import { toCodePoints, utf8Encode } from "./unicode.js";

/**
 * The bytes each token contributes to text, as llama.cpp's `token_to_piece` with special tokens
 * rendered: control, unknown and user-defined tokens give their text; SPM normal tokens their
 * text with U+2581 as space; byte-level BPE normal tokens the bytes their characters spell;
 * byte tokens `<0xXX>` their byte; unused and undefined tokens nothing.
 */
export class PieceTable {
  private readonly cache: Array<Uint8Array | undefined>;

  constructor(
    private readonly kind: "spm" | "bpe",
    private readonly texts: readonly string[],
    private readonly attrs: Uint16Array,
  ) {
    this.cache = new Array<Uint8Array | undefined>(texts.length);
  }

  /** The piece of a valid id (callers check the range). */
  piece(id: number): Uint8Array {
    let p = this.cache[id];
    if (p === undefined) {
      p = this.compute(id);
      this.cache[id] = p;
    }
    return p;
  }

  private compute(id: number): Uint8Array {
    const text = this.texts[id]!;
    const attr = this.attrs[id]!;
    if (attr & (ATTR_SPECIAL | ATTR_USER_DEFINED)) return utf8Encode(text);
    if (attr & ATTR_NORMAL) {
      return this.kind === "spm" ? utf8Encode(text.replaceAll("\u2581", " ")) : decodeByteChars(text);
    }
    if (attr & ATTR_BYTE) return Uint8Array.of(parseInt(text.substring(3, 5), 16) || 0);
    return new Uint8Array(0);
  }
}

/**
 * The bytes a byte-level BPE token text spells. A character outside the byte alphabet makes
 * llama.cpp write "[UNK_BYTE_0x<hex of its UTF-8>" followed by the whole token text and "]";
 * kept as is for identical output.
 */
function decodeByteChars(text: string): Uint8Array {
  const out: number[] = [];
  for (const cpt of toCodePoints(text)) {
    const b = charToByte(cpt);
    if (b !== undefined) {
      out.push(b);
      continue;
    }
    const hex = Array.from(utf8Encode(String.fromCodePoint(cpt)), (x) => x.toString(16).padStart(2, "0")).join("");
    out.push(...utf8Encode(`[UNK_BYTE_0x${hex}${text}]`));
  }
  return Uint8Array.from(out);
}

const SP = 0x20;
const APOS = 0x27;

/**
 * llama.cpp's `clean_spaces` pass over detokenized bytes, three passes in order:
 * drop a space before `?`, `!`, `.` or `,`; turn " ' " into "'"; drop a space before `'s`, `'m`,
 * `'re`, `'ve`. Every pass only deletes bytes, so the result is a subsequence of the input;
 * `keep[i]` says whether input byte i survives.
 */
export function cleanSpacesMask(text: Uint8Array): Uint8Array {
  const keep = new Uint8Array(text.length).fill(1);
  // Surviving positions, in order, after each pass.
  let cur: number[] = Array.from({ length: text.length }, (_, i) => i);
  const at = (i: number) => text[cur[i]!]!;

  // Pass 1: " ?", " !", " .", " ," lose the space.
  let kept: number[] = [];
  for (let i = 0; i < cur.length; i++) {
    const x = at(i);
    if (i > 0 && at(i - 1) === SP && (x === 0x3f || x === 0x21 || x === 0x2e || x === 0x2c)) {
      keep[kept.pop()!] = 0;
    }
    kept.push(cur[i]!);
  }
  cur = kept;

  // Pass 2: " ' " becomes "'"; the consumed trailing space cannot start another match.
  kept = [];
  let consumed = -1;
  for (let i = 0; i < cur.length; i++) {
    const x = at(i);
    if (i > 0 && x === APOS && i + 1 < cur.length && i - 1 !== consumed && at(i - 1) === SP && at(i + 1) === SP) {
      keep[kept.pop()!] = 0;
      kept.push(cur[i]!);
      keep[cur[i + 1]!] = 0;
      consumed = i + 1;
      i++;
      continue;
    }
    kept.push(cur[i]!);
  }
  cur = kept;

  // Pass 3: " 's", " 'm", " 're", " 've" lose the space (" 't", " 'd", " 'll" keep it).
  kept = [];
  for (let i = 0; i < cur.length; i++) {
    const x = at(i);
    if (i > 0 && at(i - 1) === SP && x === APOS && i + 1 < cur.length) {
      const x1 = at(i + 1);
      const x2 = i + 2 < cur.length ? at(i + 2) : -1;
      if (x1 === 0x73 || x1 === 0x6d || (x1 !== 0x74 && x1 !== 0x64 && x2 === 0x65 && (x1 === 0x72 || x1 === 0x76))) {
        keep[kept.pop()!] = 0;
      }
    }
    kept.push(cur[i]!);
  }
  return keep;
}

export function cleanSpaces(text: Uint8Array): Uint8Array {
  const keep = cleanSpacesMask(text);
  return text.filter((_, i) => keep[i] === 1);
}
