/** `/v1/completions` through the official `openai` client against a real socket. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorOf, kvIsWhole, MODEL_NAME, post, readSse, referenceGreedy, startServer, stories, type TestServer } from "./helpers.js";

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(() => s.close());

const PROMPT = "Once upon a time";

describe("POST /v1/completions", () => {
  it("returns the greedy continuation the reference loop produces, with usage", async () => {
    const r = await s.client.completions.create({ model: MODEL_NAME, prompt: PROMPT, max_tokens: 12, temperature: 0 });
    const { tokenizer } = stories();
    const promptIds = tokenizer.encode(PROMPT, { addSpecial: true });
    const expected = referenceGreedy(promptIds, 12);
    expect(r.object).toBe("text_completion");
    expect(r.model).toBe(MODEL_NAME);
    expect(r.id).toMatch(/^cmpl-/);
    expect(r.choices).toHaveLength(1);
    const promptText = tokenizer.decode(promptIds, { skipSpecial: true });
    expect(r.choices[0]!.text).toBe(tokenizer.decode([...promptIds, ...expected], { skipSpecial: true }).slice(promptText.length));
    expect(r.choices[0]!.finish_reason).toBe("length");
    expect(r.usage).toEqual({ prompt_tokens: promptIds.length, completion_tokens: 12, total_tokens: promptIds.length + 12, prompt_tokens_details: { cached_tokens: 0 } });
  });

  it("defaults max_tokens to 16, as OpenAI and vLLM do", async () => {
    const r = await s.client.completions.create({ model: MODEL_NAME, prompt: PROMPT, temperature: 0 });
    expect(r.usage!.completion_tokens).toBe(16);
  });

  it("streams the same text, ends with [DONE], and reports usage last when asked", async () => {
    const whole = await s.client.completions.create({ model: MODEL_NAME, prompt: PROMPT, max_tokens: 10, temperature: 0 });
    const stream = await s.client.completions.create({ model: MODEL_NAME, prompt: PROMPT, max_tokens: 10, temperature: 0, stream: true, stream_options: { include_usage: true } });
    let text = "";
    const finish: Array<string | null> = [];
    let usage = null;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      if (chunk.usage) usage = chunk.usage;
      for (const c of chunk.choices) {
        text += c.text;
        finish.push(c.finish_reason);
      }
    }
    expect(chunks).toBeGreaterThan(2);
    expect(text).toBe(whole.choices[0]!.text);
    expect(finish.at(-1)).toBe("length");
    expect(usage).toEqual(whole.usage);
    // Raw wire format: each event is `data: <json>`, the last is `data: [DONE]`.
    const raw = await post(`${s.url}/v1/completions`, { prompt: PROMPT, max_tokens: 3, stream: true });
    expect(raw.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const events = await readSse(raw);
    expect(events.at(-1)).toBe("[DONE]");
    expect(events.slice(0, -1).every((e) => typeof e === "object" && e !== null && !("usage" in e))).toBe(true);
  });

  it("serves n samples and a batch of prompts, indexed prompt-major", async () => {
    const r = await s.client.completions.create({ model: MODEL_NAME, prompt: ["The dog", "The cat"], n: 2, max_tokens: 4, temperature: 1, seed: 7 });
    expect(r.choices.map((c) => c.index)).toEqual([0, 1, 2, 3]);
    const again = await s.client.completions.create({ model: MODEL_NAME, prompt: ["The dog", "The cat"], n: 2, max_tokens: 4, temperature: 1, seed: 7 });
    expect(again.choices.map((c) => c.text)).toEqual(r.choices.map((c) => c.text));
    const { tokenizer } = stories();
    const promptTokens = tokenizer.encode("The dog").length + tokenizer.encode("The cat").length;
    expect(r.usage!.prompt_tokens).toBe(promptTokens); // each prompt counted once, not n times
    expect(r.usage!.completion_tokens).toBe(16);
  });

  it("accepts token-id prompts and echoes the prompt", async () => {
    const ids = stories().tokenizer.encode(PROMPT);
    const byIds = await s.client.completions.create({ model: MODEL_NAME, prompt: ids, max_tokens: 5, temperature: 0 });
    const byText = await s.client.completions.create({ model: MODEL_NAME, prompt: PROMPT, max_tokens: 5, temperature: 0, echo: true });
    expect(byText.choices[0]!.text).toBe(PROMPT + byIds.choices[0]!.text);
    const echoOnly = await s.client.completions.create({ model: MODEL_NAME, prompt: PROMPT, max_tokens: 0, echo: true });
    expect(echoOnly.choices[0]!.text).toBe(PROMPT);
    expect(echoOnly.usage!.completion_tokens).toBe(0);
  });

  it("scores the prompt with echo + logprobs (loglikelihood requests), with and without generation", async () => {
    const ids = stories().tokenizer.encode(PROMPT);
    const score = await s.client.completions.create({ model: MODEL_NAME, prompt: PROMPT, max_tokens: 0, echo: true, logprobs: 2, temperature: 0 });
    const c = score.choices[0]!;
    expect(c.text).toBe(PROMPT);
    expect(score.usage!.completion_tokens).toBe(0);
    const lp = c.logprobs!;
    expect(lp.tokens).toHaveLength(ids.length);
    expect(lp.token_logprobs![0]).toBeNull();
    expect(lp.top_logprobs![0]).toBeNull();
    for (let i = 1; i < ids.length; i++) {
      expect(lp.token_logprobs![i]).toBeLessThanOrEqual(0);
      expect(Object.keys(lp.top_logprobs![i]!).length).toBeGreaterThanOrEqual(2);
    }
    // Generation after the prompt: the prompt's scores are unchanged, then the generated tokens follow.
    const both = await s.client.completions.create({ model: MODEL_NAME, prompt: PROMPT, max_tokens: 3, echo: true, logprobs: 2, temperature: 0 });
    const blp = both.choices[0]!.logprobs!;
    expect(blp.tokens).toHaveLength(ids.length + 3);
    expect(blp.token_logprobs!.slice(0, ids.length)).toEqual(lp.token_logprobs);
    const plain = await s.client.completions.create({ model: MODEL_NAME, prompt: PROMPT, max_tokens: 3, logprobs: 2, temperature: 0 });
    expect(blp.token_logprobs!.slice(ids.length)).toEqual(plain.choices[0]!.logprobs!.token_logprobs);
    expect(both.choices[0]!.text).toBe(PROMPT + plain.choices[0]!.text);
  });

  it("stops before a stop string and says so", async () => {
    const full = await s.client.completions.create({ model: MODEL_NAME, prompt: PROMPT, max_tokens: 12, temperature: 0 });
    const text = full.choices[0]!.text;
    const stopAt = text.indexOf(" was");
    expect(stopAt).toBeGreaterThan(0);
    const r = await s.client.completions.create({ model: MODEL_NAME, prompt: PROMPT, max_tokens: 12, temperature: 0, stop: [" was", "zzz"] });
    expect(r.choices[0]!.text).toBe(text.slice(0, stopAt));
    expect(r.choices[0]!.finish_reason).toBe("stop");
  });

  it("reports logprobs with the chosen token among the top alternatives", async () => {
    const r = await s.client.completions.create({ model: MODEL_NAME, prompt: PROMPT, max_tokens: 6, temperature: 0, logprobs: 3 });
    const lp = r.choices[0]!.logprobs!;
    expect(lp.tokens).toHaveLength(6);
    expect(lp.tokens!.join("")).toBe(r.choices[0]!.text);
    for (const [i, top] of lp.top_logprobs!.entries()) {
      expect(Object.keys(top).length).toBeGreaterThanOrEqual(3);
      expect(top[lp.tokens![i]!]).toBe(lp.token_logprobs![i]);
      // Greedy: the chosen token is the most likely one.
      expect(Math.max(...Object.values(top))).toBe(lp.token_logprobs![i]);
    }
    expect(lp.text_offset![0]).toBe(0);
    expect(lp.text_offset![1]).toBe(lp.tokens![0]!.length);
  });

  it("reports prefix-cache hits as cached_tokens", async () => {
    const prompt = "Once upon a time there was a little girl named Lily. She loved to play outside with her dog and her friends in the park.";
    await s.client.completions.create({ model: MODEL_NAME, prompt, max_tokens: 2, temperature: 0 });
    const r = await s.client.completions.create({ model: MODEL_NAME, prompt, max_tokens: 2, temperature: 0 });
    expect(r.usage!.prompt_tokens).toBeGreaterThan(16);
    expect(r.usage!.prompt_tokens_details!.cached_tokens).toBeGreaterThanOrEqual(16);
    expect(r.usage!.prompt_tokens_details!.cached_tokens! % 16).toBe(0);
  });

  it("accepts the priority extension only under the priority policy", async () => {
    const bad = await post(`${s.url}/v1/completions`, { prompt: PROMPT, max_tokens: 1, priority: 5 });
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).param).toBe("priority");
    const ok = await post(`${s.url}/v1/completions`, { prompt: PROMPT, max_tokens: 1, priority: 0 });
    expect(ok.status).toBe(200);
    const p = await startServer({ policy: "priority" });
    try {
      const r = await post(`${p.url}/v1/completions`, { prompt: PROMPT, max_tokens: 2, priority: -3 });
      expect(r.status).toBe(200);
    } finally {
      await p.close();
    }
  });

  it("leaves no KV block held", () => {
    expect(kvIsWhole(s.serving)).toBe(true);
    expect(s.serving.context.metrics.numTracked).toBe(0);
  });
});
