/**
 * Greedy outputs must not change with batching, chunked prefill, prefix caching or preemption:
 * the same engine code paths, different schedules, identical tokens.
 */
import { describe, expect, it } from "vitest";
import { RefBackend } from "../../src/engine/backend/ref/ref-backend.js";
import { Engine, type EngineConfig } from "../../src/engine/engine.js";
import { loadModel } from "../../src/engine/model/model.js";
import { STORIES_260K } from "../helpers/paths.js";

const model = loadModel(STORIES_260K, { backend: new RefBackend() });
const SYSTEM = "Once upon a time, there was a little girl named Lily. She loved to play outside with her friends.";
const PROMPTS = [
  `${SYSTEM} One day, she saw a big dog`,
  `${SYSTEM} One day, she found a red ball`,
  "Tom and his mom went to the park",
  `${SYSTEM} One day, she saw a big dog`, // exact repeat: a full prefix hit
  "The cat sat",
  `${SYSTEM} Her brother`,
];
const MAX_TOKENS = 24;

async function runAll(config: Partial<EngineConfig>, opts: { sequential?: boolean } = {}) {
  const engine = new Engine(model, config);
  const results: number[][] = [];
  const run = async (prompt: string) => {
    const ids = model.tokenizer.encode(prompt, { addSpecial: true });
    const handle = engine.addRequest({ promptTokenIds: ids, sampling: { temperature: 0 }, maxTokens: MAX_TOKENS, ignoreEos: true });
    const out: number[] = [];
    for await (const d of handle) out.push(...d.tokenIds);
    return out;
  };
  if (opts.sequential) {
    for (const p of PROMPTS) results.push(await run(p));
  } else {
    results.push(...(await Promise.all(PROMPTS.map(run))));
  }
  await engine.idle();
  engine.kv.assertInvariants();
  expect(engine.kv.numUsedBlocks).toBe(0);
  expect(engine.kv.numFreeBlocks).toBe(engine.kv.numBlocks);
  return { results, engine };
}

describe("greedy outputs are identical under every schedule", () => {
  let reference: number[][];

  it("one request at a time, no prefix caching, whole-prompt prefill (the reference)", async () => {
    const { results } = await runAll({ maxNumSeqs: 1, maxNumBatchedTokens: 512, enablePrefixCaching: false, blockSize: 4 }, { sequential: true });
    reference = results;
    for (const r of results) expect(r).toHaveLength(MAX_TOKENS);
  });

  const variants: Array<[string, Partial<EngineConfig>]> = [
    ["one at a time, prefix caching on (repeats and shared system prompt hit the cache)", { maxNumSeqs: 1, maxNumBatchedTokens: 512, enablePrefixCaching: true, blockSize: 4 }],
    ["one at a time, prefix caching on with fast64 block hashes", { maxNumSeqs: 1, maxNumBatchedTokens: 512, enablePrefixCaching: true, blockSize: 4, prefixCachingHashAlgo: "fast64" }],
    ["batched, prefix caching on", { maxNumSeqs: 8, maxNumBatchedTokens: 512, enablePrefixCaching: true, blockSize: 4 }],
    ["batched, prefix caching off", { maxNumSeqs: 8, maxNumBatchedTokens: 512, enablePrefixCaching: false, blockSize: 4 }],
    ["chunks of 1 token", { maxNumSeqs: 8, maxNumBatchedTokens: 1, enablePrefixCaching: true, blockSize: 4 }],
    ["chunks of 7 tokens", { maxNumSeqs: 8, maxNumBatchedTokens: 7, enablePrefixCaching: true, blockSize: 4 }],
    ["block size 16, f32 KV", { maxNumSeqs: 8, maxNumBatchedTokens: 512, blockSize: 16, kvDtype: "f32" }],
    // 20 blocks of 4 tokens cannot hold six ~30-token requests growing to ~55: preemption is forced.
    ["forced preemption (tiny KV pool), FCFS", { maxNumSeqs: 8, maxNumBatchedTokens: 64, blockSize: 4, numKvBlocks: 20 }],
    ["forced preemption (tiny KV pool), priority", { maxNumSeqs: 8, maxNumBatchedTokens: 64, blockSize: 4, numKvBlocks: 20, policy: "priority" }],
  ];
  for (const [name, config] of variants) {
    it(name, async () => {
      const sequential = name.startsWith("one at a time");
      const { results, engine } = await runAll(config, { sequential });
      if (config.kvDtype === "f32") {
        // f32 vs f16 KV can legitimately differ; check against its own sequential run instead.
        const { results: seq } = await runAll({ ...config, maxNumSeqs: 1 }, { sequential: true });
        expect(results).toEqual(seq);
        return;
      }
      expect(results).toEqual(reference);
      if (name.startsWith("forced preemption")) expect(engine.numPreemptions).toBeGreaterThan(0);
      if (sequential) {
        // Prompts 1, 3 and 5 share the system prompt with earlier ones; prompt 3 repeats prompt 0.
        const systemTokens = model.tokenizer.encode(SYSTEM, { addSpecial: true }).length;
        expect(engine.kv.prefixCacheStats.numHitTokens).toBeGreaterThanOrEqual(3 * Math.floor(systemTokens / 4) * 4);
      }
    });
  }
});
