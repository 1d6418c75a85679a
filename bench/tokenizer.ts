/**
 * Tokenizer load, encode and decode speed on the vocabularies in ../shared/models/vocab and
 * stories260K. Usage: npm run bench:tokenizer
 */
import { GgufFile } from "../src/engine/model/gguf/reader.js";
import { loadTokenizer } from "../src/engine/tokenizer/index.js";
import { VOCAB_FILES } from "../test/tokenizer/helpers.js";
import { randomTexts, TRICKY_TEXTS } from "../test/tokenizer/tricky-texts.js";

/** ~10 KB of mixed text: prose, code, scripts, emoji and random characters. */
function tenKilobytes(): string {
  let t = "";
  const parts = [...TRICKY_TEXTS, "The quick brown fox jumps over the lazy dog. ".repeat(30), ...randomTexts(100, 99)];
  for (let i = 0; t.length < 10_240; i++) t += parts[i % parts.length] + " ";
  return t.slice(0, 10_240);
}

console.log("| vocabulary | load ms | tokens | first encode ms | warm encode ms | decode ms |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
for (const [name, path] of Object.entries(VOCAB_FILES)) {
  const t0 = performance.now();
  const f = GgufFile.open(path);
  const tok = loadTokenizer(f);
  f.close();
  const loadMs = performance.now() - t0;
  const text = tenKilobytes();
  const t1 = performance.now();
  const ids = tok.encode(text);
  const firstMs = performance.now() - t1;
  const t2 = performance.now();
  for (let i = 0; i < 5; i++) tok.encode(text);
  const warmMs = (performance.now() - t2) / 5;
  const t3 = performance.now();
  tok.decode(ids);
  const decodeMs = performance.now() - t3;
  console.log(`| ${name} | ${loadMs.toFixed(0)} | ${ids.length} | ${firstMs.toFixed(1)} | ${warmMs.toFixed(1)} | ${decodeMs.toFixed(1)} |`);
}
