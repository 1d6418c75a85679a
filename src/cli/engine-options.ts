import { type Command, InvalidArgumentError } from "commander";
import type { EngineConfig } from "../engine/engine.js";
import { parseByteSize } from "../engine/kv/memory.js";
import { num } from "./errors.js";

/** Engine settings shared by `generate` and `serve` (same flag names everywhere). */
export interface EngineFlags {
  maxNumSeqs: number;
  maxBatchedTokens: number;
  blockSize: number;
  kvCacheMemory?: number;
  kvCacheBlocks?: number;
  kvCacheDtype: "f16" | "f32";
  prefixCaching: boolean;
  schedulingPolicy: "fcfs" | "priority";
  logSteps?: string;
}

function byteSize(value: string): number {
  try {
    return parseByteSize(value);
  } catch (e) {
    throw new InvalidArgumentError(e instanceof Error ? e.message : String(e));
  }
}

function oneOf<T extends string>(name: string, values: readonly T[]) {
  return (value: string): T => {
    if (!(values as readonly string[]).includes(value)) throw new InvalidArgumentError(`${name} must be one of ${values.join(", ")}.`);
    return value as T;
  };
}

export function addEngineFlags(cmd: Command): Command {
  return cmd
    .option("--max-num-seqs <n>", "most sequences running at once", num("--max-num-seqs", { int: true, min: 1 }), 16)
    .option("--max-batched-tokens <n>", "token budget of one engine step (prefill chunk size)", num("--max-batched-tokens", { int: true, min: 1 }), 512)
    .option("--block-size <n>", "tokens per KV cache block", num("--block-size", { int: true, min: 1, max: 1024 }), 16)
    .option("--kv-cache-memory <size>", "KV cache budget, e.g. 2GiB, 512MiB (default: enough for every sequence at full context, at most 2 GiB)", byteSize)
    .option("--kv-cache-blocks <n>", "KV cache size as a block count (instead of --kv-cache-memory)", num("--kv-cache-blocks", { int: true, min: 1 }))
    .option("--kv-cache-dtype <type>", "KV cache element type: f16 or f32", oneOf("--kv-cache-dtype", ["f16", "f32"] as const), "f16")
    .option("--no-prefix-caching", "do not reuse KV blocks of identical prompt prefixes")
    .option("--scheduling-policy <policy>", "fcfs or priority (lower priority value runs sooner)", oneOf("--scheduling-policy", ["fcfs", "priority"] as const), "fcfs")
    .option("--log-steps <file>", "write one JSON line per engine step to FILE");
}

export function engineConfigFromFlags(f: EngineFlags): Partial<EngineConfig> {
  if (f.kvCacheMemory !== undefined && f.kvCacheBlocks !== undefined) {
    throw new Error("give at most one of --kv-cache-memory and --kv-cache-blocks");
  }
  return {
    maxNumSeqs: f.maxNumSeqs,
    maxNumBatchedTokens: f.maxBatchedTokens,
    blockSize: f.blockSize,
    ...(f.kvCacheMemory !== undefined ? { kvCacheMemoryBytes: f.kvCacheMemory } : {}),
    ...(f.kvCacheBlocks !== undefined ? { numKvBlocks: f.kvCacheBlocks } : {}),
    kvDtype: f.kvCacheDtype,
    enablePrefixCaching: f.prefixCaching,
    policy: f.schedulingPolicy,
  };
}
