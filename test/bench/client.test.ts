/**
 * The streaming client against a real HTTP server that streams like OpenAI (test fixture):
 * timings, token counts, and every kind of failure counted with its reason.
 */
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exactText } from "../../src/bench/client/exact-text.js";
import { closeConnection, openConnection } from "../../src/bench/client/http.js";
import type { FailedRecord, OkRecord } from "../../src/bench/client/record.js";
import { SseParser } from "../../src/bench/client/sse.js";
import { streamRequest } from "../../src/bench/client/stream-request.js";
import { LocalTokenizer, ServerTokenizer } from "../../src/bench/client/target-tokenizer.js";
import { requestBody, type SamplingOptions } from "../../src/bench/client/wire.js";
import { GgufFile } from "../../src/engine/model/gguf/reader.js";
import { loadTokenizer } from "../../src/engine/tokenizer/index.js";
import { STORIES_260K } from "../helpers/paths.js";
import { type Behavior, type Fixture, startFixture } from "./fixtures/openai-sse-server.js";

const file = GgufFile.open(STORIES_260K);
const tokenizer = loadTokenizer(file);
file.close();

const SAMPLING: SamplingOptions = { model: "fixture-model", temperature: 0, ignoreEos: true, extraBody: {} };
let behavior: Behavior = { kind: "stream", ttftMs: 5, itlMs: 2 };
let fx: Fixture;

beforeAll(async () => {
  fx = await startFixture({ tokenizer, behavior: () => behavior });
});
afterAll(() => fx.close());

async function send(endpoint: "completions" | "chat", maxTokens: number, timeoutMs = 5000) {
  const conn = openConnection(fx.url);
  try {
    const prompt = endpoint === "chat" ? ({ kind: "messages", messages: [{ role: "user", content: "hi" }] } as const) : ({ kind: "ids", tokenIds: [300, 301, 302] } as const);
    return await streamRequest(conn, requestBody(endpoint, prompt, maxTokens, SAMPLING), { endpoint, timeoutMs, now: () => performance.now() });
  } finally {
    closeConnection(conn);
  }
}

describe("SSE parsing", () => {
  it("handles events split anywhere, CRLF, comments and multi-line data", () => {
    const p = new SseParser();
    const stream = ': keep-alive\r\ndata: {"a":1}\r\n\r\ndata: x\ndata: y\n\nevent: ping\ndata: [DONE]';
    const out: string[] = [];
    for (let i = 0; i < stream.length; i += 3) out.push(...p.push(stream.slice(i, i + 3)));
    out.push(...p.end());
    expect(out).toEqual(['{"a":1}', "x\ny", "[DONE]"]);
  });
});

describe("request bodies", () => {
  it("sends token ids to completions and messages to chat, with usage in the stream", () => {
    expect(requestBody("completions", { kind: "ids", tokenIds: [1, 2] }, 7, SAMPLING)).toEqual({
      model: "fixture-model",
      max_tokens: 7,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
      ignore_eos: true,
      prompt: [1, 2],
    });
    const chat = requestBody("chat", { kind: "text", text: "hey" }, 3, { ...SAMPLING, ignoreEos: false, extraBody: { top_k: 1 } });
    expect(chat).toMatchObject({ messages: [{ role: "user", content: "hey" }], top_k: 1 });
    expect(chat).not.toHaveProperty("ignore_eos");
  });
});

