import { describe, expect, it } from "vitest";
import { findBuiltinGpu, BUILTIN_GPUS } from "../../src/sim/hardware/builtin-gpus.js";
import { parseGpuSpec } from "../../src/sim/hardware/gpu-file.js";
import { numParams } from "../../src/sim/model/architecture.js";
import { BUILTIN_MODELS, findBuiltinModel } from "../../src/sim/model/builtin-models.js";
import { architectureFromGguf } from "../../src/sim/model/from-gguf.js";
import { kvCapacity } from "../../src/sim/perf/capacity.js";
import { attentionPairs, deploymentCosts } from "../../src/sim/perf/deployment.js";
import { predictProfilePoint } from "../../src/sim/perf/profile.js";
import { RooflineStepTime } from "../../src/sim/perf/roofline.js";
import { STORIES_260K } from "../helpers/paths.js";

const h100 = findBuiltinGpu("H100-SXM")!;
const llama70 = findBuiltinModel("llama-2-70b")!;
const model = (name: string, tp: number, gpu = h100) => new RooflineStepTime(gpu, deploymentCosts({ model: findBuiltinModel(name)!, tp, weightBytesPerParam: 2, kvBytesPerElement: 2 }));
const prefill = (batch: number, prompt: number) => Array.from({ length: batch }, () => ({ numComputedTokens: 0, numScheduledTokens: prompt, sample: true }));
const decode = (batch: number, context: number) => Array.from({ length: batch }, () => ({ numComputedTokens: context, numScheduledTokens: 1, sample: true }));

describe("model and GPU tables", () => {
  it("parameter counts from the shapes match the model cards within 2%", () => {
    for (const m of BUILTIN_MODELS) expect(Math.abs(numParams(m) / m.documentedParams! - 1)).toBeLessThan(0.02);
  });

  it("names resolve loosely; a GGUF file's metadata gives its shape", () => {
    expect(findBuiltinModel("llama2-70b")).toBe(llama70);
    expect(findBuiltinGpu("h100")?.name).toBe("H100-SXM");
    const stories = architectureFromGguf(STORIES_260K);
    expect(stories).toMatchObject({ numLayers: 5, hiddenSize: 64, numHeads: 8, numKvHeads: 4, vocabSize: 512, ffnKind: "gated" });
    expect(stories.weightBytes).toBeGreaterThan(0);
  });

  it("a JSON spec fills missing coefficients and rejects nonsense", () => {
    const spec = parseGpuSpec({ name: "x", matmulFlopsPerSec: 1e14, memoryBandwidthBytesPerSec: 1e12, memoryBytes: 1e10, interconnectBytesPerSec: 1e10, pricePerHourUsd: 1, coefficients: { stepOverheadMs: 1 } }, "x.json");
    expect(spec.coefficients.stepOverheadMs).toBe(1);
    expect(spec.coefficients.memoryEfficiency).toBeGreaterThan(0);
    expect(() => parseGpuSpec({ name: "x", matmulFlopsPerSec: -1 }, "bad.json")).toThrow(/bad.json: not a GPU spec/);
    for (const g of BUILTIN_GPUS) expect(parseGpuSpec(JSON.parse(JSON.stringify(g)), g.name)).toEqual(g);
  });
});

describe("roofline step time", () => {
  it("causal attention pairs: a prompt of n has n(n+1)/2, a decode after c cached has c + 1", () => {
    expect(attentionPairs(0, 4)).toBe(10);
    expect(attentionPairs(100, 1)).toBe(101);
    expect(attentionPairs(8, 4)).toBe(4 * 8 + 10);
  });

  it("grows with batch, prompt and context", () => {
    const m = model("Llama-3-8B", 1);
    for (const [a, b] of [[prefill(1, 512), prefill(1, 1024)], [prefill(1, 512), prefill(4, 512)], [decode(8, 512), decode(16, 512)], [decode(8, 512), decode(8, 4096)]] as const) {
      expect(m.stepTimeMs(b)).toBeGreaterThan(m.stepTimeMs(a));
    }
    expect(m.stepTimeMs([])).toBe(0);
  });

  it("decode is memory bound: a batch of 1 costs about the weight read, a batch of 32 little more", () => {
    const m = model("Llama-3-8B", 1);
    const weightReadMs = (deploymentCosts({ model: findBuiltinModel("Llama-3-8B")!, tp: 1, weightBytesPerParam: 2, kvBytesPerElement: 2 }).layerWeightBytes / (h100.memoryBandwidthBytesPerSec * h100.coefficients.memoryEfficiency)) * 1000;
    const one = m.stepTimeMs(decode(1, 128));
    expect(one).toBeGreaterThan(weightReadMs);
    expect(m.stepTimeMs(decode(32, 128)) / one).toBeLessThan(1.3);
  });

  it("tensor parallelism speeds a step up, but less than linearly", () => {
    for (const work of [prefill(4, 2048), decode(32, 1024)]) {
      const t1 = model("Llama-2-70B", 1).stepTimeMs(work);
      const t2 = model("Llama-2-70B", 2).stepTimeMs(work);
      const t8 = model("Llama-2-70B", 8).stepTimeMs(work);
      expect(t2).toBeLessThan(t1);
      expect(t8).toBeLessThan(t2);
      expect(t8).toBeGreaterThan(t1 / 8);
      expect(t2).toBeGreaterThan(t1 / 2);
    }
  });

  it("step-time CLI numbers: prefill of the batch in one step, mean decode over the generation", () => {
    const m = model("Llama-2-70B", 4);
    const p = predictProfilePoint(m, { promptSize: 512, batchSize: 8, tokenSize: 128 });
    expect(p.promptTimeMs).toBeCloseTo(m.stepTimeMs(prefill(8, 512)), 9);
    expect(p.tokenTimeMs).toBeGreaterThan(m.stepTimeMs(decode(8, 512)));
    expect(p.tokenTimeMs).toBeLessThan(m.stepTimeMs(decode(8, 640)));
    expect(p.e2eTimeMs).toBeCloseTo(p.promptTimeMs + 127 * p.tokenTimeMs, 6);
  });
});

describe("KV capacity", () => {
  const capacity = (gpuName: string, tp: number) => {
    const gpu = findBuiltinGpu(gpuName)!;
    return kvCapacity({ gpu, model: llama70, costs: deploymentCosts({ model: llama70, tp, weightBytesPerParam: 2, kvBytesPerElement: 2 }), memoryUtilization: 0.9, maxNumBatchedTokens: 8192, maxNumSeqs: 256, blockSize: 16, kvDtype: "f16" });
  };

  it("is memory x utilisation - weights / tp - activations, in the engine's block size", () => {
    expect(capacity("A100-80GB", 1).numBlocks).toBe(0); // 138 GB of weights on one 80 GB GPU
    const tp2 = capacity("A100-80GB", 2);
    const tp4 = capacity("A100-80GB", 4);
    expect(tp2.numBlocks).toBeGreaterThan(0);
    // Per GPU a block holds a tp-th of the KV heads, so each GPU added adds blocks faster than memory.
    expect(tp4.numBlocks).toBeGreaterThan(2 * tp2.numBlocks);
    // 8 KV heads x 128 x 80 layers x 2 (K, V) x 2 bytes x 16 tokens / 2 GPUs per block.
    expect(tp2.numBlocks).toBe(Math.floor(tp2.kvBytesPerGpu / ((2 * 80 * 4 * 128 * 2 * 16))));
    expect(capacity("H200", 2).numBlocks).toBeGreaterThan(capacity("H100-SXM", 2).numBlocks);
  });
});
