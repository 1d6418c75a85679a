import { normaliseName } from "../names.js";
import type { GpuSpec, RooflineCoefficients } from "./gpu.js";

const GB = 1e9;
const GIB = 2 ** 30;
const TB = 1e12;
const TFLOPS = 1e12;

/**
 * Efficiency factors fitted to the Splitwise profiles (Llama-2-70B and BLOOM-176B, 2023 serving
 * stack; `flotilla sim validate-splitwise --fit` reproduces them), rounded: A100 and H100 have
 * their own; the other GPUs borrow those of their generation (Ampere: A100's; Ada, Hopper: H100's),
 * which is a guess until someone measures them. The low attention efficiencies say that stack ran
 * prefill attention far from peak (no FlashAttention-class kernels on these GPUs).
 */
export const AMPERE_COEFFICIENTS: RooflineCoefficients = {
  matmulEfficiency: 0.66,
  attentionEfficiency: 0.16,
  memoryEfficiency: 0.75,
  interconnectEfficiency: 0.34,
  stepOverheadMs: 3.7,
  layerOverheadUs: 103,
  allReduceHopLatencyUs: 9.7,
};

export const HOPPER_COEFFICIENTS: RooflineCoefficients = {
  matmulEfficiency: 0.61,
  attentionEfficiency: 0.097,
  memoryEfficiency: 0.9,
  interconnectEfficiency: 0.31,
  stepOverheadMs: 4.8,
  layerOverheadUs: 100,
  allReduceHopLatencyUs: 5.2,
};

/**
 * Peak numbers are NVIDIA's data-sheet figures (dense, no sparsity; interconnect per direction).
 * Prices are rough on-demand cloud list prices per GPU-hour in USD at the time of writing
 * (Lambda for A100/H100/H200, AWS for A10G and L40S instances with one GPU); they change often:
 * pass `--price-per-hour` or a JSON spec for real numbers.
 */
export const BUILTIN_GPUS: readonly GpuSpec[] = [
  {
    name: "A100-40GB",
    matmulFlopsPerSec: 312 * TFLOPS,
    memoryBandwidthBytesPerSec: 1555 * GB,
    memoryBytes: 40 * GIB,
    interconnectBytesPerSec: 300 * GB, // NVLink 3: 600 GB/s both directions
    pricePerHourUsd: 1.29,
    coefficients: AMPERE_COEFFICIENTS,
    source: "NVIDIA A100 data sheet (SXM4); price: Lambda on-demand",
  },
  {
    name: "A100-80GB",
    matmulFlopsPerSec: 312 * TFLOPS,
    memoryBandwidthBytesPerSec: 2039 * GB,
    memoryBytes: 80 * GIB,
    interconnectBytesPerSec: 300 * GB,
    pricePerHourUsd: 1.79,
    coefficients: AMPERE_COEFFICIENTS,
    source: "NVIDIA A100 data sheet (SXM4); price: Lambda on-demand",
  },
  {
    name: "H100-SXM",
    matmulFlopsPerSec: 989 * TFLOPS,
    memoryBandwidthBytesPerSec: 3.35 * TB,
    memoryBytes: 80 * GIB,
    interconnectBytesPerSec: 450 * GB, // NVLink 4: 900 GB/s both directions
    pricePerHourUsd: 2.99,
    coefficients: HOPPER_COEFFICIENTS,
    source: "NVIDIA H100 data sheet (SXM5); price: Lambda on-demand",
  },
  {
    name: "H200",
    matmulFlopsPerSec: 989 * TFLOPS,
    memoryBandwidthBytesPerSec: 4.8 * TB,
    memoryBytes: 141 * GB,
    interconnectBytesPerSec: 450 * GB,
    pricePerHourUsd: 3.79,
    coefficients: HOPPER_COEFFICIENTS,
    source: "NVIDIA H200 data sheet (SXM); price: rough on-demand list price",
  },
  {
    name: "L40S",
    matmulFlopsPerSec: 362 * TFLOPS,
    memoryBandwidthBytesPerSec: 864 * GB,
    memoryBytes: 48 * GIB,
    interconnectBytesPerSec: 32 * GB, // PCIe Gen4 x16, no NVLink
    pricePerHourUsd: 1.86,
    coefficients: HOPPER_COEFFICIENTS,
    source: "NVIDIA L40S data sheet; price: AWS g6e.xlarge on-demand",
  },
  {
    name: "A10G",
    // A10 is 125 TFLOPS; AWS's A10G variant trades tensor throughput for CUDA-core clocks.
    matmulFlopsPerSec: 70 * TFLOPS,
    memoryBandwidthBytesPerSec: 600 * GB,
    memoryBytes: 24 * GIB,
    interconnectBytesPerSec: 32 * GB,
    pricePerHourUsd: 1.01,
    coefficients: AMPERE_COEFFICIENTS,
    source: "NVIDIA A10 data sheet, AWS G5 documentation; price: AWS g5.xlarge on-demand",
  },
];

/** Other spellings users type. */
const ALIASES: ReadonlyMap<string, string> = new Map([
  ["a100", "A100-80GB"],
  ["a10080gb", "A100-80GB"],
  ["a10040gb", "A100-40GB"],
  ["h100", "H100-SXM"],
  ["h10080gb", "H100-SXM"],
  ["h100sxm5", "H100-SXM"],
  ["h200sxm", "H200"],
  ["a10", "A10G"],
]);

export function findBuiltinGpu(name: string): GpuSpec | undefined {
  const key = normaliseName(name);
  const canonical = ALIASES.get(key);
  return BUILTIN_GPUS.find((g) => normaliseName(g.name) === (canonical !== undefined ? normaliseName(canonical) : key));
}