describe("streaming client", () => {
  it("times a completions stream: TTFT, one ITL per later chunk, output tokens from usage", async () => {
    behavior = { kind: "stream", ttftMs: 30, itlMs: 10 };
    const r = (await send("completions", 6)) as OkRecord;
    expect(r.status).toBe("ok");
    expect(r.ttftMs).toBeGreaterThanOrEqual(29);
    expect(r.ttftMs).toBeLessThan(500);
    expect(r.itlMs.length).toBe(5);
    // Gaps jitter with delivery (a late chunk makes the next gap short); their sum does not.
    expect(Array.from(r.itlMs).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(45);
    for (const gap of r.itlMs) expect(gap).toBeGreaterThan(0);
    expect(r.e2eMs).toBeGreaterThanOrEqual(r.ttftMs + Array.from(r.itlMs).reduce((a, b) => a + b, 0) - 0.001);
    expect(r).toMatchObject({ outputTokens: 6, outputTokensFrom: "usage", serverPromptTokens: 3, cachedPromptTokens: 0, finishReason: "length" });
  });

  it("does not count chat's empty role chunk as the first token", async () => {
    behavior = { kind: "stream", ttftMs: 40, itlMs: 1 };
    const r = (await send("chat", 3)) as OkRecord;
    expect(r.status).toBe("ok");
    expect(r.ttftMs).toBeGreaterThanOrEqual(39);
    expect(r.itlMs.length).toBe(2);
    expect(r.outputTokens).toBe(3);
  });

  it("counts chunks when the server reports no usage; several tokens a chunk make one ITL", async () => {
    behavior = { kind: "stream", ttftMs: 1, itlMs: 1, usage: false };
    expect(await send("completions", 5)).toMatchObject({ status: "ok", outputTokens: 5, outputTokensFrom: "chunks" });
    behavior = { kind: "stream", ttftMs: 1, itlMs: 1, tokensPerChunk: 4 };
    const r = (await send("completions", 8)) as OkRecord;
    expect(r).toMatchObject({ outputTokens: 8, outputTokensFrom: "usage" });
    expect(r.itlMs.length).toBe(1);
  });

  it.each([
    [{ kind: "http-error", status: 400, message: "This model's maximum context length is 512 tokens" }, "http", /400: This model's maximum context length/],
    [{ kind: "http-error", status: 503, message: "shutting down" }, "http", /503: shutting down/],
    [{ kind: "disconnect", afterChunks: 2 }, "disconnect", /stream/],
    [{ kind: "stream-error", afterChunks: 1 }, "stream-error", /engine fault/],
  ] as const)("fails with a reason: %j", async (b, kind, message) => {
    behavior = b;
    const r = (await send("completions", 6)) as FailedRecord;
    expect(r.status).toBe("failed");
    expect(r.error.kind).toBe(kind);
    expect(r.error.message).toMatch(message);
    if (b.kind === "http-error") expect(r.error.status).toBe(b.status);
    if (b.kind === "disconnect") expect(r.chunksReceived).toBe(2);
  });

  it("fails a request that takes longer than the timeout", async () => {
    behavior = { kind: "hang" };
    const t0 = performance.now();
    const r = (await send("completions", 6, 150)) as FailedRecord;
    expect(r.error.kind).toBe("timeout");
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(r.elapsedMs).toBeGreaterThanOrEqual(149);
  });

  it("fails with 'connect' when nothing listens", async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const conn = openConnection(`http://127.0.0.1:${port}`);
    const r = await streamRequest(conn, requestBody("completions", { kind: "ids", tokenIds: [1] }, 1, SAMPLING), { endpoint: "completions", timeoutMs: 2000, now: () => performance.now() });
    closeConnection(conn);
    expect(r).toMatchObject({ status: "failed", error: { kind: "connect" } });
    expect((r as FailedRecord).error.message).toMatch(/ECONNREFUSED/);
  });
});

describe("exact prompt lengths in the target's tokens", () => {
  it("turns token ids into text of exactly as many tokens (stories260K's real tokenizer)", async () => {
    const local = new LocalTokenizer(STORIES_260K);
    expect(local.specialIds).toEqual(expect.arrayContaining([1, 2]));
    const ids = tokenizer.encode("the cat sat on the mat and then it went home to play with a big red ball", { addSpecial: false });
    for (const n of [1, 2, 5, 17, 64, 200]) {
      const want = Array.from({ length: n }, (_, i) => ids[(i * 7) % ids.length]!);
      const r = await exactText(local, want);
      expect(r.exact).toBe(true);
      expect(tokenizer.encode(r.text, { addSpecial: false }).length).toBe(n);
    }
  });

  it("uses the server's /tokenize and /detokenize when it has them", async () => {
    const conn = openConnection(fx.url);
    const tok = await ServerTokenizer.probe(conn, "fixture-model");
    expect(tok).not.toBeNull();
    expect(await tok!.encode("hello world")).toEqual(tokenizer.encode("hello world", { addSpecial: false }));
    const r = await exactText(tok!, [265, 280, 294, 262, 294, 353]);
    expect(r).toMatchObject({ exact: true, tokens: 6 });
    closeConnection(conn);
    const bare = await startFixture();
    const conn2 = openConnection(bare.url);
    expect(await ServerTokenizer.probe(conn2, "fixture-model")).toBeNull();
    closeConnection(conn2);
    await bare.close();
  });
});
