/** The engine flags `serve` shares with `generate`. */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { addEngineFlags, type EngineFlags, engineConfigFromFlags } from "../../src/cli/engine-flags.js";
import type { StepLog } from "../../src/engine/engine.js";

function parse(...args: string[]): EngineFlags {
  const cmd = addEngineFlags(new Command().exitOverride().configureOutput({ writeErr: () => {} }));
  cmd.parse(args, { from: "user" });
  return cmd.opts<EngineFlags>();
}

describe("engine flags", () => {
  it("leave the engine's defaults when absent", () => {
    expect(engineConfigFromFlags(parse())).toEqual({});
  });

  it("map to the engine config", () => {
    const config = engineConfigFromFlags(
      parse("--max-num-seqs", "4", "--max-batched-tokens", "256", "--block-size", "32", "--kv-cache-memory", "512MiB", "--kv-cache-dtype", "f32", "--no-prefix-caching", "--scheduling-policy", "priority"),
    );
    expect(config).toEqual({ maxNumSeqs: 4, maxNumBatchedTokens: 256, blockSize: 32, kvCacheMemoryBytes: 512 * 2 ** 20, kvDtype: "f32", enablePrefixCaching: false, policy: "priority" });
    expect(engineConfigFromFlags(parse("--num-kv-blocks", "64"))).toEqual({ numKvBlocks: 64 });
    expect(engineConfigFromFlags(parse("--prefix-caching-hash-algo", "fast64"))).toEqual({ prefixCachingHashAlgo: "fast64" });
  });

  it("reject bad values with a clear message", () => {
    expect(() => parse("--max-num-seqs", "0")).toThrow(/--max-num-seqs must be >= 1/);
    expect(() => parse("--kv-cache-memory", "lots")).toThrow(/invalid size/);
    expect(() => parse("--kv-cache-dtype", "q4")).toThrow(/Allowed choices/);
    expect(() => parse("--scheduling-policy", "random")).toThrow(/Allowed choices/);
    expect(() => parse("--prefix-caching-hash-algo", "md5")).toThrow(/Allowed choices/);
  });

  it("--log-steps appends one JSON line per step", () => {
    const file = join(mkdtempSync(join(tmpdir(), "flotilla-steps-")), "steps.jsonl");
    const config = engineConfigFromFlags(parse("--log-steps", file));
    const step = { step: 0, time_ms: 1, duration_ms: 1, scheduled: { a: 3 } } as unknown as StepLog;
    config.onStep!(step);
    config.onStep!({ ...step, step: 1 });
    expect(readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l).step)).toEqual([0, 1]);
  });
});
