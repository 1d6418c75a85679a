import { numBlocksForMemory } from "../../engine/kv/memory.js";
import { kvHeadsPerGpu, type ModelArchitecture } from "../model/architecture.js";
import type { GpuSpec } from "../hardware/gpu.js";
import type { DeploymentCosts } from "./deployment.js";

export interface CapacityInput {
  readonly gpu: GpuSpec;
  readonly model: ModelArchitecture;
  readonly costs: DeploymentCosts;
  /** Fraction of device memory the engine may use (vLLM's --gpu-memory-utilization). */
  readonly memoryUtilization: number;
  readonly maxNumBatchedTokens: number;
  readonly maxNumSeqs: number;
  readonly blockSize: number;
  readonly kvDtype: "f16" | "f32";
}

export interface KvCapacity {
  readonly weightBytesPerGpu: number;
  readonly activationReserveBytesPerGpu: number;
  /** What is left for the KV cache on each GPU. */
  readonly kvBytesPerGpu: number;
  readonly numBlocks: number;
}

/** CUDA context, allocator slack and communication buffers that vLLM's profiling run would see. */
const FIXED_RESERVE_BYTES = 2 ** 30;

/**
 * KV blocks a replica can hold: memory x utilisation - weights / tp - activation reserve, divided
 * by one block's bytes on one GPU (its share of the KV heads), with the engine's own
 * `numBlocksForMemory`. The activation reserve is what a step of `maxNumBatchedTokens` needs at
 * its peak: hidden states and the FFN's intermediate per token (BF16), plus FP32 logits per
 * sampled sequence, plus a fixed 1 GiB.
 */
export function kvCapacity(input: CapacityInput): KvCapacity {
  const { gpu, model, costs } = input;
  const tp = costs.tp;
  const activationReserveBytesPerGpu =
    FIXED_RESERVE_BYTES +
    input.maxNumBatchedTokens * (4 * model.hiddenSize + (2 * model.ffnDim) / tp) * 2 +
    (input.maxNumSeqs * model.vocabSize * 4) / tp;
  const kvBytesPerGpu = Math.floor(gpu.memoryBytes * input.memoryUtilization - costs.weightBytesPerGpu - activationReserveBytesPerGpu);
  const numBlocks =
    kvBytesPerGpu <= 0
      ? 0
      : numBlocksForMemory(kvBytesPerGpu, {
          numLayers: model.numLayers,
          numKvHeads: kvHeadsPerGpu(model, tp),
          headDim: model.headDim,
          blockSize: input.blockSize,
          dtype: input.kvDtype,
        });
  return { weightBytesPerGpu: costs.weightBytesPerGpu, activationReserveBytesPerGpu, kvBytesPerGpu, numBlocks };
}
