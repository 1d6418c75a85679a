import { describe, expect, it } from "vitest";
import { openTokenizer, readGoldenCases, VOCAB_FILES } from "./helpers.js";

describe.each(Object.entries(VOCAB_FILES))("llama.cpp test vectors: %s", (name, path) => {
  const tok = openTokenizer(path);
  const cases = readGoldenCases(path);

  it("has the vectors", () => {
    expect(cases.length).toBeGreaterThan(40);
  });

  it.each(cases.map((c, i) => [i, JSON.stringify(c.text).slice(0, 60), c] as const))(
    `${name} #%i %s`,
    (_i, _label, c) => {
      expect(tok.encode(c.text, { addSpecial: false, parseSpecial: false })).toEqual(c.ids);
    },
  );
});
