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
  const words: number[] = [];
  const starts: number[] = [0];
  let seg = 0;
  let offsetInSeg = 0;
  for (let j = 0; j < numBlocks; j++) {
    words.push(DESCRIBED_BLOCK_TAG);
    let need = blockSize;
    while (need > 0) {
      const s = segments[seg];
      if (s === undefined) throw new RangeError(`prompt segments cover fewer than the prompt's ${numPromptTokens} tokens`);
      const take = Math.min(need, s.length - offsetInSeg);
      if (take > 0) words.push(s.stream, s.id, offsetInSeg, take);
      need -= take;
      offsetInSeg += take;
      if (offsetInSeg >= s.length) {
        seg++;
        offsetInSeg = 0;
      }
    }
    starts.push(words.length);
  }
  return hashWordBlocks(words, starts, salt, algorithm);
}
