/** The built-in demo model: generated deterministically, loadable, served with its ChatML template. */
import { readFileSync, statSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { DEMO_MODEL_NAME, ensureDemoModel } from "../../src/cli/demo-model.js";
import { resolveModel } from "../../src/cli/model-source.js";
import { RefBackend } from "../../src/engine/backend/ref/ref-backend.js";
import { loadModel } from "../../src/engine/model/model.js";
import { tempDir } from "../helpers/paths.js";
import { startServer } from "./helpers.js";

const a = tempDir();
const b = tempDir();
afterAll(() => {
  a.cleanup();
  b.cleanup();
});

describe("demo model", () => {
  it("is the same file byte for byte wherever it is generated, and is reused", () => {
    const first = ensureDemoModel(a.dir);
    const second = ensureDemoModel(b.dir);
    expect(first.created && second.created).toBe(true);
    expect(readFileSync(first.path).equals(readFileSync(second.path))).toBe(true);
    expect(statSync(first.path).size).toBeLessThan(2 * 2 ** 20);
    expect(ensureDemoModel(a.dir)).toEqual({ path: first.path, created: false });
  });

  it("has a SentencePiece vocabulary that round-trips any text", () => {
    const model = loadModel(ensureDemoModel(a.dir).path, { backend: new RefBackend() });
    const { tokenizer } = model;
    for (const text of ["the water was blue", "Grüße, 世界! 🚀", "tab\tand\nnewline"]) {
      const ids = tokenizer.encode(text, { addSpecial: false });
      expect(tokenizer.decode(ids)).toBe(text);
    }
    expect(tokenizer.encode("the world", { addSpecial: false }).length).toBe(2); // whole-word pieces
    expect(model.chatTemplate).toContain("<|im_start|>");
    expect(tokenizer.isEog(tokenizer.encode("<|im_end|>", { addSpecial: false, parseSpecial: true })[0]!)).toBe(true);
  });

  it("is what --model resolves to when none is given, and says so", async () => {
    const lines: string[] = [];
    const r = await resolveModel(undefined, { cacheDir: a.dir, hfEndpoint: "http://unused" }, (l) => lines.push(l));
    expect(r).toEqual({ path: ensureDemoModel(a.dir).path, name: DEMO_MODEL_NAME, isDemo: true });
    expect(lines.join("\n")).toMatch(/demo model/);
  });

  it("serves chat through its ChatML template", async () => {
    const model = loadModel(ensureDemoModel(a.dir).path, { backend: new RefBackend() });
    const s = await startServer({}, { servedModelNames: [DEMO_MODEL_NAME] }, model);
    try {
      expect(s.serving.context.chatTemplate.source).toBe("model");
      const r = await s.client.chat.completions.create({ model: DEMO_MODEL_NAME, messages: [{ role: "user", content: "Hello" }], max_tokens: 6, seed: 1 });
      expect(r.usage!.completion_tokens).toBeGreaterThan(0);
      expect(r.choices[0]!.message.content!.length).toBeGreaterThan(0);
    } finally {
      await s.close();
    }
  });
});
