import { bytesToChars } from "./byte-encoding.js";
import { bpeWord } from "./bpe.js";
import { partition } from "./partition.js";
import { cleanSpaces, PieceTable } from "./pieces.js";
import { PreSplitter } from "./pre-split.js";
import { spmTokenize } from "./spm.js";
import { ATTR_CONTROL, ATTR_SPECIAL } from "./token-attr.js";
import { utf8Decode, utf8Encode, wellFormed } from "./unicode.js";
import type { Vocab } from "./vocab.js";

export interface EncodeOptions {
  /** Add BOS/EOS as the model's metadata asks (llama.cpp `add_special`). Default true. */
  readonly addSpecial?: boolean;
  /**
   * Turn control tokens written in the text (e.g. `<|eot_id|>`, `<s>`) into those tokens
   * (llama.cpp `parse_special`). Default false: text from users should not inject them.
   * User-defined tokens are matched either way, as in llama.cpp.
   */
  readonly parseSpecial?: boolean;
}

export interface DecodeOptions {
  /** Leave out control and unknown tokens (llama.cpp `unparse_special` = false). Default false. */
  readonly skipSpecial?: boolean;
  /**
   * Keep the leading space of the first token. By default, with vocabularies that add a space
   * prefix (SentencePiece), one leading space of the first token is dropped, as llama.cpp's
   * detokenizer does; after a BOS token nothing is dropped, since the BOS is the first token.
   */
  readonly keepLeadingSpace?: boolean;
}

export interface Tokenizer {
  readonly kind: "spm" | "bpe";
  readonly vocabSize: number;
  readonly bosId: number | null;
  readonly eosId: number | null;
  readonly eotId: number | null;
  readonly addBos: boolean;
  readonly addEos: boolean;
  /** Text gets a leading space when encoded, and decoding drops one from the first token. */
  readonly addSpacePrefix: boolean;
  /** Decoding removes spaces before punctuation and in contractions (clean_up_tokenization_spaces). */
  readonly cleanSpaces: boolean;
  encode(text: string, opts?: EncodeOptions): number[];
  decode(ids: readonly number[], opts?: DecodeOptions): string;
  /** The exact bytes the token contributes to decoded text (before space cleaning). */
  tokenBytes(id: number, opts?: { readonly skipSpecial?: boolean }): Uint8Array;
  /** The raw vocabulary string. */
  tokenText(id: number): string;
  /** End of generation: EOS, EOT, EOM and the other tokens llama.cpp's `llama_vocab_is_eog` accepts. */
  isEog(id: number): boolean;
  isControl(id: number): boolean;
}

const EMPTY = new Uint8Array(0);
const WORD_CACHE_LIMIT = 65536;

/** A llama.cpp-compatible tokenizer over a loaded vocabulary. */
export class VocabTokenizer implements Tokenizer {
  readonly kind: "spm" | "bpe";
  readonly vocabSize: number;
  readonly bosId: number | null;
  readonly eosId: number | null;
  readonly eotId: number | null;
  readonly addBos: boolean;
  readonly addEos: boolean;
  readonly addSpacePrefix: boolean;
  readonly cleanSpaces: boolean;
  private readonly pieces: PieceTable;
  private readonly splitter: PreSplitter | null;
  /** BPE results per pre-tokenizer word: text repeats its words a lot. */
  private readonly wordCache = new Map<string, readonly number[]>();
  private readonly byteTokens: Array<number | null>;

