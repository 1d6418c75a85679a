/** `flotilla generate` as a user runs it: a real process, real model files, real exit codes. */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { RefBackend } from "../../src/engine/backend/ref/ref-backend.js";
import { generateOne } from "../../src/engine/generate.js";
import { GgufFile } from "../../src/engine/model/gguf/reader.js";
import { gv, writeGguf } from "../../src/engine/model/gguf/writer.js";
import { loadModel } from "../../src/engine/model/model.js";
import { CLI, STORIES_260K, tempDir } from "../helpers/paths.js";

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function flotilla(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("flotilla generate", () => {
  it("streams only the greedy continuation and reports stats on stderr", () => {
    const r = flotilla("generate", "--model", STORIES_260K, "--prompt", "Once upon a time", "--max-tokens", "40", "--temperature", "0", "--stats");
    expect(r.code).toBe(0);
    // Same tokens as the library's greedy loop (itself checked against llama.cpp in model tests).
    const model = loadModel(STORIES_260K, { backend: new RefBackend() });
    const prompt = model.tokenizer.encode("Once upon a time", { addSpecial: true });
    expect(prompt[0]).toBe(model.tokenizer.bosId); // stories260K's vocabulary asks for BOS
    const ids: number[] = [];
    const argmax = (l: Float32Array) => ({ tokenId: l.reduce((b, x, i) => (x > l[b]! ? i : b), 0) });
    for (const ev of generateOne(model, prompt, argmax, { maxTokens: 40 })) if (ev.kind === "token") ids.push(ev.sample.tokenId);
    expect(r.stdout).toBe(model.tokenizer.decode(ids, { skipSpecial: true }).replace(/^ /, ""));
    expect(r.stdout.startsWith("Once upon")).toBe(false);
    const lines = r.stderr.trim().split("\n");
    const stats = JSON.parse(lines[lines.length - 1]!);
    expect(stats).toMatchObject({ prompt_tokens: prompt.length, generated_tokens: 40 });
    expect(stats.prefill_ms).toBeGreaterThan(0);
    expect(stats.decode_ms).toBeGreaterThan(0);
  });

  it("is reproducible with a seed", () => {
    const run = (seed: string) =>
      flotilla("generate", "--model", STORIES_260K, "--prompt", "The dog", "--max-tokens", "30", "--temperature", "1.0", "--top-k", "0", "--top-p", "1", "--min-p", "0", "--seed", seed);
    const a = run("1");
    const b = run("1");
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    const others = ["2", "3", "4"].map((s) => run(s).stdout);
    expect(others.some((o) => o !== a.stdout)).toBe(true);
  });

  it("gives the same greedy text on every backend and instruction set, and says which it used", () => {
    const run = (...extra: string[]) => flotilla("generate", "--model", STORIES_260K, "--prompt", "Once upon a time", "--max-tokens", "24", "--temperature", "0", ...extra);
    const ref = run("--backend", "ref");
    expect(ref.code).toBe(0);
    expect(ref.stderr).toMatch(/backend: ref/);
    for (const extra of [[], ["--isa", "scalar"], ["--isa", "avx2", "--threads", "1"]]) {
      const r = run(...extra);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(ref.stdout);
      expect(r.stderr).toMatch(/backend: (native, \w+ kernels|ref)/);
    }
  });

  it("prints nothing with --max-tokens 0", () => {
    const r = flotilla("generate", "--model", STORIES_260K, "--prompt", "Hi", "--max-tokens", "0");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
  });
});

describe("flotilla generate --prompts-file", () => {
  it("runs many prompts through one engine and prints one JSON line per prompt, in input order", () => {
    const file = join(tmp.dir, "prompts.jsonl");
    const logFile = join(tmp.dir, "steps.jsonl");
    const lines = [
      { prompt: "Once upon a time", max_tokens: 16, temperature: 0 },
      { prompt: "Tom had a big dog", max_tokens: 4, temperature: 0 },
      { prompt: "Once upon a time", max_tokens: 16, temperature: 0, stop: ["Lily"] },
      { prompt: "The sun", max_tokens: 8, temperature: 0.9, seed: 3, top_k: 10 },
    ];
    writeFileSync(file, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
    const r = flotilla("generate", "--model", STORIES_260K, "--prompts-file", file, "--max-num-seqs", "3", "--block-size", "4", "--log-steps", logFile, "--stats");
    expect(r.code).toBe(0);
    const out = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(out.map((o) => o.index)).toEqual([0, 1, 2, 3]);
    const single = flotilla("generate", "--model", STORIES_260K, "--prompt", "Once upon a time", "--max-tokens", "16", "--temperature", "0");
    expect(out[0].text).toBe(single.stdout);
    expect(out[0]).toMatchObject({ finish_reason: "length", completion_tokens: 16, prompt_tokens: 5 });
    expect(out[0].token_ids).toHaveLength(16);
    expect(out[1].token_ids).toHaveLength(4);
    expect(out[2].finish_reason).toBe("stop");
    expect(out[0].text.startsWith(out[2].text)).toBe(true);
    expect(out[2].text).not.toContain("Lily");
    const stats = JSON.parse(r.stderr.trim().split("\n").pop()!);
    expect(stats).toMatchObject({ requests: 4 });
    const steps = readFileSync(logFile, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(steps.length).toBeGreaterThan(5);
    for (const s of steps) {
      expect(s).toEqual(expect.objectContaining({ step: expect.any(Number), time_ms: expect.any(Number), duration_ms: expect.any(Number), batch_size: expect.any(Number), blocks_used: expect.any(Number), blocks_cached: expect.any(Number), blocks_free: expect.any(Number) }));
      expect(s.batch_size).toBeLessThanOrEqual(3);
      expect(Object.values(s.scheduled as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(s.num_batched_tokens);
    }
    // The first step admits three requests at once (max-num-seqs 3): one batched forward pass.
    expect(steps[0].batch_size).toBe(3);
  });

  it("a bad line fails alone, with its error in its own JSON line and exit code 1", () => {
    const file = join(tmp.dir, "bad.jsonl");
    writeFileSync(file, [JSON.stringify({ prompt: "Hi", max_tokens: 3, temperature: 0 }), JSON.stringify({ prompt: "Hi", temperature: -2 })].join("\n"));
    const r = flotilla("generate", "--model", STORIES_260K, "--prompts-file", file);
    expect(r.code).toBe(1);
    const out = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(out[0].token_ids).toHaveLength(3);
    expect(out[1].error).toMatch(/temperature/);
  });

  it("rejects a malformed prompts file with the line number", () => {
    const file = join(tmp.dir, "malformed.jsonl");
    writeFileSync(file, '{"prompt": "ok"}\n{"prompt": 5}\n');
    const r = flotilla("generate", "--model", STORIES_260K, "--prompts-file", file);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/malformed\.jsonl:2: field "prompt" must be a string/);
  });
});

describe("bad model files get a clear error and a non-zero exit", () => {
  const expectCleanError = (r: ReturnType<typeof flotilla>, pattern: RegExp) => {
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^flotilla: error: /);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  };

  it("a model that is not there", () => {
    expectCleanError(flotilla("generate", "--model", join(tmp.dir, "missing.gguf"), "--prompt", "x"), /missing\.gguf: no such file/);
  });

  it("a truncated model", () => {
    const p = join(tmp.dir, "truncated.gguf");
    const bytes = readFileSync(STORIES_260K);
    writeFileSync(p, bytes.subarray(0, bytes.length - 1000));
    expectCleanError(flotilla("generate", "--model", p, "--prompt", "x"), /truncated/);
  });

  it("a file that is not GGUF", () => {
    const p = join(tmp.dir, "junk.gguf");
    writeFileSync(p, "GGML? no, just text pretending to be a model file.......");
    expectCleanError(flotilla("generate", "--model", p, "--prompt", "x"), /not a GGUF file/);
  });

  it("an unsupported architecture is named", () => {
    const p = join(tmp.dir, "gemma.gguf");
    const src = GgufFile.open(STORIES_260K);
    const metadata = new Map(src.metadata);
    metadata.set("general.architecture", gv.str("gemma2"));
    writeGguf(p, { metadata, tensors: [] });
    src.close();
    expectCleanError(flotilla("generate", "--model", p, "--prompt", "x"), /unsupported model architecture 'gemma2'/);
  });

  it("an unknown tensor type", () => {
    const p = join(tmp.dir, "badtype.gguf");
    const bytes = Buffer.from(readFileSync(STORIES_260K));
    const name = Buffer.from("output_norm.weight");
    const at = bytes.indexOf(name) + name.length + 4 + 8; // after the name, n_dims and one dim
    bytes.writeUInt32LE(77, at);
    writeFileSync(p, bytes);
    expectCleanError(flotilla("generate", "--model", p, "--prompt", "x"), /output_norm\.weight: unknown tensor type 77/);
  });

  it("a bad flag value", () => {
    const r = flotilla("generate", "--model", STORIES_260K, "--prompt", "x", "--temperature", "-1");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--temperature must be >= 0/);
  });
});
