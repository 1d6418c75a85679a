import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  CPT_LETTER,
  CPT_MARK,
  CPT_NUMBER,
  CPT_OTHER,
  CPT_PUNCTUATION,
  CPT_SYMBOL,
  cptFlags,
} from "../../src/engine/tokenizer/unicode.js";
import { REPO_ROOT } from "../helpers/paths.js";

/**
 * llama.cpp's code point category table (`unicode_ranges_flags`: pairs of uint32 first code
 * point and uint16 flags, padded to 8 bytes) read out of the llama.cpp library that
 * node-llama-cpp installed, so our classes can be checked against the real thing for every code
 * point. Skipped when no such library is installed.
 */
function llamaCppTable(): Array<[number, number]> | null {
  const root = join(REPO_ROOT, "node_modules/@node-llama-cpp");
  if (!existsSync(root)) return null;
  const libs: string[] = [];
  for (const platform of readdirSync(root)) {
    const bins = join(root, platform, "bins");
    if (!existsSync(bins)) continue;
    for (const build of readdirSync(bins)) {
      for (const f of readdirSync(join(bins, build))) if (/^(lib)?llama[.-].*\.(so|dylib|dll)$|^(lib)?llama\.(so|dylib|dll)$/.test(f)) libs.push(join(bins, build, f));
    }
  }
  // The table starts {0x0, CONTROL}, {0x20, SEPARATOR}, {0x21, PUNCTUATION}.
  const head = Buffer.from([0, 0, 0, 0, 0x80, 0, 0, 0, 0x20, 0, 0, 0, 0x08, 0, 0, 0, 0x21, 0, 0, 0, 0x20, 0, 0, 0]);
  for (const lib of libs) {
    const data = readFileSync(lib);
    const at = data.indexOf(head);
    if (at < 0) continue;
    const table: Array<[number, number]> = [];
    for (let p = at; p + 8 <= data.length && table.length < 100_000; p += 8) {
      const start = data.readUInt32LE(p);
      table.push([start, data.readUInt16LE(p + 4)]);
      if (start === 0x110000) return table;
    }
  }
  return null;
}

const table = llamaCppTable();

describe("code point classes", () => {
  it.skipIf(table === null)("agree with llama.cpp's table for every code point", () => {
    const t = table!;
    const ours = (c: number) => cptFlags(c) & (CPT_NUMBER | CPT_LETTER | CPT_PUNCTUATION | CPT_MARK | CPT_SYMBOL | CPT_OTHER);
    // llama.cpp flags: 0x01 undefined, 0x02 number, 0x04 letter, 0x08 separator, 0x10 mark,
    // 0x20 punctuation, 0x40 symbol, 0x80 control.
    const theirs = (f: number) =>
      f & 0x02 ? CPT_NUMBER : f & 0x04 ? CPT_LETTER : f & 0x20 ? CPT_PUNCTUATION : f & 0x10 ? CPT_MARK : f & 0x40 ? CPT_SYMBOL : CPT_OTHER;
    const wrong: string[] = [];
    for (let i = 0; i + 1 < t.length; i++) {
      const want = theirs(t[i]![1]);
      for (let c = t[i]![0]; c < t[i + 1]![0]; c++) if (ours(c) !== want && wrong.length < 20) wrong.push(c.toString(16));
    }
    expect(wrong).toEqual([]);
  });
});
