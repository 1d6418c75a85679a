import { cleanSpacesMask } from "./pieces.js";
import type { Tokenizer } from "./tokenizer.js";
import { utf8Decoder } from "./unicode.js";

export interface IncrementalDetokenizerOptions {
  /** Leave out control and unknown tokens, as `decode(ids, { skipSpecial: true })`. Default false. */
  readonly skipSpecial?: boolean;
  /**
   * Tokens already in the text before the streamed ones (usually the prompt). They are not
   * emitted; they decide whether the first streamed token is the start of the text (whose
   * leading space decoding drops) and give the space-cleaning rules their left context.
   */
  readonly prefix?: readonly number[];
}

const SP = 0x20;
const APOS = 0x27;

/**
 * Turns a stream of token ids into text as it arrives, never splitting a character: a partial
 * UTF-8 sequence (for example across `<0xXX>` byte tokens) is held until complete, and invalid
 * bytes become U+FFFD. With no prefix, the concatenation of every `push` and the final `flush`
 * equals `decode` of all ids with the same options.
 *
 * Space cleaning (clean_up_tokenization_spaces) looks up to two bytes ahead, so with it bytes are
 * released only up to the last point preceded by two bytes that are neither space nor
 * apostrophe: no cleaning rule reaches across such a point, so the text before it is final.
 */
export class IncrementalDetokenizer {
  private readonly decoder = utf8Decoder();
  private readonly skipSpecial: boolean;
  private pending: number[] = [];
  /** Leading bytes of `pending` that come from the prefix: cleaned with the rest, never emitted. */
  private pendingPrefix = 0;
  private atStart = true;

  constructor(
    private readonly tok: Tokenizer,
    opts: IncrementalDetokenizerOptions = {},
  ) {
    this.skipSpecial = opts.skipSpecial ?? false;
    for (const id of opts.prefix ?? []) {
      this.append(id);
      this.pendingPrefix = this.pending.length;
      this.release(false);
    }
  }

  /** Adds one token; returns the text that became final. */
  push(id: number): string {
    this.append(id);
    return this.release(false);
  }

  /** Ends the stream: returns everything still held (an unfinished character as U+FFFD). */
  flush(): string {
    const text = this.release(true);
    return text + this.decoder.decode();
  }

  private append(id: number): void {
    let bytes = this.tok.tokenBytes(id, { skipSpecial: this.skipSpecial });
    if (this.atStart && this.tok.addSpacePrefix && bytes.length > 0 && bytes[0] === SP) bytes = bytes.subarray(1);
    this.atStart = false;
    for (const b of bytes) this.pending.push(b);
  }

  private release(all: boolean): string {
    const p = this.pending;
    let cut = p.length;
    let keep: Uint8Array | null = null;
    if (this.tok.cleanSpaces) {
      if (!all) {
        const plain = (b: number) => b !== SP && b !== APOS;
        while (cut >= 2 && !(plain(p[cut - 1]!) && plain(p[cut - 2]!))) cut--;
        if (cut < 2) return "";
      }
      keep = cleanSpacesMask(Uint8Array.from(p.slice(0, cut)));
    }
    const prefixBytes: number[] = [];
    const newBytes: number[] = [];
    for (let i = 0; i < cut; i++) {
      if (keep && keep[i] === 0) continue;
      (i < this.pendingPrefix ? prefixBytes : newBytes).push(p[i]!);
    }
    this.pending = p.slice(cut);
    this.pendingPrefix = Math.max(0, this.pendingPrefix - cut);
    // Prefix bytes still go through the decoder (output dropped) so a character they start completes.
    this.decoder.decode(Uint8Array.from(prefixBytes), { stream: true });
    return this.decoder.decode(Uint8Array.from(newBytes), { stream: true });
  }
}
