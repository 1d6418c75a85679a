import { drawTokens, drawTokensInto } from "../token-pool.js";
import { rngFor, STREAM } from "../rng.js";
import type { DatasetItem, PromptSegment } from "../types.js";
import type { TraceRow } from "./row.js";

export interface TraceDatasetParams {
  /** Tokens per Mooncake hash id (the trace was recorded with 512). */
  readonly blockSize: number;
  /** Clip prompts to this many tokens (a small model's context); prefixes stay shared. */
  readonly maxPromptTokens?: number;
  /** Clip outputs to this many tokens. */
  readonly maxOutputTokens?: number;
}

const BLOCK_CACHE_LIMIT = 4096;

export const DEFAULT_TRACE: TraceDatasetParams = { blockSize: 512 };

/**
 * Trace rows as requests. Lengths are the row's (clipped, at least 1). Rows with hash ids get
 * block b's content from a stream of (seed, hash id b), so equal ids give equal token blocks and
 * the trace's prefix sharing is reproduced; a last, partial block is the start of its block.
 * Tokens past the last block, and whole prompts of rows without hash ids, come from the row's own
 * stream (seed, row index): unique content, no sharing.
 */
export function* traceDataset(rows: readonly TraceRow[], params: TraceDatasetParams, pool: readonly number[], seed: number): Generator<DatasetItem> {
  // Bounded: a whole Mooncake trace holds ~44k distinct blocks (~90 MB as arrays); a block
  // missing from the cache is simply drawn again, identically.
  const blockCache = new Map<number, number[]>();
  const block = (hashId: number): number[] => {
    let b = blockCache.get(hashId);
    if (!b) {
      b = drawTokens(rngFor(seed, STREAM.block, hashId), pool, params.blockSize);
      if (blockCache.size >= BLOCK_CACHE_LIMIT) blockCache.clear();
      blockCache.set(hashId, b);
    }
    return b;
  };
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const inputLen = Math.max(1, Math.min(row.inputTokens, params.maxPromptTokens ?? Infinity));
    const outputTokens = Math.max(1, Math.min(row.outputTokens, params.maxOutputTokens ?? Infinity));
    // Filled by index, no growth copies (a trace has ~20 M prompt tokens). Made with room for the
    // answer, then cut to the prompt: V8 keeps the room, so a consumer that appends the generated
    // tokens to the prompt's array (the simulator's scheduler adopts it) never copies it.
    const prompt = new Array<number>(inputLen + outputTokens);
    prompt.length = inputLen;
    let len = 0;
    const segments: PromptSegment[] = [];
    for (const h of row.hashIds ?? []) {
      if (len >= inputLen) break;
      const take = Math.min(params.blockSize, inputLen - len);
      if (pool.length > 1) {
        const b = block(h);
        for (let k = 0; k < take; k++) prompt[len + k] = b[k]!;
      } else prompt.fill(pool[0]!, len, len + take);
      len += take;
      segments.push({ stream: STREAM.block, id: h, length: take });
    }
    if (len < inputLen) {
      if (pool.length > 1) drawTokensInto(rngFor(seed, STREAM.content, i), pool, prompt, len, inputLen - len);
      else prompt.fill(pool[0]!, len, inputLen);
      segments.push({ stream: STREAM.content, id: i, length: inputLen - len });
    }
    const first = row.hashIds?.[0];
    yield { promptTokenIds: prompt, outputTokens, traceTimeMs: row.timeMs, promptSegments: segments, ...(first !== undefined ? { prefixGroup: first } : {}) };
  }
}
