/** `flotilla serve` as users run it: a real process, its log, SIGTERM handling and exit code. */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { CLI, STORIES_260K, tempDir } from "../helpers/paths.js";
import { readSse } from "./helpers.js";

const cache = tempDir();
const children: ChildProcessWithoutNullStreams[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  cache.cleanup();
});

interface Served {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly url: string;
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
}

async function serve(...args: string[]): Promise<Served> {
  const proc = spawn(process.execPath, [CLI, "serve", "--port", "0", ...args], { env: { ...process.env, FLOTILLA_CACHE: cache.dir } });
  children.push(proc);
  let err = "";
  proc.stderr.on("data", (d: Buffer) => (err += d.toString()));
  proc.stdout.resume();
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listen line:\n${err}`)), 30_000);
    const check = (): void => {
      const m = /listening on (http:\/\/[^\s)]+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    proc.stderr.on("data", check);
    void exited.then(() => reject(new Error(`exited early:\n${err}`)));
  });
  return { proc, url, stderr: () => err, exited };
}

function completion(url: string, body: Record<string, unknown>, key?: string): Promise<Response> {
  return fetch(`${url}/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  });
}

describe("flotilla serve", () => {
  it("serves, then on SIGTERM lets an in-flight stream finish and exits 0", async () => {
    const s = await serve("--model", STORIES_260K, "--served-model-name", "stories", "--api-key", "k", "--shutdown-grace", "20", "--max-num-seqs", "4");
    expect(s.stderr()).toMatch(/loaded .*stories260K\.gguf \(llama, 5 layers/);
    expect((await completion(s.url, { model: "stories", prompt: "Hi", max_tokens: 1 })).status).toBe(401);
    const res = await completion(s.url, { model: "stories", prompt: "Once upon a time", max_tokens: 60, ignore_eos: true, stream: true }, "k");
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = new TextDecoder().decode((await reader.read()).value);
    s.proc.kill("SIGTERM");
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toContain('"finish_reason":"length"');
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    expect(await s.exited).toBe(0);
    expect(s.stderr()).toMatch(/SIGTERM: shutting down/);
    await expect(fetch(`${s.url}/health`)).rejects.toThrow();
  });

  it("aborts what is still running when the grace period ends, and still exits 0", async () => {
    const s = await serve("--model", STORIES_260K, "--shutdown-grace", "0.3");
    const res = await completion(s.url, { prompt: "Once upon a time", max_tokens: 1900, ignore_eos: true, stream: true });
    expect(res.status).toBe(200);
    const t0 = Date.now();
    s.proc.kill("SIGTERM");
    const events = await readSse(res);
    expect(events.at(-1)).toBe("[DONE]");
    const error = events.at(-2) as { error?: { code: string } };
    expect(error.error?.code).toBe("server_shutting_down");
    expect(await s.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it("with no --model serves the built-in demo model and says so", async () => {
    const s = await serve();
    try {
      expect(s.stderr()).toMatch(/built-in demo model/);
      const models = (await (await fetch(`${s.url}/v1/models`)).json()) as { data: Array<{ id: string }> };
      expect(models.data[0]!.id).toBe("flotilla-demo");
      const r = await fetch(`${s.url}/v1/chat/completions`, { method: "POST", body: JSON.stringify({ messages: [{ role: "user", content: "Hi" }], max_tokens: 4 }) });
      expect(r.status).toBe(200);
    } finally {
      s.proc.kill("SIGTERM");
      expect(await s.exited).toBe(0);
    }
  });

  it("refuses bad flags with a clear message", async () => {
    const proc = spawn(process.execPath, [CLI, "serve", "--port", "99999"]);
    let err = "";
    proc.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => proc.on("exit", resolve));
    expect(code).not.toBe(0);
    expect(err).toMatch(/--port must be <= 65535/);
  });
});
