/** `flotilla sim` as a user runs it: real processes (the built CLI), real files. */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CLI, REPO_ROOT, SHARED, STORIES_260K, tempDir } from "../helpers/paths.js";

const tmp = tempDir("flotilla-sim-cli-");
afterAll(() => tmp.cleanup());

function flotilla(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 120_000, cwd: REPO_ROOT });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const SMALL = ["--dataset", "random", "--random-input-len", "256", "--random-output-len", "32", "--num-requests", "40", "--request-rate", "10"];

describe("flotilla sim", () => {
  it("list and step-time", () => {
    const list = flotilla("sim", "list");
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/BLOOM-176B/);
    expect(list.stdout).toMatch(/H200/);
    const st = flotilla("sim", "step-time", "--model", "Llama-2-70B", "--gpu", "H100", "--tp", "4", "--batch", "8", "--prompt", "512", "--json");
    expect(st.code).toBe(0);
    const r = JSON.parse(st.stdout);
    expect(r).toMatchObject({ model: "Llama-2-70B", gpu: "H100-SXM", tp: 4, batch: 8 });
    expect(r.prefillMs).toBeGreaterThan(r.meanDecodeStepMs);
  });

  it("run writes bench's files plus fleet.html; bench compare overlays two simulations", () => {
    const a = join(tmp.dir, "a");
    const b = join(tmp.dir, "b");
    const ra = flotilla("sim", "run", "--model", "Llama-3-8B", "--gpu", "H100", "--replicas", "2", "--router", "least-outstanding-work", ...SMALL, "--max-num-seqs", "64", "--out", a);
    expect(ra.code, ra.stderr).toBe(0);
    expect(ra.stdout).toMatch(/Successful requests:\s+40/);
    expect(ra.stderr).toMatch(/simulated 40 requests .* requests\/s/);
    for (const f of ["summary.json", "requests.jsonl", "report.html", "fleet.html"]) expect(existsSync(join(a, f))).toBe(true);
    const s = JSON.parse(readFileSync(join(a, "summary.json"), "utf8"));
    expect(s).toMatchObject({ schema: "flotilla.bench.summary/v1", kind: "run", sim: { replicas: 2, router: "least-outstanding-work", gpu: "H100-SXM" } });
    // Written by a worker thread while the summary was made: every line whole, in send order, each
    // answer's gaps one per token after the first and adding up to E2E - TTFT.
    const lines = readFileSync(join(a, "requests.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines).toHaveLength(40);
    expect(lines.map((l) => l.startMs)).toEqual(lines.map((l) => l.startMs).sort((x: number, y: number) => x - y));
    for (const l of lines.filter((x) => x.status === "ok")) {
      expect(Array.isArray(l.itlMs)).toBe(true);
      expect(l.itlMs).toHaveLength(l.outputTokens - 1);
      expect(Math.abs(l.ttftMs + l.itlMs.reduce((t: number, g: number) => t + g, 0) - l.e2eMs)).toBeLessThan(1e-6);
    }
    expect(readFileSync(join(a, "fleet.html"), "utf8")).toMatch(/KV cache usage/);
    expect(flotilla("sim", "run", "--model", "Llama-3-8B", "--gpu", "A100-80GB", ...SMALL, "--out", b).code).toBe(0);
    const cmp = flotilla("bench", "compare", a, b, "--out", join(tmp.dir, "cmp"));
    expect(cmp.code, cmp.stderr).toBe(0);
    expect(existsSync(join(tmp.dir, "cmp", "report.html"))).toBe(true);
  });

  it("run splits a round-robin fleet over threads with the same results, file for file", () => {
    // Threads start only for 2,000 requests or more.
    const trace = ["--dataset", `trace:${join(SHARED, "traces/AzureLLMInferenceTrace_conv.csv")}`, "--num-requests", "2400"];
    const dirs = [1, 3].map((threads) => {
      const out = join(tmp.dir, `threads-${threads}`);
      const r = flotilla("sim", "run", "--model", "Llama-2-7B", "--gpu", "A100-80GB", "--replicas", "5", "--router", "round-robin", ...trace, "--threads", String(threads), "--out", out);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr.includes("3 threads")).toBe(threads === 3);
      return out;
    });
    for (const f of ["summary.json", "requests.jsonl", "report.html", "fleet.html"]) {
      expect(readFileSync(join(dirs[1]!, f), "utf8") === readFileSync(join(dirs[0]!, f), "utf8"), f).toBe(true);
    }
  });

  it("calibrate fits a step log and run uses the spec (stories260K GGUF)", () => {
    const log = join(tmp.dir, "steps.jsonl");
    const hw = join(tmp.dir, "hw.json");
    // A step log in the engine's format, from a simulation with known step times.
    const first = flotilla("sim", "run", "--model", STORIES_260K, "--gpu", "A10G", ...SMALL, "--random-input-len", "100", "--num-kv-blocks", "512", "--log-steps", log, "--out", join(tmp.dir, "s0"));
    expect(first.code, first.stderr).toBe(0);
    const cal = flotilla("sim", "calibrate", "--step-log", log, "--model", STORIES_260K, "--out", hw, "--memory", "1GiB");
    expect(cal.code, cal.stderr).toBe(0);
    // stories260K on an A10G is all per-step overhead: the fit must reproduce it almost exactly.
    expect(cal.stdout).toMatch(/mean abs error 0\.\d%/);
    const spec = JSON.parse(readFileSync(hw, "utf8"));
    expect(spec.fitted.kind).toBe("linear");
    const again = flotilla("sim", "run", "--model", STORIES_260K, "--gpu", hw, ...SMALL, "--random-input-len", "100", "--num-kv-blocks", "512", "--out", join(tmp.dir, "s1"));
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toMatch(/warning/);
  });

  it("validate-splitwise prints the error over every row", () => {
    const r = flotilla("sim", "validate-splitwise", "--profile", join(SHARED, "traces/splitwise_perf_model.csv"), "--json");
    expect(r.code).toBe(0);
    const e = JSON.parse(r.stdout);
    expect(e.all.prompt.count).toBe(1260);
    expect(e.clean.token.mapePct).toBeLessThan(8);
  });

  it("plan finds the cheapest fleet meeting an SLO and writes its frontier", () => {
    const out = join(tmp.dir, "plan");
    const r = flotilla("sim", "plan", "--model", "Llama-3-8B", "--gpus", "A100-80GB,H100", "--tp-options", "1", "--batched-tokens-options", "2048", "--slo", "ttft=300,tpot=30", "--attainment", "0.9", "--max-replicas", "8", ...SMALL, "--request-rate", "40", "--out", out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/cheapest: \d+ x (A100-80GB|H100-SXM)/);
    const plan = JSON.parse(readFileSync(join(out, "plan.json"), "utf8"));
    expect(plan.cheapest.meetsTarget).toBe(true);
    expect(plan.frontier.length).toBeGreaterThan(0);
    expect(readFileSync(join(out, "plan.html"), "utf8")).toMatch(/<svg/);
    // Sized in worker threads (one per configuration) or in one thread: the same plan.
    const one = join(tmp.dir, "plan-1");
    const r1 = flotilla("sim", "plan", "--model", "Llama-3-8B", "--gpus", "A100-80GB,H100", "--tp-options", "1", "--batched-tokens-options", "2048", "--slo", "ttft=300,tpot=30", "--attainment", "0.9", "--max-replicas", "8", ...SMALL, "--request-rate", "40", "--out", one, "--workers", "1");
    expect(r1.code, r1.stderr).toBe(0);
    const two = join(tmp.dir, "plan-2");
    const r2 = flotilla("sim", "plan", "--model", "Llama-3-8B", "--gpus", "A100-80GB,H100", "--tp-options", "1", "--batched-tokens-options", "2048", "--slo", "ttft=300,tpot=30", "--attainment", "0.9", "--max-replicas", "8", ...SMALL, "--request-rate", "40", "--out", two, "--workers", "2");
    expect(r2.code, r2.stderr).toBe(0);
    expect(readFileSync(join(two, "plan.json"), "utf8")).toBe(readFileSync(join(one, "plan.json"), "utf8"));
    expect(r2.stderr.match(/ x\d+: /g)?.length).toBe(plan.candidates.length);
  });

  it("errors are one clear line", () => {
    const r = flotilla("sim", "run", "--model", "GPT-5", "--gpu", "H100", "--out", join(tmp.dir, "x"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^flotilla: error: unknown model "GPT-5": give a GGUF file or one of Llama-2-7B/);
  });
});
