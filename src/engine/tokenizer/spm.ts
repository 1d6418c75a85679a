import { Heap } from "./heap.js";
import { utf8Encode } from "./unicode.js";

/**
 * SentencePiece BPE as llama.cpp runs it (`llm_tokenizer_spm_session`): start from single code
 * points, repeatedly merge the adjacent pair whose concatenation is the vocabulary token with the
 * highest score (leftmost on ties), then emit each piece as its token or, when it is none, as
 * `<0xXX>` byte tokens of its UTF-8 bytes.
 */

interface SpmVocab {
  readonly textToId: ReadonlyMap<string, number>;
  readonly scores: Float64Array;
  /** Token for a byte that has no piece of its own (`<0xXX>`, else the byte as text, else unknown). */
  byteToken(byte: number): number | null;
}

interface Bigram {
  readonly left: number;
  readonly right: number;
  readonly score: number;
  /** Length of left + right when queued; a different sum later means the entry is stale. */
  readonly size: number;
}

const byScore = (a: Bigram, b: Bigram) => a.score > b.score || (a.score === b.score && a.left < b.left);

/** Tokenizes text whose spaces are already escaped to U+2581, appending to `out`. */
export function spmTokenize(text: string, vocab: SpmVocab, out: number[]): void {
  // Symbols are code points, addressed by UTF-16 offset; a merged symbol spans its neighbours.
  const start: number[] = [];
  const len: number[] = [];
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    const n = c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
    start.push(i);
    len.push(n);
    i += n;
  }
  const count = start.length;
  if (count === 0) return;
  const prev = start.map((_, i) => i - 1);
  const next = start.map((_, i) => (i + 1 < count ? i + 1 : -1));

  const queue = new Heap<Bigram>(byScore);
  const tryAdd = (left: number, right: number) => {
    if (left === -1 || right === -1) return;
    const size = len[left]! + len[right]!;
    const id = vocab.textToId.get(text.substr(start[left]!, size));
    if (id === undefined) return;
    queue.push({ left, right, score: vocab.scores[id]!, size });
  };
  for (let i = 1; i < count; i++) tryAdd(i - 1, i);

  for (let b = queue.pop(); b !== undefined; b = queue.pop()) {
    const { left, right } = b;
    if (len[left] === 0 || len[right] === 0 || len[left]! + len[right]! !== b.size) continue;
    len[left] = b.size;
    len[right] = 0;
    next[left] = next[right]!;
    if (next[right]! >= 0) prev[next[right]!] = left;
    tryAdd(prev[left]!, left);
    tryAdd(left, next[left]!);
  }

  for (let i = 0; i !== -1; i = next[i]!) {
    const piece = text.substr(start[i]!, len[i]!);
    const id = vocab.textToId.get(piece);
    if (id !== undefined) {
      out.push(id);
      continue;
    }
    for (const byte of utf8Encode(piece)) {
      const t = vocab.byteToken(byte);
      if (t !== null) out.push(t);
    }
  }
}
