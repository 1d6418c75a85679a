/** `/v1/chat/completions` through the official `openai` client. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SHARED } from "../helpers/paths.js";
import { errorOf, kvIsWhole, MODEL_NAME, post, startServer, stories, type TestServer } from "./helpers.js";

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(() => s.close());

const MESSAGES = [
  { role: "system" as const, content: "You tell stories." },
  { role: "user" as const, content: "Tell me about a dog." },
];

describe("POST /v1/chat/completions", () => {
  it("answers with an assistant message and usage (fallback template: stories260K has none)", async () => {
    expect(s.serving.context.chatTemplate.source).toBe("fallback");
    const r = await s.client.chat.completions.create({ model: MODEL_NAME, messages: MESSAGES, max_tokens: 8, temperature: 0 });
    expect(r.object).toBe("chat.completion");
    expect(r.id).toMatch(/^chatcmpl-/);
    expect(r.choices[0]!.message.role).toBe("assistant");
    expect(r.choices[0]!.message.content!.length).toBeGreaterThan(0);
    expect(r.choices[0]!.finish_reason).toBe("length");
    // The prompt is the fallback transcript, tokenized as /tokenize's chat form reports.
    const tok = await post(`${s.url}/tokenize`, { messages: MESSAGES });
    const { count } = (await tok.json()) as { count: number };
    expect(r.usage).toMatchObject({ prompt_tokens: count, completion_tokens: 8, total_tokens: count + 8 });
    const expectedPrompt = stories().tokenizer.encode("<s>You tell stories.\n\nUser: Tell me about a dog.\nAssistant:", { addSpecial: false, parseSpecial: true });
    expect(count).toBe(expectedPrompt.length);
  });

  it("streams: a role chunk first, then content that adds up to the whole answer", async () => {
    const whole = await s.client.chat.completions.create({ model: MODEL_NAME, messages: MESSAGES, max_completion_tokens: 8, temperature: 0 });
    const stream = await s.client.chat.completions.create({ model: MODEL_NAME, messages: MESSAGES, max_completion_tokens: 8, temperature: 0, stream: true, stream_options: { include_usage: true } });
    const deltas: Array<{ role?: string; content?: string | null }> = [];
    let finish: string | null = null;
    let usage = null;
    for await (const chunk of stream) {
      expect(chunk.object).toBe("chat.completion.chunk");
      if (chunk.usage) usage = chunk.usage;
      for (const c of chunk.choices) {
        deltas.push(c.delta);
        if (c.finish_reason) finish = c.finish_reason;
      }
    }
    expect(deltas[0]).toEqual({ role: "assistant", content: "" });
    expect(deltas.map((d) => d.content ?? "").join("")).toBe(whole.choices[0]!.message.content);
    expect(finish).toBe("length");
    expect(usage).toEqual(whole.usage);
  });

  it("reports logprobs and top_logprobs with bytes", async () => {
    const r = await s.client.chat.completions.create({ model: MODEL_NAME, messages: MESSAGES, max_tokens: 5, temperature: 0, logprobs: true, top_logprobs: 2 });
    const content = r.choices[0]!.logprobs!.content!;
    expect(content).toHaveLength(5);
    expect(content.map((c) => c.token).join("")).toBe(r.choices[0]!.message.content);
    for (const c of content) {
      expect(c.top_logprobs).toHaveLength(2);
      expect(c.top_logprobs[0]!.logprob).toBe(c.logprob); // greedy picks the top token
      expect(Buffer.from(c.bytes!).toString("utf8")).toBe(c.token);
    }
    const none = await s.client.chat.completions.create({ model: MODEL_NAME, messages: MESSAGES, max_tokens: 2 });
    expect(none.choices[0]!.logprobs).toBeNull();
  });

  it("gives n choices and stops at max_tokens or a stop string", async () => {
    const r = await s.client.chat.completions.create({ model: MODEL_NAME, messages: MESSAGES, max_tokens: 4, n: 3, seed: 1 });
    expect(r.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    expect(r.usage!.completion_tokens).toBe(12);
    const full = await s.client.chat.completions.create({ model: MODEL_NAME, messages: MESSAGES, max_tokens: 10, temperature: 0 });
    const text = full.choices[0]!.message.content!;
    const word = text.trim().split(" ")[1]!;
    const stopped = await s.client.chat.completions.create({ model: MODEL_NAME, messages: MESSAGES, max_tokens: 10, temperature: 0, stop: word });
    expect(stopped.choices[0]!.finish_reason).toBe("stop");
    expect(stopped.choices[0]!.message.content).toBe(text.slice(0, text.indexOf(word)));
  });

  it("continues a final assistant message and echoes it (vLLM extensions)", async () => {
    const body = {
      messages: [...MESSAGES, { role: "assistant", content: "Once upon a time" }],
      continue_final_message: true,
      add_generation_prompt: false,
      echo: true,
      max_tokens: 4,
      temperature: 0,
    };
    const r = await post(`${s.url}/v1/chat/completions`, body);
    expect(r.status).toBe(200);
    const json = (await r.json()) as { choices: Array<{ message: { content: string } }> };
    expect(json.choices[0]!.message.content.startsWith("Once upon a time")).toBe(true);
    expect(json.choices[0]!.message.content.length).toBeGreaterThan("Once upon a time".length);
  });

  it("accepts text content parts and refuses images and tool calls", async () => {
    const parts = await s.client.chat.completions.create({ model: MODEL_NAME, messages: [{ role: "user", content: [{ type: "text", text: "Hi" }, { type: "text", text: "there" }] }], max_tokens: 2 });
    expect(parts.choices).toHaveLength(1);
    const image = await post(`${s.url}/v1/chat/completions`, { messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "http://x/y.png" } }] }] });
    expect(image.status).toBe(400);
    expect((await errorOf(image))).toMatchObject({ code: "unsupported_parameter", param: "messages[0].content[0].type" });
    const tools = await post(`${s.url}/v1/chat/completions`, { messages: MESSAGES, tools: [{ type: "function", function: { name: "f" } }] });
    expect(tools.status).toBe(400);
    expect((await errorOf(tools)).param).toBe("tools");
  });

  it("renders a real chat template from the model metadata", async () => {
    const template = readFileSync(join(SHARED, "models/chat-templates/Qwen-Qwen2.5-7B-Instruct.jinja"), "utf8");
    const q = await startServer({}, {}, { ...stories(), chatTemplate: template });
    try {
      expect(q.serving.context.chatTemplate.source).toBe("model");
      const tok = await post(`${q.url}/tokenize`, { messages: MESSAGES, return_token_strs: true });
      const { tokens } = (await tok.json()) as { tokens: number[] };
      const rendered = "<|im_start|>system\nYou tell stories.<|im_end|>\n<|im_start|>user\nTell me about a dog.<|im_end|>\n<|im_start|>assistant\n";
      expect(tokens).toEqual(stories().tokenizer.encode(rendered, { addSpecial: false, parseSpecial: true }));
      const r = await q.client.chat.completions.create({ model: MODEL_NAME, messages: MESSAGES, max_tokens: 3 });
      expect(r.usage!.prompt_tokens).toBe(tokens.length);
    } finally {
      await q.close();
    }
  });

  it("leaves no KV block held", () => {
    expect(kvIsWhole(s.serving)).toBe(true);
  });
});
