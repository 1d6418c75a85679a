/** Real chat templates (collected by llama.cpp from popular models) rendered by @huggingface/jinja. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/api/errors.js";
import { ChatTemplate, type TemplateMessage } from "../../src/server/chat-template.js";
import { SHARED } from "../helpers/paths.js";
import { stories } from "./helpers.js";

const DIR = join(SHARED, "models/chat-templates");
const load = (name: string): ChatTemplate => ChatTemplate.forModel(readFileSync(join(DIR, name), "utf8"), stories().tokenizer);

const CONVERSATION: TemplateMessage[] = [
  { role: "user", content: "What is 2+2?" },
  { role: "assistant", content: "It is 4." },
  { role: "user", content: "And 3+3?" },
];
const GEN = { addGenerationPrompt: true, continueFinalMessage: false };

/** What each template must write: the turns in order, then the assistant's opening. */
const EXPECTED_TAIL: Record<string, string> = {
  "Qwen-Qwen2.5-7B-Instruct.jinja": "<|im_start|>user\nAnd 3+3?<|im_end|>\n<|im_start|>assistant\n",
  "Qwen-Qwen3-0.6B.jinja": "<|im_start|>user\nAnd 3+3?<|im_end|>\n<|im_start|>assistant\n",
  "HuggingFaceTB-SmolLM3-3B.jinja": "<|im_start|>user\nAnd 3+3?<|im_end|>\n<|im_start|>assistant\n",
  "meta-llama-Llama-3.2-3B-Instruct.jinja": "<|start_header_id|>user<|end_header_id|>\n\nAnd 3+3?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
  "Mistral-Small-3.2-24B-Instruct-2506.jinja": "[INST]And 3+3?[/INST]",
  "google-gemma-2-2b-it.jinja": "<start_of_turn>user\nAnd 3+3?<end_of_turn>\n<start_of_turn>model\n",
  "microsoft-Phi-3.5-mini-instruct.jinja": "<|user|>\nAnd 3+3?<|end|>\n<|assistant|>\n",
  "deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja": "<｜User｜>And 3+3?<｜Assistant｜><think>\n",
};

describe("chat templates", () => {
  it("covers every template in the shared folder", () => {
    expect(readdirSync(DIR).filter((f) => f.endsWith(".jinja")).sort()).toEqual(Object.keys(EXPECTED_TAIL).sort());
  });

  for (const [name, tail] of Object.entries(EXPECTED_TAIL)) {
    it(`renders ${name}`, () => {
      const text = load(name).render(CONVERSATION, GEN);
      expect(text.endsWith(tail)).toBe(true);
      const first = text.indexOf("What is 2+2?");
      const second = text.indexOf("It is 4.");
      expect(first).toBeGreaterThanOrEqual(0);
      expect(second).toBeGreaterThan(first);
      expect(text.indexOf("And 3+3?")).toBeGreaterThan(second);
    });
  }

  it("passes the template's own refusal to the client as a 400 (Gemma has no system role)", () => {
    const t = load("google-gemma-2-2b-it.jinja");
    let err: unknown;
    try {
      t.render([{ role: "system", content: "Be brief." }, ...CONVERSATION], GEN);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(400);
    expect((err as ApiError).message).toMatch(/System role not supported/);
  });

  it("leaves the final assistant message open with continue_final_message", () => {
    const t = load("Qwen-Qwen2.5-7B-Instruct.jinja");
    const text = t.render([...CONVERSATION, { role: "assistant", content: "It is" }], { addGenerationPrompt: false, continueFinalMessage: true });
    expect(text.endsWith("<|im_start|>assistant\nIt is")).toBe(true);
  });

  it("passes tools and extra variables to the template", () => {
    const t = load("Qwen-Qwen2.5-7B-Instruct.jinja");
    const tools = [{ type: "function", function: { name: "get_weather", description: "Weather in a city", parameters: { type: "object", properties: {} } } }];
    expect(t.render(CONVERSATION, { ...GEN, tools })).toContain("get_weather");
    const q3 = load("Qwen-Qwen3-0.6B.jinja");
    expect(q3.render(CONVERSATION, { ...GEN, variables: { enable_thinking: false } })).toContain("<think>\n\n</think>");
  });

  it("falls back to a plain transcript for models without a template", () => {
    const t = ChatTemplate.forModel(null, stories().tokenizer);
    expect(t.source).toBe("fallback");
    const text = t.render([{ role: "system", content: "Be kind." }, ...CONVERSATION], GEN);
    expect(text).toBe("<s>Be kind.\n\nUser: What is 2+2?\nAssistant: It is 4.\nUser: And 3+3?\nAssistant:");
  });

  it("refuses at startup a template that does not parse", () => {
    expect(() => ChatTemplate.forModel("{% for x in %}", stories().tokenizer)).toThrow(/does not parse/);
  });
});
