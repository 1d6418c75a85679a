import type { GpuSpec, RooflineCoefficients } from "../hardware/gpu.js";
import { attentionPairs, type DeploymentCosts } from "./deployment.js";
import type { SequenceWork, StepTimeModel } from "./step-time.js";

/**
 * Step time of a tensor-parallel replica from first principles, per GPU (all GPUs of a replica
 * do the same share):
 *
 *   linear     = max(tokens x linear FLOPs / (peak x matmulEff), layer weight bytes / (bw x memEff))
 *              + the same for the output head over the sampled rows (weights read once per step)
 *   attention  = sum over sequences of max(pairs x FLOPs per pair / (peak x attnEff),
 *                                           context x KV bytes per token / (bw x memEff))
 *                (pairs: causal query-key pairs; prefill is quadratic in the chunk, decode reads the KV)
 *   all-reduce = 2 per layer: 2 (tp - 1) / tp x tokens x hidden bytes / (link x linkEff)
 *                + 2 (tp - 1) hop latencies
 *   overhead   = step overhead + layers x layer overhead
 *
 * The parts add up: a serving stack of this era does not overlap them.
 */
export class RooflineStepTime implements StepTimeModel {
  readonly description: string;
  /** A decode's attention is proportional to its context (compute and reads alike), the rest is fixed. */
  readonly decodeTimeIsAffine = true;
  private readonly flopsPerMs: number;
  private readonly bytesPerMs: number;
  private readonly linkBytesPerMs: number;
  private readonly c: RooflineCoefficients;

  constructor(
    readonly gpu: GpuSpec,
    readonly costs: DeploymentCosts,
  ) {
    this.c = gpu.coefficients;
    this.flopsPerMs = gpu.matmulFlopsPerSec / 1000;
    this.bytesPerMs = gpu.memoryBandwidthBytesPerSec / 1000;
    this.linkBytesPerMs = gpu.interconnectBytesPerSec / 1000;
    this.description = `roofline on ${gpu.name} x${costs.tp}`;
  }

  stepTimeMs(sequences: readonly SequenceWork[]): number {
    if (sequences.length === 0) return 0;
    const k = this.costs;
    const c = this.c;
    const computeRate = this.flopsPerMs * c.matmulEfficiency;
    const attentionRate = this.flopsPerMs * c.attentionEfficiency;
    const memoryRate = this.bytesPerMs * c.memoryEfficiency;
    let numTokens = 0;
    let numLogits = 0;
    let attentionMs = 0;
    for (const s of sequences) {
      numTokens += s.numScheduledTokens;
      if (s.sample) numLogits++;
      const computeMs = (attentionPairs(s.numComputedTokens, s.numScheduledTokens) * k.attentionFlopsPerPair) / attentionRate;
      const readMs = ((s.numComputedTokens + s.numScheduledTokens) * k.kvBytesPerToken) / memoryRate;
      attentionMs += computeMs > readMs ? computeMs : readMs;
    }
    const linearMs = Math.max((numTokens * k.linearFlopsPerToken) / computeRate, k.layerWeightBytes / memoryRate);
    const headMs = numLogits === 0 ? 0 : Math.max((numLogits * k.headFlopsPerLogit) / computeRate, k.headWeightBytes / memoryRate);
    return linearMs + headMs + attentionMs + this.allReduceMs(numTokens) + c.stepOverheadMs + (k.numLayers * c.layerOverheadUs) / 1000;
  }

  private allReduceMs(numTokens: number): number {
    const k = this.costs;
    if (k.numAllReduces === 0) return 0;
    const ringFactor = (2 * (k.tp - 1)) / k.tp;
    const transferMs = (ringFactor * numTokens * k.allReduceBytesPerToken) / (this.linkBytesPerMs * this.c.interconnectEfficiency);
    const latencyMs = (2 * (k.tp - 1) * this.c.allReduceHopLatencyUs) / 1000;
    return k.numAllReduces * (transferMs + latencyMs);
  }
}
