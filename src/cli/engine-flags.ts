import { openSync, writeSync } from "node:fs";
import { type Command, InvalidArgumentError, Option } from "commander";
import { DEFAULT_ENGINE_CONFIG, type EngineConfig, type StepLog } from "../engine/engine.js";
import { BLOCK_HASH_ALGORITHMS, type BlockHashAlgorithm } from "../engine/kv/block-hash.js";
import { parseByteSize } from "../engine/kv/memory.js";
import { num } from "./errors.js";

/**
 * Engine settings shared by every command that runs an engine (`serve`, `generate`), so the same
 * flag means the same thing everywhere. Absent flags leave the engine's defaults.
 */
export interface EngineFlags {
  maxNumSeqs?: number;
  maxBatchedTokens?: number;
  blockSize?: number;
  kvCacheMemory?: number;
  numKvBlocks?: number;
  kvCacheDtype?: "f16" | "f32";
  /** commander's `--no-prefix-caching`: false when given. */
  prefixCaching?: boolean;
  prefixCachingHashAlgo?: BlockHashAlgorithm;
  logSteps?: string;
  schedulingPolicy?: "fcfs" | "priority";
}

function byteSize(value: string): number {
  try {
    return parseByteSize(value);
  } catch (e) {
    throw new InvalidArgumentError(e instanceof Error ? e.message : String(e));
  }
}

export function addEngineFlags(cmd: Command): Command {
  const d = DEFAULT_ENGINE_CONFIG;
  return cmd
    .option("--max-num-seqs <n>", `most sequences running at once (default ${d.maxNumSeqs})`, num("--max-num-seqs", { int: true, min: 1 }))
    .option("--max-batched-tokens <n>", `token budget of one engine step (default ${d.maxNumBatchedTokens})`, num("--max-batched-tokens", { int: true, min: 1 }))
    .option("--block-size <n>", `tokens per KV block (default ${d.blockSize})`, num("--block-size", { int: true, min: 1 }))
    .option("--kv-cache-memory <size>", "KV cache size, e.g. 2GiB or 512MiB (default: every sequence at full context, at most 2 GiB)", byteSize)
    .option("--num-kv-blocks <n>", "KV cache size in blocks (overrides --kv-cache-memory)", num("--num-kv-blocks", { int: true, min: 1 }))
    .addOption(new Option("--kv-cache-dtype <type>", `KV cache element type (default ${d.kvDtype})`).choices(["f16", "f32"]))
    .option("--no-prefix-caching", "do not reuse KV blocks of shared prompt prefixes")
    .addOption(
      new Option("--prefix-caching-hash-algo <algo>", "hash of prefix-cache blocks: sha256, or fast64 (10x cheaper, 64-bit, not collision-resistant: trusted prompts only)").choices([
        ...BLOCK_HASH_ALGORITHMS,
      ]),
    )
    .option("--log-steps <file>", "append one JSON line per engine step to FILE")
    .addOption(new Option("--scheduling-policy <policy>", `which waiting request runs first (default ${d.policy})`).choices(["fcfs", "priority"]));
}

/**
 * The engine config the flags ask for. `--log-steps` opens its file here (append mode) and writes
 * each record synchronously, so no record is lost in a buffer when the process exits; the file
 * stays open for the life of the process.
 */
export function engineConfigFromFlags(opts: EngineFlags): Partial<EngineConfig> {
  let onStep: ((log: StepLog) => void) | undefined;
  if (opts.logSteps !== undefined) {
    const fd = openSync(opts.logSteps, "a");
    onStep = (log) => {
      writeSync(fd, `${JSON.stringify(log)}\n`);
    };
  }
  return {
    ...(opts.maxNumSeqs !== undefined ? { maxNumSeqs: opts.maxNumSeqs } : {}),
    ...(opts.maxBatchedTokens !== undefined ? { maxNumBatchedTokens: opts.maxBatchedTokens } : {}),
    ...(opts.blockSize !== undefined ? { blockSize: opts.blockSize } : {}),
    ...(opts.kvCacheMemory !== undefined ? { kvCacheMemoryBytes: opts.kvCacheMemory } : {}),
    ...(opts.numKvBlocks !== undefined ? { numKvBlocks: opts.numKvBlocks } : {}),
    ...(opts.kvCacheDtype !== undefined ? { kvDtype: opts.kvCacheDtype } : {}),
    ...(opts.prefixCaching === false ? { enablePrefixCaching: false } : {}),
    ...(opts.prefixCachingHashAlgo !== undefined ? { prefixCachingHashAlgo: opts.prefixCachingHashAlgo } : {}),
    ...(opts.schedulingPolicy !== undefined ? { policy: opts.schedulingPolicy } : {}),
    ...(onStep !== undefined ? { onStep } : {}),
  };
}
