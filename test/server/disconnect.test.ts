/** A client that goes away aborts its requests: KV blocks are freed at once and nothing runs. */
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, kvIsWhole, metricValue, MODEL_NAME, post, startServer, type TestServer } from "./helpers.js";

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(() => s.close());

const LONG = { model: MODEL_NAME, prompt: "Once upon a time", max_tokens: 1500, ignore_eos: true };

async function scrape(): Promise<string> {
  return (await fetch(`${s.url}/metrics`)).text();
}

describe("client disconnect", () => {
  it("mid-stream (openai client abort) frees every KV block and stops the request", async () => {
    const controller = new AbortController();
    const stream = await s.client.completions.create({ ...LONG, stream: true, n: 2 }, { signal: controller.signal });
    let chunks = 0;
    try {
      for await (const _ of stream) {
        if (++chunks === 3) controller.abort();
      }
    } catch {
      // The SDK may end the iteration quietly or with an abort error.
    }
    expect(chunks).toBeGreaterThanOrEqual(3);
    await eventually(() => kvIsWhole(s.serving));
    expect(s.serving.engine.numRunning).toBe(0);
    expect(metricValue(await scrape(), "vllm:num_requests_running")).toBe(0);
    expect(metricValue(await scrape(), "vllm:request_success_total", { finished_reason: "abort" })).toBe(2);
    expect(s.serving.context.metrics.numTracked).toBe(0);
  });

  it("mid-stream (raw socket destroyed) does the same", async () => {
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(`${s.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" } }, (res) => {
        res.once("data", () => {
          // The stream has started: the request holds KV blocks now.
          expect(s.serving.engine.kv.numFreeBlocks).toBeLessThan(s.serving.engine.kv.numBlocks);
          req.destroy();
          resolve();
        });
      });
      req.on("error", () => {});
      req.end(JSON.stringify({ model: MODEL_NAME, messages: [{ role: "user", content: "Hi" }], max_tokens: 1500, ignore_eos: true, stream: true }));
      setTimeout(() => reject(new Error("no data")), 10_000);
    });
    await eventually(() => kvIsWhole(s.serving));
    expect(metricValue(await scrape(), "vllm:num_requests_running")).toBe(0);
  });

  it("while waiting for a non-streamed answer aborts it too", async () => {
    const controller = new AbortController();
    const pending = fetch(`${s.url}/v1/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(LONG), signal: controller.signal });
    await eventually(() => s.serving.engine.numRunning === 1);
    controller.abort();
    await expect(pending).rejects.toThrow();
    await eventually(() => kvIsWhole(s.serving) && s.serving.engine.numRunning === 0);
  });

  it("a request after all that is served normally", async () => {
    const r = await post(`${s.url}/v1/completions`, { model: MODEL_NAME, prompt: "Hi", max_tokens: 3 });
    expect(r.status).toBe(200);
    expect(kvIsWhole(s.serving)).toBe(true);
  });
});
