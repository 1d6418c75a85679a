/**
 * Thousands of malformed requests, in-process and over raw sockets. Every answer is a well-formed
 * response (OpenAI's error envelope for errors, never a 500), and afterwards a normal request is
 * served and no KV block is held.
 */
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, kvIsWhole, MODEL_NAME, startServer, type TestServer } from "./helpers.js";
import { mulberry32 } from "../../src/util/mulberry32.js";

const rng = mulberry32;

const BASES: ReadonlyArray<{ path: string; body: Record<string, unknown> }> = [
  { path: "/v1/completions", body: { model: MODEL_NAME, prompt: "Once upon a time", max_tokens: 4, temperature: 0.7, top_p: 0.9, n: 1, stop: ["."], logprobs: 2 } },
  { path: "/v1/completions", body: { prompt: [1, 400, 300], max_tokens: 3, stream: true, stream_options: { include_usage: true }, echo: true, seed: 3 } },
  { path: "/v1/chat/completions", body: { model: MODEL_NAME, messages: [{ role: "system", content: "Be nice." }, { role: "user", content: "Hi" }], max_tokens: 4, logprobs: true, top_logprobs: 1 } },
  { path: "/v1/chat/completions", body: { messages: [{ role: "user", content: [{ type: "text", text: "Hi" }] }], max_completion_tokens: 3, stream: true, top_k: 5, min_p: 0.1 } },
  { path: "/tokenize", body: { model: MODEL_NAME, prompt: "Hello", add_special_tokens: true } },
  { path: "/detokenize", body: { model: MODEL_NAME, tokens: [1, 2, 3] } },
];

const FIELDS = ["model", "prompt", "messages", "max_tokens", "temperature", "top_p", "top_k", "n", "stop", "stream", "stream_options", "logprobs", "top_logprobs", "logit_bias", "seed", "echo", "presence_penalty", "frequency_penalty", "repetition_penalty", "min_p", "priority", "tokens", "ignore_eos", "min_tokens", "stop_token_ids", "max_completion_tokens", "tools", "tool_choice", "response_format", "bogus_field", "__proto__", "constructor"];

function randomValue(r: () => number, depth = 0): unknown {
  const k = Math.floor(r() * 16);
  switch (k) {
    case 0: return null;
    case 1: return r() < 0.5;
    case 2: return [0, -1, 1, 2, 3, 16, 128, 1e6, -1e9, 2 ** 53 + 2, 1e308, -1e308, 0.5, 1e-9][Math.floor(r() * 14)];
    case 3: return Math.floor(r() * 600) - 50;
    case 4: return r() * 4 - 2;
    case 5: return "";
    case 6: return "x".repeat(Math.floor(r() * 300));
    case 7: return String.fromCharCode(...Array.from({ length: 8 }, () => Math.floor(r() * 0xffff)));
    case 8: return "<s></s><|im_end|>\u0000\ud800";
    case 9: return depth > 3 ? [] : Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
    case 10: return depth > 3 ? {} : Object.fromEntries(Array.from({ length: Math.floor(r() * 3) }, () => [FIELDS[Math.floor(r() * FIELDS.length)]!, randomValue(r, depth + 1)]));
    case 11: return [Math.floor(r() * 1000), -1, 512, 511];
    case 12: return [{ role: ["user", "assistant", "system", "tool", "x"][Math.floor(r() * 5)], content: randomValue(r, depth + 1) }];
    case 13: return { "10": 100, "-1": 1, abc: 2, "1e3": -200 };
    case 14: return "Once upon a time";
    default: return { type: ["text", "image_url", "json_object", 5][Math.floor(r() * 4)], text: "x" };
  }
}

/** One malformed (or occasionally valid) request: method, path and raw body. */
function randomRequest(r: () => number): { method: string; path: string; body: string | undefined } {
  const kind = r();
  const base = BASES[Math.floor(r() * BASES.length)]!;
  if (kind < 0.05) return { method: ["GET", "PUT", "DELETE", "PATCH"][Math.floor(r() * 4)]!, path: base.path, body: undefined };
  if (kind < 0.08) return { method: "POST", path: ["/", "/v1", "/v1/models/x%00", "/v1/completions/../x", "/%ff"][Math.floor(r() * 5)]!, body: "{}" };
  if (kind < 0.15) return { method: "POST", path: base.path, body: Array.from({ length: Math.floor(r() * 64) }, () => String.fromCharCode(Math.floor(r() * 256))).join("") };
  if (kind < 0.22) {
    const text = JSON.stringify(base.body);
    return { method: "POST", path: base.path, body: text.slice(0, Math.floor(r() * text.length)) };
  }
  if (kind < 0.26) return { method: "POST", path: base.path, body: JSON.stringify(randomValue(r)) };
  if (kind < 0.28) return { method: "POST", path: base.path, body: `{"prompt":${"[".repeat(5000)}${"]".repeat(5000)}}` };
  const body: Record<string, unknown> = { ...base.body };
  const numMutations = 1 + Math.floor(r() * 3);
  for (let i = 0; i < numMutations; i++) {
    const field = FIELDS[Math.floor(r() * FIELDS.length)]!;
    if (r() < 0.2) delete body[field];
    else body[field] = randomValue(r);
  }
  return { method: "POST", path: base.path, body: JSON.stringify(body) };
}

