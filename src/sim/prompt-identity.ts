import { type BlockHash, type BlockHashAlgorithm, hashWordBlocks } from "../engine/kv/block-hash.js";
import type { PromptSegment } from "./workload.js";

/** First word of every described block: keeps its words apart from a block of token ids. */
const DESCRIBED_BLOCK_TAG = 0x64736372; // "dscr"

/**
 * Prefix-cache hashes of a prompt's full KV blocks from a description of its content
 * (`DatasetItem.promptSegments`) instead of its tokens: block j's words are, for each piece of a
 * segment it covers, the segment's stream, id, the piece's offset in the segment and its length.
 * Two prompts then get equal hashes for block j exactly when their first (j + 1) x blockSize
 * tokens come from the same pieces of the same streams, which is when those tokens are equal
 * (streams differ with overwhelming odds): the prefix-cache behaviour of the drawn tokens,
 * without drawing or hashing them. The chain continues over generated tokens as usual.
 */
export function describedBlockHashes(segments: readonly PromptSegment[], numPromptTokens: number, blockSize: number, salt: string | undefined, algorithm: BlockHashAlgorithm): BlockHash[] {
  const numBlocks = Math.floor(numPromptTokens / blockSize);
  // Reused buffers (a trace has tens of thousands of prompts): words of all blocks, block starts.
  // A block has at most one piece per token: 1 + 4 x blockSize words.
  const words = scratch(wordsScratch, numBlocks * (1 + 4 * blockSize), (a) => (wordsScratch = a));
  const starts = scratch(startsScratch, numBlocks + 1, (a) => (startsScratch = a));
  let n = 0;
  let seg = 0;
  let offsetInSeg = 0;
  starts[0] = 0;
  for (let j = 0; j < numBlocks; j++) {
    words[n++] = DESCRIBED_BLOCK_TAG;
    let need = blockSize;
    while (need > 0) {
      const s = segments[seg];
      if (s === undefined) throw new RangeError(`prompt segments cover fewer than the prompt's ${numPromptTokens} tokens`);
      const take = Math.min(need, s.length - offsetInSeg);
      if (take > 0) {
        words[n++] = s.stream;
        words[n++] = s.id;
        words[n++] = offsetInSeg;
        words[n++] = take;
      }
      need -= take;
      offsetInSeg += take;
      if (offsetInSeg >= s.length) {
        seg++;
        offsetInSeg = 0;
      }
    }
    starts[j + 1] = n;
  }
  return hashWordBlocks(words, starts.subarray(0, numBlocks + 1), salt, algorithm);
}

let wordsScratch: Uint32Array = new Uint32Array(1024);
let startsScratch: Uint32Array = new Uint32Array(64);

/** `buffer` if it holds `size` entries, else a larger one (kept through `keep`). */
function scratch(buffer: Uint32Array, size: number, keep: (grown: Uint32Array) => void): Uint32Array {
  if (buffer.length >= size) return buffer;
  const grown = new Uint32Array(Math.max(size, 2 * buffer.length));
  keep(grown);
  return grown;
}
