/**
 * Prefill and decode speed of Flotilla's forward pass against llama.cpp (node-llama-cpp) on the
 * same random-weight GGUF files and the same prompt, in one run. Prints a table of tokens/s and
 * ratios (Flotilla / llama.cpp). Usage: npm run bench:forward [-- --quick]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { getLlama, type Token } from "node-llama-cpp";
import type { Backend } from "../src/engine/backend/backend.js";
import { loadNativeBackend } from "../src/engine/backend/native/index.js";
import { RefBackend } from "../src/engine/backend/ref/ref-backend.js";
import { loadModel } from "../src/engine/model/model.js";
import { writeRandomModel } from "../src/engine/model/testing/random-model.js";
import { GgmlType, ggmlTypeName } from "../src/engine/quant/ggml-types.js";

const quick = process.argv.includes("--quick");
const PROMPT_TOKENS = quick ? 32 : 128;
const DECODE_TOKENS = quick ? 8 : 32;
const VOCAB = resolve(import.meta.dirname, "../../shared/models/vocab/ggml-vocab-llama-spm.gguf");

const shapes = [
  { name: "stories15M", dim: 288, numLayers: 6, numHeads: 6, numKvHeads: 6, ffnDim: 768 },
  { name: "stories110M", dim: 768, numLayers: 12, numHeads: 12, numKvHeads: 12, ffnDim: 2048 },
];
const types = [GgmlType.F16, GgmlType.Q8_0];

interface Row { model: string; type: string; who: string; prefillTps: number; decodeTps: number }

function promptTokens(n: number): number[] {
  const out = [1];
  let x = 42;
  while (out.length < n) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out.push(300 + (x % 20000));
  }
  return out;
}

/** The reference backend (1 thread) and, when built, the native one with 1 and 2 threads. */
function flotillaBackends(): Array<[string, Backend]> {
  const out: Array<[string, Backend]> = [["flotilla ref (1 thread)", new RefBackend()]];
  for (const threads of [1, 2]) {
    const native = loadNativeBackend({ threads });
    if (native) out.push([`flotilla ${native.name} (${threads} thread${threads > 1 ? "s" : ""})`, native]);
  }
  return out;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "flotilla-bench-"));
  const llama = await getLlama({ gpu: false, build: "never", logLevel: "error" as never });
  const rows: Row[] = [];
  const prompt = promptTokens(PROMPT_TOKENS);
  try {
    for (const shape of shapes) {
      for (const type of types) {
        const path = join(dir, `${shape.name}-${ggmlTypeName(type)}.gguf`);
        process.stderr.write(`writing ${shape.name} ${ggmlTypeName(type)} ...\n`);
        writeRandomModel(path, { ...shape, architecture: "llama", weightType: type, vocabFrom: VOCAB, contextLength: 1024, seed: 1 });

        for (const [who, backend] of flotillaBackends()) {
        const model = loadModel(path, { backend });
        const { transformer, config } = model;
        const blockSize = 16;
        const numBlocks = Math.ceil((PROMPT_TOKENS + DECODE_TOKENS) / blockSize);
        const cache = transformer.backend.allocKvCache({ numLayers: config.numLayers, numBlocks, blockSize, numKvHeads: config.numKvHeads, headDim: config.headDim, dtype: "f16" });
        const blockTable = Int32Array.from({ length: numBlocks }, (_, i) => i);
        let t0 = performance.now();
        let logits = transformer.forward({ tokens: Int32Array.from(prompt), sequences: [{ tokenStart: 0, numTokens: prompt.length, numCachedTokens: 0, blockTable, numLogits: 1 }] }, cache);
        const prefillMs = performance.now() - t0;
        t0 = performance.now();
        for (let i = 0; i < DECODE_TOKENS; i++) {
          let best = 0;
          for (let j = 1; j < logits.length; j++) if (logits[j]! > logits[best]!) best = j;
          logits = transformer.forward({ tokens: Int32Array.of(best), sequences: [{ tokenStart: 0, numTokens: 1, numCachedTokens: prompt.length + i, blockTable, numLogits: 1 }] }, cache);
        }
        const decodeMs = performance.now() - t0;
        rows.push({ model: shape.name, type: ggmlTypeName(type), who, prefillTps: (prompt.length / prefillMs) * 1000, decodeTps: (DECODE_TOKENS / decodeMs) * 1000 });
        }

        // llama.cpp with 1 and 2 threads.
        const lm = await llama.loadModel({ modelPath: path });
        for (const threads of [1, 2]) {
          const ctx = await lm.createContext({ contextSize: 1024, threads, batchSize: 512 });
          const seq = ctx.getSequence();
          let t = performance.now();
          await seq.evaluateWithoutGeneratingNewTokens(prompt as Token[]);
          const lPrefillMs = performance.now() - t;
          t = performance.now();
          let n = 0;
          for await (const _tok of seq.evaluate([prompt[prompt.length - 1]!] as Token[], { temperature: 0 })) {
            if (++n >= DECODE_TOKENS) break;
          }
          const lDecodeMs = performance.now() - t;
          rows.push({ model: shape.name, type: ggmlTypeName(type), who: `llama.cpp (${threads} threads)`, prefillTps: (prompt.length / lPrefillMs) * 1000, decodeTps: (DECODE_TOKENS / lDecodeMs) * 1000 });
          await ctx.dispose();
        }
        await lm.dispose();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  console.log(`\nprompt ${PROMPT_TOKENS} tokens, decode ${DECODE_TOKENS} tokens, random weights, Llama-2 vocabulary (32000)\n`);
  console.log("| model | weights | engine | prefill tok/s | decode tok/s | prefill ratio | decode ratio |");
  console.log("| --- | --- | --- | ---: | ---: | ---: | ---: |");
  for (const r of rows) {
    const threads = /\((\d) thread/.exec(r.who)?.[1] ?? "1";
    const peer = rows.find((p) => p.model === r.model && p.type === r.type && p.who === `llama.cpp (${threads} threads)`)!;
    const ratio = (a: number, b: number) => (a / b).toFixed(3);
    console.log(`| ${r.model} | ${r.type} | ${r.who} | ${r.prefillTps.toFixed(1)} | ${r.decodeTps.toFixed(1)} | ${ratio(r.prefillTps, peer.prefillTps)} | ${ratio(r.decodeTps, peer.decodeTps)} |`);
  }
  console.log("\nratios are against llama.cpp with the same thread count, in the same run");
}

await main();
