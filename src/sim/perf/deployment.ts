import { kvHeadsPerGpu, linearParamsPerLayer, numParams, type ModelArchitecture } from "../model/architecture.js";

/** A model served on `tp` GPUs with tensor parallelism: what each GPU holds and computes. */
export interface Deployment {
  readonly model: ModelArchitecture;
  /** Tensor-parallel degree: GPUs per replica. */
  readonly tp: number;
  /** Bytes per weight (2 for BF16/FP16, 1 for FP8/INT8, 0.5 for 4-bit); ignored when the model gives `weightBytes`. */
  readonly weightBytesPerParam: number;
  /** Bytes per K/V element (2 for FP16). */
  readonly kvBytesPerElement: number;
}

/** Bytes per activation element moved by all-reduce (BF16). */
const ACTIVATION_BYTES = 2;

/**
 * Per-GPU costs of one token, one sequence, one step, precomputed once per deployment so that
 * step-time models stay cheap in the simulator's inner loop. FLOPs count a multiply-add as 2.
 */
export interface DeploymentCosts {
  readonly numLayers: number;
  readonly tp: number;
  /** FLOPs of the layers' matrices per token, per GPU. */
  readonly linearFlopsPerToken: number;
  /** FLOPs of the output head per sampled token (logits), per GPU. */
  readonly headFlopsPerLogit: number;
  /** Bytes of the layers' weights each GPU reads once per step. */
  readonly layerWeightBytes: number;
  /** Bytes of the output head each GPU reads in a step that samples. */
  readonly headWeightBytes: number;
  /** Attention FLOPs per (query, key) pair over all layers, per GPU: QK^T and PV, 2 FLOPs per MAC each. */
  readonly attentionFlopsPerPair: number;
  /** K/V bytes per token of context over all layers, per GPU. */
  readonly kvBytesPerToken: number;
  /** Bytes one all-reduce moves per token (the hidden state). */
  readonly allReduceBytesPerToken: number;
  /** All-reduces per step: 2 per layer (after attention and after the FFN) when tp > 1. */
  readonly numAllReduces: number;
  /** Weights held by each GPU, bytes (KV capacity = memory - this - reserve). */
  readonly weightBytesPerGpu: number;
}

export function deploymentCosts(d: Deployment): DeploymentCosts {
  const m = d.model;
  if (!Number.isInteger(d.tp) || d.tp < 1) throw new RangeError(`tensor parallelism must be a positive integer, got ${d.tp}`);
  const totalParams = numParams(m);
  const totalWeightBytes = m.weightBytes ?? totalParams * d.weightBytesPerParam;
  const bytesPerParam = totalWeightBytes / totalParams;
  const layerParams = m.numLayers * linearParamsPerLayer(m);
  const headParams = m.vocabSize * m.hiddenSize;
  return {
    numLayers: m.numLayers,
    tp: d.tp,
    linearFlopsPerToken: (2 * layerParams) / d.tp,
    headFlopsPerLogit: (2 * headParams) / d.tp,
    layerWeightBytes: (layerParams * bytesPerParam) / d.tp,
    headWeightBytes: (headParams * bytesPerParam) / d.tp,
    attentionFlopsPerPair: (4 * m.numHeads * m.headDim * m.numLayers) / d.tp,
    kvBytesPerToken: 2 * m.numLayers * kvHeadsPerGpu(m, d.tp) * m.headDim * d.kvBytesPerElement,
    allReduceBytesPerToken: m.hiddenSize * ACTIVATION_BYTES,
    numAllReduces: d.tp > 1 ? 2 * m.numLayers : 0,
    weightBytesPerGpu: totalWeightBytes / d.tp,
  };
}

/** (query, key) pairs causal attention scores for `numNew` tokens after `numCached` cached ones. */
export function attentionPairs(numCached: number, numNew: number): number {
  return numNew * numCached + (numNew * (numNew + 1)) / 2;
}
