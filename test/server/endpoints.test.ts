/** /v1/models, /health, /version, /metrics, vLLM's /tokenize and /detokenize. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { metricValue, MODEL_NAME, post, startServer, stories, type TestServer } from "./helpers.js";

let s: TestServer;
beforeAll(async () => {
  s = await startServer({}, { servedModelNames: [MODEL_NAME, "alias"] });
});
afterAll(() => s.close());

describe("endpoints", () => {
  it("GET /v1/models lists every served name (openai client)", async () => {
    const list = await s.client.models.list();
    expect(list.data.map((m) => m.id)).toEqual([MODEL_NAME, "alias"]);
    const m = await s.client.models.retrieve("alias");
    expect(m).toMatchObject({ id: "alias", object: "model", owned_by: "flotilla", max_model_len: 2048 });
    // Either name may be used; responses report the one asked for.
    const r = await s.client.completions.create({ model: "alias", prompt: "Hi", max_tokens: 1 });
    expect(r.model).toBe("alias");
  });

  it("GET /health and /version", async () => {
    const h = await fetch(`${s.url}/health`);
    expect(h.status).toBe(200);
    expect(await h.text()).toBe("");
    expect(await (await fetch(`${s.url}/version`)).json()).toEqual({ version: expect.any(String) });
  });

  it("POST /tokenize and /detokenize round-trip", async () => {
    const { tokenizer } = stories();
    const t = await post(`${s.url}/tokenize`, { model: MODEL_NAME, prompt: "Once upon a time" });
    const body = (await t.json()) as { tokens: number[]; count: number; max_model_len: number; token_strs: null };
    expect(body).toEqual({ tokens: tokenizer.encode("Once upon a time"), count: body.tokens.length, max_model_len: 2048, token_strs: null });
    expect(body.tokens[0]).toBe(tokenizer.bosId);
    const noBos = (await (await post(`${s.url}/tokenize`, { prompt: "Once upon a time", add_special_tokens: false, return_token_strs: true })).json()) as { tokens: number[]; token_strs: string[] };
    expect(noBos.tokens).toEqual(body.tokens.slice(1));
    expect(noBos.token_strs.join("")).toBe(" Once upon a time");
    const d = await post(`${s.url}/detokenize`, { model: MODEL_NAME, tokens: noBos.tokens });
    expect(await d.json()).toEqual({ prompt: "Once upon a time" });
    expect((await post(`${s.url}/detokenize`, { tokens: [1e6] })).status).toBe(400);
    expect((await post(`${s.url}/tokenize`, { prompt: "x", model: "other" })).status).toBe(404);
  });

  it("GET /metrics uses vLLM's names, with model_name, and counts what happened", async () => {
    await s.client.completions.create({ model: MODEL_NAME, prompt: "The dog ran", max_tokens: 4 });
    const res = await fetch(`${s.url}/metrics`);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const gauges = ["vllm:num_requests_running", "vllm:num_requests_waiting", "vllm:kv_cache_usage_perc"];
    const counters = [
      "vllm:prefix_cache_queries_total",
      "vllm:prefix_cache_hits_total",
      "vllm:num_preemptions_total",
      "vllm:prompt_tokens_total",
      "vllm:generation_tokens_total",
    ];
    const histograms = [
      "vllm:time_to_first_token_seconds",
      "vllm:inter_token_latency_seconds",
      "vllm:e2e_request_latency_seconds",
      "vllm:request_queue_time_seconds",
      "vllm:request_prefill_time_seconds",
      "vllm:request_decode_time_seconds",
      "vllm:request_prompt_tokens",
      "vllm:request_generation_tokens",
    ];
    for (const g of gauges) {
      expect(text).toContain(`# TYPE ${g} gauge`);
      expect(metricValue(text, g, { model_name: MODEL_NAME })).toBe(0);
    }
    for (const c of counters) {
      expect(text).toContain(`# TYPE ${c} counter`);
      expect(metricValue(text, c, { model_name: MODEL_NAME })).toBeGreaterThanOrEqual(0);
    }
    for (const h of histograms) {
      expect(text).toContain(`# TYPE ${h} histogram`);
      expect(metricValue(text, `${h}_count`, { model_name: MODEL_NAME })).toBeGreaterThanOrEqual(2);
    }
    expect(metricValue(text, "vllm:request_success_total", { model_name: MODEL_NAME, finished_reason: "length" })).toBe(2);
    expect(metricValue(text, "vllm:generation_tokens_total")).toBe(5);
    expect(metricValue(text, "vllm:prompt_tokens_total")).toBe(stories().tokenizer.encode("Hi").length + stories().tokenizer.encode("The dog ran").length);
    expect(metricValue(text, "vllm:inter_token_latency_seconds_count")).toBe(3); // 4 tokens, 3 gaps (+0 for the 1-token request)
    expect(text).toContain("process_resident_memory_bytes");
  });
});
