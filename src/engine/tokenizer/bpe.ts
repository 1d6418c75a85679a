import { Heap } from "./heap.js";

/**
 * Byte-level BPE merging of one pre-tokenizer word, as llama.cpp's `llm_tokenizer_bpe_session`:
 * the word is already spelled with GPT-2 byte characters (one UTF-16 unit per byte); adjacent
 * pieces are merged by lowest merge rank (leftmost on ties) until no rule applies, and each piece
 * becomes its token. A piece that is not a token (only possible with inconsistent merges) falls
 * back to single-character tokens for its ASCII characters; others are dropped, as there.
 */

interface BpeVocab {
  readonly textToId: ReadonlyMap<string, number>;
  /** "left right" -> rank. */
  readonly ranks: ReadonlyMap<string, number>;
  /** A word that is itself a token is emitted without merging (llama.cpp `ignore_merges`). */
  readonly ignoreMerges: boolean;
}

interface Bigram {
  readonly left: number;
  readonly right: number;
  readonly rank: number;
  /** Lengths of both sides when queued: if either changed, the entry is stale. */
  readonly leftLen: number;
  readonly rightLen: number;
}

const byRank = (a: Bigram, b: Bigram) => a.rank < b.rank || (a.rank === b.rank && a.left < b.left);

export function bpeWord(word: string, vocab: BpeVocab, out: number[]): void {
  if (word.length === 0) return;
  if (vocab.ignoreMerges) {
    const id = vocab.textToId.get(word);
    if (id !== undefined) {
      out.push(id);
      return;
    }
  }
  const count = word.length;
  const len = new Array<number>(count).fill(1);
  const prev = Array.from({ length: count }, (_, i) => i - 1);
  const next = Array.from({ length: count }, (_, i) => (i + 1 < count ? i + 1 : -1));

  const queue = new Heap<Bigram>(byRank);
  const tryAdd = (left: number, right: number) => {
    if (left === -1 || right === -1) return;
    const leftLen = len[left]!;
    const rightLen = len[right]!;
    const rank = vocab.ranks.get(`${word.substr(left, leftLen)} ${word.substr(right, rightLen)}`);
    if (rank !== undefined) queue.push({ left, right, rank, leftLen, rightLen });
  };
  for (let i = 1; i < count; i++) tryAdd(i - 1, i);

  for (let b = queue.pop(); b !== undefined; b = queue.pop()) {
    const { left, right } = b;
    // Positions never move and a piece only grows by absorbing its right neighbour, so equal
    // lengths mean the same two texts as when queued (llama.cpp compares the strings).
    if (len[left] !== b.leftLen || len[right] !== b.rightLen || b.rightLen === 0) continue;
    len[left] = b.leftLen + b.rightLen;
    len[right] = 0;
    next[left] = next[right]!;
    if (next[right]! >= 0) prev[next[right]!] = left;
    tryAdd(prev[left]!, left);
    tryAdd(left, next[left]!);
  }

  for (let i = 0; i !== -1; i = next[i]!) {
    const piece = word.substr(i, len[i]!);
    const id = vocab.textToId.get(piece);
    if (id !== undefined) {
      out.push(id);
      continue;
    }
    for (let k = 0; k < piece.length; k++) {
      if (piece.charCodeAt(k) >= 0x80) continue;
      const t = vocab.textToId.get(piece[k]!);
      if (t !== undefined) out.push(t);
    }
  }
}
