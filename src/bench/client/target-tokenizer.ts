import { GgufFile } from "../../engine/model/gguf/reader.js";
import { loadTokenizer, type Tokenizer } from "../../engine/tokenizer/index.js";
import { type Connection, fetchText } from "./http.js";

/**
 * The target server's tokenizer, as the benchmark sees it: content tokens only (no BOS/EOS), so
 * a prompt's length is what the workload asked for whatever specials the server adds.
 */
export interface TargetTokenizer {
  /** "server" (its /tokenize) or "local PATH". */
  readonly source: string;
  encode(text: string): Promise<number[]>;
  decode(ids: readonly number[]): Promise<string>;
  /** Ids that must never appear in generated prompts (BOS, EOS, ...). */
  readonly specialIds: readonly number[];
}

/**
 * vLLM's `POST /tokenize` {"model","prompt","add_special_tokens"} -> {"tokens","count"} and
 * `POST /detokenize` {"model","tokens"} -> {"prompt"}; SGLang and Flotilla serve the same shape.
 */
export class ServerTokenizer implements TargetTokenizer {
  readonly source = "server";
  readonly specialIds: readonly number[] = [];

  constructor(
    private readonly conn: Connection,
    private readonly model: string,
  ) {}

  async encode(text: string): Promise<number[]> {
    const res = await fetchText(this.conn, "POST", "tokenize", { model: this.model, prompt: text, add_special_tokens: false });
    if (res.status !== 200) throw new Error(`POST /tokenize answered ${res.status}: ${res.text.slice(0, 200)}`);
    const body = JSON.parse(res.text) as { tokens?: unknown };
    if (!Array.isArray(body.tokens) || !body.tokens.every((t) => Number.isInteger(t))) throw new Error(`POST /tokenize: no "tokens" array in ${res.text.slice(0, 200)}`);
    return body.tokens as number[];
  }

  async decode(ids: readonly number[]): Promise<string> {
    const res = await fetchText(this.conn, "POST", "detokenize", { model: this.model, tokens: ids });
    if (res.status !== 200) throw new Error(`POST /detokenize answered ${res.status}: ${res.text.slice(0, 200)}`);
    const body = JSON.parse(res.text) as { prompt?: unknown };
    if (typeof body.prompt !== "string") throw new Error(`POST /detokenize: no "prompt" string in ${res.text.slice(0, 200)}`);
    return body.prompt;
  }

  /** Whether the server has a vLLM-style /tokenize (any failure means no). */
  static async probe(conn: Connection, model: string): Promise<ServerTokenizer | null> {
    const tok = new ServerTokenizer(conn, model);
    try {
      const ids = await tok.encode("hello world");
      return ids.length > 0 ? tok : null;
    } catch {
      return null;
    }
  }
}

/** A GGUF file's tokenizer (`--tokenizer PATH`), for servers without /tokenize. */
export class LocalTokenizer implements TargetTokenizer {
  readonly source: string;
  readonly specialIds: readonly number[];
  private readonly tok: Tokenizer;

  constructor(path: string) {
    const file = GgufFile.open(path);
    try {
      this.tok = loadTokenizer(file);
    } finally {
      file.close();
    }
    this.source = `local ${path}`;
    this.specialIds = [this.tok.bosId, this.tok.eosId, this.tok.eotId].filter((x): x is number => x !== null);
  }

  encode(text: string): Promise<number[]> {
    return Promise.resolve(this.tok.encode(text, { addSpecial: false }));
  }

  decode(ids: readonly number[]): Promise<string> {
    return Promise.resolve(this.tok.decode(ids));
  }
}