const ALLOWED = new Set([200, 400, 404, 405, 413, 429]);

let s: TestServer;
beforeAll(async () => {
  // A small KV cache caps every request at 64 tokens, so accidental valid requests stay cheap.
  s = await startServer({ numKvBlocks: 4, blockSize: 16, maxNumSeqs: 8 }, { maxQueuedRequests: 16, maxBodyBytes: 64 * 1024 });
});
afterAll(() => s.close());

describe("fuzz", () => {
  it("3000 malformed requests in-process: well-formed answers, never a 500", async () => {
    const r = rng(12345);
    const statuses = new Map<number, number>();
    const heapBefore = process.memoryUsage().heapUsed;
    for (let batch = 0; batch < 100; batch++) {
      await Promise.all(
        Array.from({ length: 30 }, async () => {
          const req = randomRequest(r);
          const cancelEarly = r() < 0.3;
          const res = await s.serving.app.fetch(new Request(`http://fuzz${req.path}`, { method: req.method, body: req.body ?? null, headers: { "content-type": "application/json" } }));
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (!ALLOWED.has(res.status)) throw new Error(`${req.method} ${req.path} ${req.body?.slice(0, 300)} -> ${res.status} ${await res.text()}`);
          if (res.status !== 200) {
            const body = (await res.json()) as { error: { message: unknown; type: unknown; param: unknown; code: unknown } };
            expect(typeof body.error.message).toBe("string");
            expect(typeof body.error.type).toBe("string");
            return;
          }
          if (res.headers.get("content-type")?.startsWith("text/event-stream")) {
            if (cancelEarly) {
              const reader = res.body!.getReader();
              await reader.read();
              await reader.cancel();
              return;
            }
            const text = await res.text();
            expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
          } else {
            await res.arrayBuffer();
          }
        }),
      );
    }
    const heapAfter = process.memoryUsage().heapUsed;
    console.log(`fuzz statuses: ${JSON.stringify(Object.fromEntries(statuses))}; heap ${(heapBefore / 2 ** 20).toFixed(1)} -> ${(heapAfter / 2 ** 20).toFixed(1)} MiB`);
    expect(statuses.get(400)).toBeGreaterThan(1000);
    expect(statuses.get(200)).toBeGreaterThan(10);
  });

  it("garbage on raw sockets does not take the server down", async () => {
    const r = rng(999);
    const garbage = (): string => {
      const k = r();
      if (k < 0.3) return Array.from({ length: 200 }, () => String.fromCharCode(Math.floor(r() * 256))).join("");
      if (k < 0.5) return "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"prompt\":"; // then hang up
      if (k < 0.7) return `GET / HTTP/1.1\r\n${"X-Junk: y\r\n".repeat(5000)}\r\n`;
      if (k < 0.85) return "POST /v1/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
      return "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n";
    };
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        new Promise<void>((resolve) => {
          const sock = connect(s.running.port, "127.0.0.1", () => {
            sock.write(garbage());
            setTimeout(() => sock.destroy(), i % 3 === 0 ? 0 : 20);
          });
          sock.on("error", () => {});
          sock.on("close", () => resolve());
          sock.resume();
        }),
      ),
    );
  });

  it("afterwards serves a normal request and holds no KV block", async () => {
    const res = await s.client.completions.create({ model: MODEL_NAME, prompt: "Once upon a time", max_tokens: 8, temperature: 0 });
    expect(res.choices[0]!.text.length).toBeGreaterThan(0);
    await eventually(() => kvIsWhole(s.serving));
    expect(s.serving.engine.numRunning).toBe(0);
    expect(s.serving.engine.numWaiting).toBe(0);
    expect(s.serving.context.metrics.numTracked).toBe(0);
    expect(s.serving.engine.kv.checkInvariants?.() ?? []).toEqual([]);
  });
});
