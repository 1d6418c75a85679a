import type { LinearStepModel } from "../perf/linear-model.js";

/**
 * How far a serving stack falls short of the hardware's peaks, as coefficients of the roofline
 * step-time model (see `perf/roofline.ts`). They belong to a GPU *and* the software on it:
 * the built-in defaults were tuned on the Splitwise measurements (`sim validate-splitwise`).
 */
export interface RooflineCoefficients {
  /** Fraction of peak matrix FLOP/s the linear layers reach when compute-bound (MFU). */
  readonly matmulEfficiency: number;
  /** Fraction of peak matrix FLOP/s attention over the context reaches (prefill). */
  readonly attentionEfficiency: number;
  /** Fraction of the memory bandwidth that weight and KV reads reach. */
  readonly memoryEfficiency: number;
  /** Fraction of the link bandwidth a ring all-reduce reaches. */
  readonly interconnectEfficiency: number;
  /** Fixed cost of every step: scheduling, input preparation, sampling, host-device sync (ms). */
  readonly stepOverheadMs: number;
  /** Kernel launches and small ops per layer per step (µs). */
  readonly layerOverheadUs: number;
  /** Latency of one step of a ring all-reduce (µs); over tp GPUs it takes 2(tp - 1) steps. */
  readonly allReduceHopLatencyUs: number;
}

/** A GPU (or any accelerator, or this machine's CPU after `sim calibrate`). */
export interface GpuSpec {
  readonly name: string;
  /** Dense BF16/FP16 tensor-core peak (no sparsity), FLOP/s. */
  readonly matmulFlopsPerSec: number;
  /** Device memory bandwidth, bytes/s. */
  readonly memoryBandwidthBytesPerSec: number;
  /** Device memory, bytes. */
  readonly memoryBytes: number;
  /** GPU-to-GPU bandwidth in one direction (NVLink, or PCIe when there is none), bytes/s. */
  readonly interconnectBytesPerSec: number;
  /** Rental price of one GPU for an hour (USD); a documented default, override with --price-per-hour. */
  readonly pricePerHourUsd: number;
  readonly coefficients: RooflineCoefficients;
  /**
   * A step-time model fitted to a real engine's step log (`sim calibrate`); when present it is
   * used instead of the roofline, for the model and tensor parallelism it was fitted on.
   */
  readonly fitted?: LinearStepModel;
  /**
   * Client-to-engine latency of every request (network, HTTP, parsing, first-chunk delivery), ms,
   * added between a request's send and its arrival at a replica; `sim calibrate --bench-summary`
   * measures it. Absent: 0 (a data-centre GPU fleet's few ms are left out by default).
   */
  readonly requestLatencyMs?: number;
  /** Where the numbers come from. */
  readonly source?: string;
}
