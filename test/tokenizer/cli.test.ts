import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gv, writeGguf } from "../../src/engine/model/gguf/writer.js";
import { CLI, REPO_ROOT, STORIES_260K, tempDir } from "../helpers/paths.js";
import { openTokenizer, VOCAB_FILES } from "./helpers.js";

/** `npm test` builds first; a lone run of this file builds dist/ itself if it is missing. */
beforeAll(() => {
  if (!existsSync(join(REPO_ROOT, "dist/cli/tokenize.js"))) {
    execFileSync(process.execPath, [join(REPO_ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], {
      cwd: REPO_ROOT,
      stdio: "inherit",
    });
  }
});

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, "tokenize", ...args], { encoding: "utf8", timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("flotilla tokenize", () => {
  it("prints ids as a JSON array, BOS added and special tokens parsed by default", () => {
    const text = "Hello world <s> and </s>";
    const r = run("--model", STORIES_260K, text);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\[\d+(, \d+)*\]\n$/); // llama-tokenize --ids layout
    const ids = JSON.parse(r.stdout) as number[];
    const tok = openTokenizer(STORIES_260K);
    expect(ids).toEqual(tok.encode(text, { addSpecial: true, parseSpecial: true }));
    expect(ids[0]).toBe(1);
    expect(ids).toContain(2); // "</s>" became the EOS token
  });

  it("--no-special adds no BOS", () => {
    const r = run("--model", STORIES_260K, "--no-special", "Hello world");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(openTokenizer(STORIES_260K).encode("Hello world", { addSpecial: false }));
    expect(JSON.parse(r.stdout)[0]).not.toBe(1);
  });

  it("works on a vocabulary-only file", () => {
    const text = "<|start_header_id|>user<|end_header_id|>\n\nHi there!<|eot_id|>";
    const r = run("--model", VOCAB_FILES["llama-bpe"], text);
    expect(r.code).toBe(0);
    const ids = JSON.parse(r.stdout) as number[];
    expect(ids.slice(0, 2)).toEqual([128000, 128006]);
    expect(ids.at(-1)).toBe(128009);
    const plain = JSON.parse(run("--model", VOCAB_FILES["llama-bpe"], "--no-special", "--no-parse-special", text).stdout) as number[];
    expect(plain[0]).not.toBe(128000);
    expect(plain).not.toContain(128009);
  });

  it("fails with one clear line for a missing file", () => {
    const r = run("--model", join(tmp.dir, "nope.gguf"), "x");
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/nope\.gguf: no such file/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("fails clearly for a file that is not GGUF or has no tokenizer", () => {
    const notGguf = run("--model", join(REPO_ROOT, "package.json"), "x");
    expect(notGguf.code).toBe(1);
    expect(notGguf.stderr).toMatch(/not a GGUF file/);
    const bare = join(tmp.dir, "bare.gguf");
    writeGguf(bare, { metadata: { "general.architecture": gv.str("llama") }, tensors: [] });
    const noTok = run("--model", bare, "x");
    expect(noTok.code).toBe(1);
    expect(noTok.stderr).toMatch(/no tokenizer/);
    expect(noTok.stderr).not.toMatch(/\n\s+at /);
  });
});
