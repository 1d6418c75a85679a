/**
 * End to end: greedy generation of 48 tokens on the real stories260K model gives the same tokens
 * with the native backend (every ISA this CPU has) as with the TypeScript reference; and one
 * batched forward over several sequences gives bitwise the same logits as running each alone.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { RefBackend } from "../../src/engine/backend/ref/ref-backend.js";
import { generateOne } from "../../src/engine/generate.js";
import { loadModel, type LoadedModel } from "../../src/engine/model/model.js";
import type { SampleResult } from "../../src/engine/sampler/index.js";
import { STORIES_260K } from "../helpers/paths.js";
import { describeNative, expectIdentical, ISAS, nativeBackend } from "./helpers.js";

const PROMPTS = ["Once upon a time, there was a little girl named Lily.", "The cat sat", "Tom and his mom went to the park. They"];
const MAX_TOKENS = 48;

function argmax(logits: Float32Array): SampleResult {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  return { tokenId: best };
}

function greedy(model: LoadedModel, prompt: string): number[] {
  const ids = model.tokenizer.encode(prompt, { addSpecial: true });
  const out: number[] = [];
  for (const ev of generateOne(model, ids, argmax, { maxTokens: MAX_TOKENS, stopAtEog: false })) if (ev.kind === "token") out.push(ev.sample.tokenId);
  return out;
}

describeNative("native backend on stories260K", () => {
  let expected: number[][] = [];
  beforeAll(() => {
    const refModel = loadModel(STORIES_260K, { backend: new RefBackend() });
    expected = PROMPTS.map((p) => greedy(refModel, p));
  });

  for (const isa of ISAS) {
    describe(isa, () => {
      let model: LoadedModel;
      beforeAll(() => {
        model = loadModel(STORIES_260K, { backend: nativeBackend(isa, 2) });
      });
      PROMPTS.forEach((prompt, i) => {
        it(`greedy ${MAX_TOKENS} tokens match the reference: "${prompt}"`, () => {
          expect(greedy(model, prompt)).toEqual(expected[i]);
        });
      });

      it("a batched forward gives each sequence bitwise the logits it gets alone", () => {
        const { transformer, config, tokenizer } = model;
        const ids = PROMPTS.map((p) => tokenizer.encode(p, { addSpecial: true }));
        const blockSize = 4;
        const shape = { numLayers: config.numLayers, numBlocks: 64, blockSize, numKvHeads: config.numKvHeads, headDim: config.headDim, dtype: "f16" as const };
        const tables = ids.map((p, s) => Int32Array.from({ length: Math.ceil(p.length / blockSize) }, (_, i) => 63 - (s * 16 + i)));
        const batched = transformer.forward(
          {
            tokens: Int32Array.from(ids.flat()),
            sequences: ids.map((p, s) => ({ tokenStart: ids.slice(0, s).reduce((n, q) => n + q.length, 0), numTokens: p.length, numCachedTokens: 0, blockTable: tables[s]!, numLogits: 2 })),
          },
          transformer.backend.allocKvCache(shape),
        );
        const v = config.vocabSize;
        ids.forEach((p, s) => {
          const alone = transformer.forward(
            { tokens: Int32Array.from(p), sequences: [{ tokenStart: 0, numTokens: p.length, numCachedTokens: 0, blockTable: tables[s]!, numLogits: 2 }] },
            transformer.backend.allocKvCache(shape),
          );
          expectIdentical(batched.subarray(2 * s * v, 2 * (s + 1) * v), alone, `sequence ${s}`);
        });
      });
    });
  }
});
