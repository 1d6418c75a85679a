/**
 * Issue-7 fidelity measurement, through the real CLI: `flotilla serve` (see `modelPath`, --log-steps)
 * serves workload A under `flotilla bench`; `flotilla sim calibrate` fits the step-time model to
 * A's step log (and the client-to-engine latency to A's bench result); then workload B (other lengths, another rate) is served for real and simulated
 * with the calibrated spec, and TTFT, TPOT and E2E are compared at p50 and p90 (A too, in sample).
 * Last, A is served again: its difference from the first A run is this machine's own run-to-run
 * drift, the floor under any simulator's error here (a 2-vCPU VM's speed moves by 10-30%).
 * Usage: npm run build && npx tsx bench/sim-fidelity.ts [--port 18931] [--requests 200] [--model stories15M-q8|stories260K|FILE]
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { writeRandomModel } from "../src/engine/model/testing/random-model.js";
import { GgmlType } from "../src/engine/quant/index.js";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const ROOT = resolve(import.meta.dirname, "..");
const CLI = join(ROOT, "bin/flotilla.js");
/**
 * The served model. Default: a random-weight model of the stories15M shape (Q8_0, Llama-2 vocab),
 * written once into the temp folder: its steps (~2-10 ms) are mostly compute, as a GPU engine's
 * are, where stories260K's (~0.5 ms) are mostly host overhead the simulator does not model.
 * `--model stories260K` serves the tiny trained model instead; any other value is a GGUF path.
 */
function modelPath(): string {
  const choice = arg("model", "stories15M-q8");
  if (choice === "stories260K") return resolve(ROOT, "../shared/models/stories260K.gguf");
  if (choice !== "stories15M-q8") return resolve(choice);
  const path = join(tmpdir(), "flotilla-bench-models", "stories15M-Q8_0-random-v1.gguf");
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    writeRandomModel(path, {
      architecture: "llama", dim: 288, numLayers: 6, numHeads: 6, numKvHeads: 6, ffnDim: 768, contextLength: 2048,
      weightType: GgmlType.Q8_0, vocabFrom: resolve(ROOT, "../shared/models/vocab/ggml-vocab-llama-spm.gguf"), seed: 15, name: "random stories15M shape",
    });
  }
  return path;
}
const MODEL = modelPath();
const PORT = Number(arg("port", "18931"));
const REQUESTS = arg("requests", "200");
const dir = join(tmpdir(), "flotilla-sim-fidelity");
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });

// The same engine settings for the server and the simulator.
const ENGINE = ["--max-num-seqs", "8", "--max-batched-tokens", "128", "--num-kv-blocks", "512", "--no-prefix-caching"];
const WORKLOADS = {
  A: ["--dataset", "random", "--random-input-len", "48", "--random-output-len", "48", "--random-range-ratio", "0.5", "--request-rate", "20", "--num-requests", REQUESTS, "--seed", "1"],
  B: ["--dataset", "random", "--random-input-len", "96", "--random-output-len", "24", "--random-range-ratio", "0.5", "--request-rate", "12", "--num-requests", REQUESTS, "--seed", "2"],
} as const;

function flotilla(args: readonly string[]): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`flotilla ${args.join(" ")} failed:\n${r.stderr}`);
  return r.stdout;
}

async function serve(stepLog: string): Promise<ChildProcess> {
  const p = spawn(process.execPath, [CLI, "serve", "--model", MODEL, "--port", String(PORT), "--log-steps", stepLog, ...ENGINE], { stdio: ["ignore", "ignore", "inherit"] });
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${PORT}/health`)).ok) return p;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  p.kill();
  throw new Error("flotilla serve did not come up");
}

async function stop(p: ChildProcess): Promise<void> {
  const exited = new Promise((r) => p.once("exit", r));
  p.kill("SIGTERM");
  await exited;
}

async function real(name: keyof typeof WORKLOADS, run: string = name): Promise<void> {
  process.stderr.write(`serving workload ${name} for real (${run}) ...\n`);
  const server = await serve(join(dir, `${run}-steps.jsonl`));
  try {
    flotilla(["bench", "--base-url", `http://127.0.0.1:${PORT}`, ...WORKLOADS[name], "--ignore-eos", "--label", `real ${run}`, "--out", join(dir, `real-${run}`)]);
  } finally {
    await stop(server);
  }
}

interface Latency { median: number; p90: number }
interface Summary { metrics: { latencyMs: { ttft: Latency; tpot: Latency; e2e: Latency }; durationS: number } }
const summary = (d: string): Summary => JSON.parse(readFileSync(join(dir, d, "summary.json"), "utf8")) as Summary;

await real("A");
await real("B");
await real("A", "A2");
process.stderr.write("calibrating on A's step log ...\n");
process.stdout.write(flotilla(["sim", "calibrate", "--step-log", join(dir, "A-steps.jsonl"), "--bench-summary", join(dir, "real-A"), "--model", MODEL, "--out", join(dir, "hw.json")]));
for (const name of ["A", "B"] as const) {
  flotilla(["sim", "run", "--model", MODEL, "--gpu", join(dir, "hw.json"), ...WORKLOADS[name], ...ENGINE, "--label", `sim ${name}`, "--out", join(dir, `sim-${name}`)]);
}
flotilla(["bench", "compare", join(dir, "real-B"), join(dir, "sim-B"), "--out", join(dir, "compare-B")]);

const rows: string[] = ["workload      metric  percentile      real ms   other ms    error"];
const compare = (label: string, reference: string, other: string): void => {
  const r = summary(reference).metrics.latencyMs;
  const s = summary(other).metrics.latencyMs;
  for (const metric of ["ttft", "tpot", "e2e"] as const) {
    for (const [pct, key] of [["p50", "median"], ["p90", "p90"]] as const) {
      const a = r[metric][key];
      const b = s[metric][key];
      rows.push(`${label.padEnd(13)} ${metric.padEnd(7)} ${pct.padEnd(10)} ${a.toFixed(2).padStart(12)} ${b.toFixed(2).padStart(10)} ${((100 * (b - a)) / a).toFixed(1).padStart(7)}%`);
    }
  }
};
compare("A (fit), sim", "real-A", "sim-A");
compare("B, sim", "real-B", "sim-B");
compare("A again, real", "real-A", "real-A2");
process.stdout.write(`${rows.join("\n")}\n("A again, real": the first A run against the same workload served again after B: the machine's own drift)\nresults in ${dir} (compare-B/report.html overlays real and simulated B)\n`);
