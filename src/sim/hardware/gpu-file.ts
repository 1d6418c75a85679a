import { readFileSync } from "node:fs";
import { z } from "zod";
import { LINEAR_FEATURES } from "../perf/linear-model.js";
import { BUILTIN_GPUS, findBuiltinGpu, HOPPER_COEFFICIENTS } from "./builtin-gpus.js";
import type { GpuSpec } from "./gpu.js";

const positive = z.number().positive();
const fraction = z.number().positive().max(1);

const coefficientsSchema = z.strictObject({
  matmulEfficiency: fraction,
  attentionEfficiency: fraction,
  memoryEfficiency: fraction,
  interconnectEfficiency: fraction,
  stepOverheadMs: z.number().nonnegative(),
  layerOverheadUs: z.number().nonnegative(),
  allReduceHopLatencyUs: z.number().nonnegative(),
});

const fittedSchema = z.strictObject({
  kind: z.literal("linear"),
  coefficients: z.strictObject(Object.fromEntries(LINEAR_FEATURES.map((f) => [f, z.number()])) as Record<(typeof LINEAR_FEATURES)[number], z.ZodNumber>),
  fittedFor: z.strictObject({ model: z.string(), tp: z.number().int().positive() }),
  quality: z.strictObject({ numSteps: z.number(), rmseMs: z.number(), r2: z.number(), meanAbsPctError: z.number() }).optional(),
});

/**
 * A GPU spec file (`--gpu FILE.json`): the fields of `GpuSpec`. `coefficients` may be partial
 * (the rest come from the Hopper defaults); `fitted` is what `sim calibrate` writes.
 */
const gpuFileSchema = z.strictObject({
  name: z.string().min(1),
  matmulFlopsPerSec: positive,
  memoryBandwidthBytesPerSec: positive,
  memoryBytes: positive,
  interconnectBytesPerSec: positive,
  pricePerHourUsd: z.number().nonnegative(),
  coefficients: coefficientsSchema.partial().optional(),
  fitted: fittedSchema.optional(),
  requestLatencyMs: z.number().nonnegative().optional(),
  source: z.string().optional(),
});

export function parseGpuSpec(json: unknown, origin: string): GpuSpec {
  const r = gpuFileSchema.safeParse(json);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new Error(`${origin}: not a GPU spec: ${issues}`);
  }
  const { coefficients, ...rest } = r.data;
  return { ...rest, coefficients: { ...HOPPER_COEFFICIENTS, ...coefficients } };
}

/** `--gpu`: a built-in name or a JSON file. */
export function resolveGpu(nameOrPath: string): GpuSpec {
  const builtin = findBuiltinGpu(nameOrPath);
  if (builtin !== undefined) return builtin;
  if (!nameOrPath.toLowerCase().endsWith(".json")) {
    throw new Error(`unknown GPU ${JSON.stringify(nameOrPath)}: give a JSON spec file or one of ${BUILTIN_GPUS.map((g) => g.name).join(", ")}`);
  }
  let text: string;
  try {
    text = readFileSync(nameOrPath, "utf8");
  } catch (e) {
    throw new Error(`--gpu ${nameOrPath}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : String(e)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`--gpu ${nameOrPath}: not valid JSON`);
  }
  return parseGpuSpec(json, nameOrPath);
}
