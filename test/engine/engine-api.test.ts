import { describe, expect, it } from "vitest";
import { RefBackend } from "../../src/engine/backend/ref/ref-backend.js";
import { Engine, type OutputDelta } from "../../src/engine/engine.js";
import { loadModel } from "../../src/engine/model/model.js";
import { computeLogprobs } from "../../src/engine/sampler/index.js";
import { StopStringMatcher } from "../../src/engine/stop-strings.js";
import { STORIES_260K } from "../helpers/paths.js";

const model = loadModel(STORIES_260K, { backend: new RefBackend() });
const prompt = model.tokenizer.encode("Once upon a time", { addSpecial: true });

async function collect(it: AsyncIterable<OutputDelta>) {
  const deltas: OutputDelta[] = [];
  for await (const d of it) deltas.push(d);
  return deltas;
}

describe("Engine", () => {
  it("streams deltas whose text concatenates to the decoded tokens", async () => {
    const engine = new Engine(model);
    const deltas = await collect(engine.addRequest({ promptTokenIds: prompt, sampling: { temperature: 0 }, maxTokens: 20 }));
    const ids = deltas.flatMap((d) => d.tokenIds);
    expect(ids).toHaveLength(20);
    expect(deltas.map((d) => d.text).join("")).toBe(model.tokenizer.decode(ids, { skipSpecial: true }));
    const last = deltas[deltas.length - 1]!;
    expect(last).toMatchObject({ finishReason: "length", numPromptTokens: prompt.length, numOutputTokens: 20, numPreemptions: 0 });
    expect(last.queueTimeMs).toBeGreaterThanOrEqual(0);
    expect(deltas.slice(0, -1).every((d) => d.finishReason === undefined)).toBe(true);
  });

  it("stops before a stop string, which is not emitted", async () => {
    const engine = new Engine(model);
    const full = (await collect(engine.addRequest({ promptTokenIds: prompt, sampling: { temperature: 0 }, maxTokens: 40 }))).map((d) => d.text).join("");
    const at = full.indexOf("Lily");
    expect(at).toBeGreaterThan(0);
    const deltas = await collect(engine.addRequest({ promptTokenIds: prompt, sampling: { temperature: 0 }, maxTokens: 40, stop: ["Lily", "zzz"] }));
    expect(deltas.map((d) => d.text).join("")).toBe(full.slice(0, at));
    expect(deltas[deltas.length - 1]!.finishReason).toBe("stop");
    await engine.idle();
    expect(engine.kv.numUsedBlocks).toBe(0);
  });

  it("a consumer that stops reading aborts the request and frees its blocks at once", async () => {
    const engine = new Engine(model);
    const handle = engine.addRequest({ promptTokenIds: prompt, sampling: { temperature: 0 }, maxTokens: 500, ignoreEos: true });
    let n = 0;
    for await (const _ of handle) if (++n === 3) break;
    expect(engine.kv.numUsedBlocks).toBe(0);
    expect(engine.numRunning + engine.numWaiting).toBe(0);
  });

  it("abort() of a waiting request ends its stream with finishReason abort", async () => {
    const engine = new Engine(model, { maxNumSeqs: 1 });
    const a = engine.addRequest({ promptTokenIds: prompt, sampling: { temperature: 0 }, maxTokens: 30, ignoreEos: true });
    const b = engine.addRequest({ promptTokenIds: prompt, sampling: { temperature: 0 }, maxTokens: 30, ignoreEos: true });
    b.abort();
    const [da, db] = await Promise.all([collect(a), collect(b)]);
    expect(db).toHaveLength(1);
    expect(db[0]).toMatchObject({ finishReason: "abort", tokenIds: [] });
    expect(da[da.length - 1]!.finishReason).toBe("length");
    await engine.idle();
    expect(engine.kv.numFreeBlocks).toBe(engine.kv.numBlocks);
  });

  it("returns logprobs when asked, consistent with the sampled token", async () => {
    const engine = new Engine(model);
    const deltas = await collect(engine.addRequest({ promptTokenIds: prompt, sampling: { temperature: 0, logprobs: 3 }, maxTokens: 5 }));
    for (const d of deltas) {
      for (const [i, lp] of (d.logprobs ?? []).entries()) {
        expect(lp.tokenId).toBe(d.tokenIds[i]);
        expect(lp.topLogprobs).toHaveLength(3);
        // Greedy: the chosen token is the most likely one.
        expect(lp.topLogprobs![0]!.tokenId).toBe(lp.tokenId);
        expect(lp.logprob).toBeLessThanOrEqual(0);
      }
    }
    expect(deltas.flatMap((d) => d.logprobs ?? [])).toHaveLength(5);
  });

  it("scores the prompt (echo + logprobs): same values with chunked prefill and when the prefix is cached", async () => {
    const text = "Once upon a time, there was a little girl named Lily. She loved to play";
    const ids = model.tokenizer.encode(text, { addSpecial: true });
    // Reference: one forward pass with logits at every position.
    const { transformer, config } = model;
    const cache = transformer.backend.allocKvCache({ numLayers: config.numLayers, numBlocks: 4, blockSize: 16, numKvHeads: config.numKvHeads, headDim: config.headDim, dtype: "f16" });
    const all = transformer.forward({ tokens: Int32Array.from(ids), sequences: [{ tokenStart: 0, numTokens: ids.length, numCachedTokens: 0, blockTable: Int32Array.of(0, 1, 2, 3), numLogits: ids.length }] }, cache);
    const expected = ids.slice(1).map((next, i) => computeLogprobs(all.subarray(i * config.vocabSize, (i + 1) * config.vocabSize), next, 2));
    for (const maxNumBatchedTokens of [512, 3]) {
      const engine = new Engine(model, { maxNumBatchedTokens, blockSize: 4 });
      // Warm the prefix cache with the same prompt: scoring must not reuse it.
      await collect(engine.addRequest({ promptTokenIds: ids, sampling: { temperature: 0 }, maxTokens: 2 }));
      const deltas = await collect(engine.addRequest({ promptTokenIds: ids, sampling: { temperature: 0 }, maxTokens: 2, promptLogprobs: 2 }));
      const scores = deltas[0]!.promptLogprobs!;
      expect(scores).toHaveLength(ids.length);
      expect(scores[0]).toBeNull();
      scores.slice(1).forEach((s, i) => {
        expect(s!.logprob).toBeCloseTo(expected[i]!.logprob, 4);
        expect(s!.rank).toBe(expected[i]!.rank);
        expect(s!.topLogprobs.map((t) => t.tokenId)).toEqual(expected[i]!.topLogprobs.map((t) => t.tokenId));
      });
      expect(deltas.slice(1).every((d) => d.promptLogprobs === undefined)).toBe(true);
      expect(deltas[deltas.length - 1]!.numCachedTokens).toBe(0);
    }
  });

  it("rejects bad requests before queueing anything", () => {
    const engine = new Engine(model);
    expect(() => engine.addRequest({ promptTokenIds: prompt, sampling: { temperature: -1 } })).toThrow(/temperature/);
    expect(() => engine.addRequest({ promptTokenIds: [1, 99999] })).toThrow(/outside the vocabulary/);
    expect(() => engine.addRequest({ promptTokenIds: new Array(5000).fill(5) })).toThrow(/context/);
    expect(engine.numWaiting).toBe(0);
  });

  it("same seed, same sampled tokens, whatever runs beside it", async () => {
    const engine = new Engine(model, { maxNumSeqs: 8 });
    const req = { promptTokenIds: prompt, sampling: { temperature: 1, seed: 42 }, maxTokens: 16, ignoreEos: true };
    const alone = (await collect(engine.addRequest(req))).flatMap((d) => d.tokenIds);
    const crowd = await Promise.all([
      collect(engine.addRequest(req)),
      collect(engine.addRequest({ ...req, sampling: { temperature: 1, seed: 7 } })),
      collect(engine.addRequest({ ...req, promptTokenIds: model.tokenizer.encode("The big dog", { addSpecial: true }) })),
    ]);
    expect(crowd[0]!.flatMap((d) => d.tokenIds)).toEqual(alone);
  });
});

describe("StopStringMatcher", () => {
  it("holds back a possible stop-string prefix and cuts at the earliest stop", () => {
    const m = new StopStringMatcher(["END", "xy"]);
    expect(m.push("hello E")).toEqual({ text: "hello ", stopped: false });
    expect(m.push("N")).toEqual({ text: "", stopped: false });
    expect(m.push("Dless")).toEqual({ text: "", stopped: true });
    const n = new StopStringMatcher(["END"]);
    expect(n.push("a E")).toEqual({ text: "a ", stopped: false });
    expect(n.push("x")).toEqual({ text: "Ex", stopped: false });
    expect(n.flush()).toBe("");
    const o = new StopStringMatcher(["ab"]);
    expect(o.push("za")).toEqual({ text: "z", stopped: false });
    expect(o.flush()).toBe("a");
  });
});
