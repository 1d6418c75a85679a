/**
 * Bad input gets OpenAI's error envelope with the right status, and the official client maps each
 * to its error class; the server keeps serving.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kvIsWhole, MODEL_NAME, post, startServer, type TestServer } from "./helpers.js";

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(() => s.close());

interface Envelope {
  error: { message: string; type: string; param: string | null; code: string | null };
}

async function expectError(res: Response, status: number, match: Partial<Envelope["error"]>): Promise<Envelope["error"]> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const body = (await res.json()) as Envelope;
  expect(Object.keys(body)).toEqual(["error"]);
  expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(body.error).toMatchObject(match);
  return body.error;
}

const ok = { model: MODEL_NAME, prompt: "Once upon a time", max_tokens: 2 };
const chat = { model: MODEL_NAME, messages: [{ role: "user" as const, content: "Hi" }], max_tokens: 2 };

describe("bad requests", () => {
  it("maps to the SDK's error classes", async () => {
    await expect(s.client.completions.create({ ...ok, temperature: -1 })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(s.client.completions.create({ ...ok, model: "gpt-17" })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const err = await s.client.chat.completions.create({ ...chat, n: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("n");
  });

  it("invalid JSON, a non-object body, wrong types, missing and unknown fields", async () => {
    const url = `${s.url}/v1/completions`;
    await expectError(await post(url, "{\"prompt\": "), 400, { code: "invalid_json", type: "invalid_request_error" });
    await expectError(await post(url, "[1,2]"), 400, { param: null });
    await expectError(await post(url, { ...ok, temperature: "hot" }), 400, { code: "invalid_type", param: "temperature" });
    await expectError(await post(url, { model: MODEL_NAME }), 400, { code: "missing_required_parameter", param: "prompt" });
    await expectError(await post(url, { ...ok, frobnicate: 1 }), 400, { code: "unknown_parameter", param: "frobnicate" });
    await expectError(await post(`${s.url}/v1/chat/completions`, { ...chat, messages: [{ role: "wizard", content: "x" }] }), 400, { param: "messages[0].role" });
    await expectError(await post(`${s.url}/v1/chat/completions`, { ...chat, messages: [] }), 400, { param: "messages" });
  });

  it("out-of-range values name the parameter", async () => {
    const url = `${s.url}/v1/completions`;
    await expectError(await post(url, { ...ok, temperature: -0.5 }), 400, { code: "invalid_value", param: "temperature" });
    await expectError(await post(url, { ...ok, top_p: 0 }), 400, { param: "top_p" });
    await expectError(await post(url, { ...ok, top_k: -5 }), 400, { param: "top_k" });
    await expectError(await post(url, { ...ok, presence_penalty: 3 }), 400, { param: "presence_penalty" });
    await expectError(await post(url, { ...ok, n: 0 }), 400, { param: "n" });
    await expectError(await post(url, { ...ok, logprobs: 21 }), 400, { param: "logprobs" });
    await expectError(await post(url, { ...ok, logit_bias: { "999999": 5 } }), 400, { param: "logit_bias" });
    await expectError(await post(url, { ...ok, logit_bias: { abc: 5 } }), 400, { param: "logit_bias" });
    await expectError(await post(url, { ...ok, prompt: [1, 2, 99999] }), 400, { param: "prompt" });
    await expectError(await post(url, { ...ok, max_tokens: 0 }), 400, { param: "max_tokens" });
    await expectError(await post(url, { ...ok, suffix: "x" }), 400, { code: "unsupported_parameter", param: "suffix" });
    await expectError(await post(url, { ...ok, stream_options: { include_usage: true } }), 400, { param: "stream_options" });
    await expectError(await post(`${s.url}/v1/chat/completions`, { ...chat, top_logprobs: 2 }), 400, { param: "top_logprobs" });
    await expectError(await post(`${s.url}/v1/chat/completions`, { ...chat, response_format: { type: "json_object" } }), 400, { param: "response_format" });
  });

  it("max_tokens beyond the context and prompts longer than the context", async () => {
    const max = s.serving.context.maxModelLen;
    const e = await expectError(await post(`${s.url}/v1/completions`, { ...ok, max_tokens: max }), 400, { code: "context_length_exceeded", param: "prompt" });
    expect(e.message).toMatch(new RegExp(`maximum context length is ${max} tokens`));
    const longIds = Array.from({ length: max + 5 }, () => 300);
    await expectError(await post(`${s.url}/v1/completions`, { ...ok, prompt: longIds }), 400, { code: "context_length_exceeded" });
    const longText = "dog ".repeat(max);
    await expectError(await post(`${s.url}/v1/chat/completions`, { ...chat, messages: [{ role: "user", content: longText }] }), 400, { code: "context_length_exceeded", param: "messages" });
  });

  it("unknown model 404, unknown route 404, wrong method 405", async () => {
    await expectError(await post(`${s.url}/v1/completions`, { ...ok, model: "nope" }), 404, { code: "model_not_found", param: "model" });
    await expectError(await fetch(`${s.url}/v1/models/nope`), 404, { code: "model_not_found" });
    await expectError(await fetch(`${s.url}/v2/anything`), 404, { code: "not_found" });
    await expectError(await fetch(`${s.url}/v1/completions`), 405, { code: "method_not_allowed" });
  });

  it("still serves, with no KV block held", async () => {
    const r = await s.client.completions.create(ok);
    expect(r.choices[0]!.text.length).toBeGreaterThan(0);
    expect(kvIsWhole(s.serving)).toBe(true);
  });
});

describe("API key", () => {
  it("guards /v1 with 401; health, metrics and tokenize stay open", async () => {
    const a = await startServer({}, { apiKey: "sekret" });
    try {
      const good = await a.client.completions.create(ok);
      expect(good.choices).toHaveLength(1);
      const wrong = new OpenAI({ baseURL: `${a.url}/v1`, apiKey: "guess", maxRetries: 0 });
      await expect(wrong.completions.create(ok)).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
      await expectError(await fetch(`${a.url}/v1/models`), 401, { code: "invalid_api_key" });
      expect((await fetch(`${a.url}/health`)).status).toBe(200);
      expect((await fetch(`${a.url}/metrics`)).status).toBe(200);
      expect((await post(`${a.url}/tokenize`, { prompt: "hi" })).status).toBe(200);
    } finally {
      await a.close();
    }
  });
});

describe("body size limit", () => {
  it("answers 413 to a body over the limit, declared or chunked, and keeps serving", async () => {
    const small = await startServer({}, { maxBodyBytes: 1024 });
    try {
      const big = JSON.stringify({ ...ok, prompt: "x".repeat(64 * 1024) });
      await expectError(await post(`${small.url}/v1/completions`, big), 413, { code: "request_too_large" });
      // Chunked (no Content-Length): counted as it arrives.
      const chunked = new ReadableStream<Uint8Array>({
        start(c) {
          for (let i = 0; i < 8; i++) c.enqueue(new TextEncoder().encode("x".repeat(1000)));
          c.close();
        },
      });
      const res = await fetch(`${small.url}/v1/completions`, { method: "POST", body: chunked, duplex: "half" } as RequestInit);
      await expectError(res, 413, { code: "request_too_large" });
      // In-process (no socket): the app enforces the same limit.
      const inProc = await small.serving.app.fetch(new Request("http://x/v1/completions", { method: "POST", body: big }));
      await expectError(inProc, 413, {});
      expect((await small.client.completions.create(ok)).choices).toHaveLength(1);
    } finally {
      await small.close();
    }
  });
});

describe("overload", () => {
  it("answers 429 with Retry-After once the waiting queue is full", async () => {
    const o = await startServer({ maxNumSeqs: 1 }, { maxQueuedRequests: 1 });
    try {
      const long = { ...ok, max_tokens: 200, ignore_eos: true, stream: true };
      const first = await post(`${o.url}/v1/completions`, long); // runs
      const second = await post(`${o.url}/v1/completions`, long); // waits (1 of 1)
      expect(first.status).toBe(200);
      expect(second.status).toBe(200);
      const third = await post(`${o.url}/v1/completions`, ok);
      await expectError(third, 429, { code: "queue_full", type: "rate_limit_error" });
      expect(third.headers.get("retry-after")).toBe("1");
      const sdkErr = await o.client.completions.create(ok).catch((e: unknown) => e);
      expect(sdkErr).toBeInstanceOf(OpenAI.RateLimitError);
      await first.body!.cancel();
      await second.body!.cancel();
      await expectError(await post(`${o.url}/v1/completions`, { ...ok, n: 2 }), 400, { param: "n" }); // can never fit
    } finally {
      await o.close();
    }
  });
});
