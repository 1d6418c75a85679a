import type { Command } from "commander";
import { GgufFile } from "../engine/model/gguf/reader.js";
import { loadTokenizer } from "../engine/tokenizer/index.js";
import { action } from "./errors.js";

interface TokenizeFlags {
  model: string;
  /** false with --no-special. */
  special: boolean;
  /** false with --no-parse-special. */
  parseSpecial: boolean;
}

/**
 * `flotilla tokenize --model PATH [--no-special] [--no-parse-special] TEXT`: prints the token ids
 * on one line as llama.cpp's `llama-tokenize --ids` does ("[1, 15043, 3186]", valid JSON). Only
 * the tokenizer metadata is read, so vocabulary-only GGUF files work.
 */
export function registerTokenize(program: Command): void {
  program
    .command("tokenize")
    .description("print the token ids of a text as a JSON array")
    .requiredOption("--model <path>", "GGUF model or vocabulary-only file")
    .option("--no-special", "do not add BOS/EOS tokens (default: as the model's metadata asks)")
    .option("--no-parse-special", "keep control-token text such as <|eot_id|> as plain text")
    .argument("<text>", "text to tokenize")
    .action(action((text: string, flags: TokenizeFlags) => runTokenize(text, flags)));
}

function runTokenize(text: string, flags: TokenizeFlags): void {
  const file = GgufFile.open(flags.model);
  let ids: number[];
  try {
    ids = loadTokenizer(file).encode(text, { addSpecial: flags.special, parseSpecial: flags.parseSpecial });
  } finally {
    file.close();
  }
  process.stdout.write(`[${ids.join(", ")}]\n`);
}