  constructor(private readonly vocab: Vocab) {
    this.kind = vocab.kind;
    this.vocabSize = vocab.texts.length;
    this.bosId = vocab.ids.bos;
    this.eosId = vocab.ids.eos;
    this.eotId = vocab.ids.eot;
    this.addBos = vocab.addBos;
    this.addEos = vocab.addEos;
    this.addSpacePrefix = vocab.addSpacePrefix;
    this.cleanSpaces = vocab.cleanSpaces;
    this.pieces = new PieceTable(vocab.kind, vocab.texts, vocab.attrs);
    this.splitter = vocab.bpe ? new PreSplitter(vocab.bpe.pre.regexes) : null;
    this.byteTokens = Array.from({ length: 256 }, (_, b) => this.findByteToken(b));
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    const addSpecial = opts.addSpecial ?? true;
    const v = this.vocab;
    const frags = partition(wellFormed(text), v.partitionOrder, v.texts, v.attrs, opts.parseSpecial ?? false);
    const out: number[] = [];
    if (addSpecial && v.addBos) out.push(v.ids.bos!);
    let prevSpecial = true;
    for (const f of frags) {
      if ("token" in f) {
        out.push(f.token);
        prevSpecial = true;
      } else if (this.splitter) {
        this.encodeBpe(f.text, this.splitter, out);
      } else {
        // SPM: a space before text that starts the input or follows a special token.
        const t = v.addSpacePrefix && prevSpecial ? ` ${f.text}` : f.text;
        spmTokenize(t.replaceAll(" ", "\u2581"), { textToId: v.textToId, scores: v.scores, byteToken: (b) => this.byteTokens[b]! }, out);
        prevSpecial = false;
      }
    }
    if (addSpecial && v.addEos) out.push(v.ids.eos!);
    return out;
  }

  private encodeBpe(text: string, splitter: PreSplitter, out: number[]): void {
    const bpe = this.vocab.bpe!;
    const merge = { textToId: this.vocab.textToId, ranks: bpe.ranks, ignoreMerges: bpe.pre.ignoreMerges };
    for (const word of splitter.split(text)) {
      let ids = this.wordCache.get(word);
      if (ids === undefined) {
        const fresh: number[] = [];
        bpeWord(bytesToChars(utf8Encode(word)), merge, fresh);
        if (this.wordCache.size >= WORD_CACHE_LIMIT) this.wordCache.clear();
        this.wordCache.set(word, fresh);
        ids = fresh;
      }
      for (const id of ids) out.push(id);
    }
  }

  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    const parts: Uint8Array[] = [];
    let total = 0;
    let stripSpace = this.addSpacePrefix && !opts.keepLeadingSpace;
    for (const id of ids) {
      let p = this.tokenBytes(id, opts);
      if (stripSpace && p.length > 0 && p[0] === 0x20) p = p.subarray(1);
      stripSpace = false;
      parts.push(p);
      total += p.length;
    }
    let bytes: Uint8Array = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.length;
    }
    if (this.cleanSpaces) bytes = cleanSpaces(bytes);
    return utf8Decode(bytes);
  }

  tokenBytes(id: number, opts: { readonly skipSpecial?: boolean } = {}): Uint8Array {
    this.check(id);
    if (opts.skipSpecial && this.vocab.attrs[id]! & ATTR_SPECIAL) return EMPTY;
    return this.pieces.piece(id);
  }

  tokenText(id: number): string {
    this.check(id);
    return this.vocab.texts[id]!;
  }

  isEog(id: number): boolean {
    return this.vocab.eog.has(id);
  }

  isControl(id: number): boolean {
    return Number.isInteger(id) && id >= 0 && id < this.vocabSize && (this.vocab.attrs[id]! & ATTR_CONTROL) !== 0;
  }

  private check(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      throw new RangeError(`token id ${id} is outside the vocabulary (0..${this.vocabSize - 1})`);
    }
  }

  /** llama.cpp `byte_to_token` for SPM: `<0xXX>`, else the byte itself as text; unknown if neither. */
  private findByteToken(b: number): number | null {
    const hex = b.toString(16).toUpperCase().padStart(2, "0");
    const id = this.vocab.textToId.get(`<0x${hex}>`) ?? (b < 0x80 ? this.vocab.textToId.get(String.fromCharCode(b)) : undefined);
    return id ?? this.vocab.ids.unk;
  }
}
