/**
 * Issue-4 measurement: requests/s and p50/p99 latency of /v1/completions (max_tokens 16) on
 * stories260K at concurrency 1, 8 and 32, measured with `flotilla bench` against a real
 * `flotilla serve`; then the server's resident memory before and after a few thousand malformed
 * requests. Usage: npm run bench:serve [-- --requests 200]
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..");
const CLI = join(ROOT, "bin/flotilla.js");
const MODEL = resolve(ROOT, "../shared/models/stories260K.gguf");
const argN = process.argv.indexOf("--requests");
const NUM_REQUESTS = argN >= 0 ? Number(process.argv[argN + 1]) : 200;
const out = mkdtempSync(join(tmpdir(), "flotilla-bench-serve-"));

const server = spawn(process.execPath, [CLI, "serve", "--model", MODEL, "--port", "0", "--max-num-seqs", "32"], { stdio: ["ignore", "ignore", "pipe"] });
const baseUrl: string = await new Promise((resolveUrl, reject) => {
  let log = "";
  server.stderr.on("data", (b: Buffer) => {
    log += b.toString();
    const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(log);
    if (m) resolveUrl(m[1]!);
  });
  server.on("exit", (code) => reject(new Error(`server exited (${code}): ${log}`)));
});

async function rssBytes(): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  return Number(/^process_resident_memory_bytes(?:\{[^}]*\})? (\S+)/m.exec(text)![1]);
}

try {
  const rows: string[] = [];
  for (const c of [1, 8, 32]) {
    const dir = join(out, `c${c}`);
    process.stderr.write(`concurrency ${c} ...\n`);
    const r = spawnSync(process.execPath, [CLI, "bench", "--base-url", baseUrl, "--dataset", "random", "--random-input-len", "32", "--random-output-len", "16", "--random-range-ratio", "0", "--ignore-eos", "--max-concurrency", String(c), "--num-requests", String(NUM_REQUESTS), "--seed", "1", "--out", dir], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`bench failed: ${r.stderr}`);
    const m = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")).metrics;
    rows.push(`| ${c} | ${m.requests.completed}/${m.requests.sent} | ${m.throughput.requestsPerS.toFixed(1)} | ${m.latencyMs.e2e.median.toFixed(1)} | ${m.latencyMs.e2e.p99.toFixed(1)} | ${m.latencyMs.ttft.median.toFixed(1)} | ${m.throughput.outputTokensPerS.toFixed(0)} |`);
  }

  // Malformed requests: broken JSON, wrong types, out-of-range values, unknown fields and routes.
  const before = await rssBytes();
  const bodies = ["{", "null", "[]", '{"prompt": 5}', '{"prompt": "x", "max_tokens": -1}', '{"prompt": "x", "temperature": "hot"}', '{"messages": "hi"}', '{"messages": [{"role": "x"}]}', '{"prompt": "x", "n": 0}', '{"prompt": "x", "bogus": 1}', '{"prompt": "x", "max_tokens": 100000}', `{"prompt": "${"x".repeat(5000)}"}`, '{"prompt": [1, -5, 99999]}', '{"prompt": "x", "logit_bias": {"abc": 1}}'];
  const paths = ["/v1/completions", "/v1/chat/completions", "/tokenize", "/detokenize", "/v1/nope"];
  const NUM_FUZZ = 3000;
  const statuses = new Map<number, number>();
  for (let i = 0; i < NUM_FUZZ; i += 50) {
    await Promise.all(
      Array.from({ length: 50 }, async (_, j) => {
        const k = i + j;
        const res = await fetch(`${baseUrl}${paths[k % paths.length]}`, { method: "POST", headers: { "content-type": "application/json" }, body: bodies[(k * 7) % bodies.length] });
        await res.arrayBuffer();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      }),
    );
  }
  const after = await rssBytes();
  const ok = await fetch(`${baseUrl}/v1/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ prompt: "Once upon a time", max_tokens: 8 }) });
  const running = /^vllm:num_requests_running\{[^}]*\} (\S+)/m.exec(await (await fetch(`${baseUrl}/metrics`)).text())![1];

  console.log(`\n/v1/completions on stories260K (32 prompt tokens, 16 output tokens, ignore_eos), ${NUM_REQUESTS} requests per level, client and server on the same 2 cores\n`);
  console.log("| concurrency | completed | requests/s | e2e p50 ms | e2e p99 ms | TTFT p50 ms | output tok/s |");
  console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const r of rows) console.log(r);
  console.log(`\nmalformed requests: ${NUM_FUZZ} (statuses ${[...statuses].map(([s, n]) => `${s}: ${n}`).join(", ")})`);
  console.log(`server RSS before ${(before / 2 ** 20).toFixed(1)} MiB, after ${(after / 2 ** 20).toFixed(1)} MiB; a normal request afterwards: HTTP ${ok.status}; requests running: ${running}`);
  console.log(`bench outputs in ${out}`);
} finally {
  server.kill("SIGTERM");
}
