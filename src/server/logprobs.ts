import type { ChatTokenLogprob } from "../api/chat.js";
import type { CompletionLogprobs } from "../api/completions.js";
import type { LogprobsResult, SampleResult } from "../engine/sampler/index.js";
import type { Tokenizer } from "../engine/tokenizer/index.js";

/** JSON has no -Infinity; vLLM reports such logprobs as -9999.0. */
function finite(x: number | undefined): number {
  return x !== undefined && Number.isFinite(x) ? x : -9999;
}

const lossy = new TextDecoder("utf-8", { fatal: false });

/** The text a token contributes (bytes of a partial UTF-8 character show as U+FFFD; chat also sends `bytes`). */
export function tokenString(tokenizer: Tokenizer, id: number): string {
  return lossy.decode(tokenizer.tokenBytes(id));
}

/**
 * Completions logprobs, built across stream chunks: `text_offset` counts characters from the start
 * of the choice's text (after the echoed prompt, when echoing).
 */
export class CompletionLogprobsBuilder {
  constructor(
    private readonly tokenizer: Tokenizer,
    private offset: number,
  ) {}

  /** Prompt tokens with their scores (the first has none: nothing predicts it), as vLLM echoes them. */
  addPrompt(promptTokenIds: readonly number[], scores: ReadonlyArray<LogprobsResult | null>): CompletionLogprobs {
    const out: CompletionLogprobs = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
    promptTokenIds.forEach((id, i) => {
      const token = tokenString(this.tokenizer, id);
      const s = scores[i] ?? null;
      out.tokens.push(token);
      out.token_logprobs.push(s === null ? null : finite(s.logprob));
      if (s === null) out.top_logprobs.push(null);
      else {
        const top: Record<string, number> = {};
        for (const alt of s.topLogprobs) top[tokenString(this.tokenizer, alt.tokenId)] = finite(alt.logprob);
        top[token] = finite(s.logprob);
        out.top_logprobs.push(top);
      }
      out.text_offset.push(this.offset);
      this.offset += token.length;
    });
    return out;
  }

  add(samples: readonly SampleResult[]): CompletionLogprobs {
    const out: CompletionLogprobs = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
    for (const s of samples) {
      const token = tokenString(this.tokenizer, s.tokenId);
      const top: Record<string, number> = {};
      for (const alt of s.topLogprobs ?? []) top[tokenString(this.tokenizer, alt.tokenId)] = finite(alt.logprob);
      // The chosen token is always listed, as OpenAI and vLLM do.
      top[token] = finite(s.logprob);
      out.tokens.push(token);
      out.token_logprobs.push(finite(s.logprob));
      out.top_logprobs.push(top);
      out.text_offset.push(this.offset);
      this.offset += token.length;
    }
    return out;
  }
}

export function chatLogprobs(tokenizer: Tokenizer, samples: readonly SampleResult[]): ChatTokenLogprob[] {
  return samples.map((s) => {
    const entry = (id: number, logprob: number | undefined) => ({ token: tokenString(tokenizer, id), logprob: finite(logprob), bytes: Array.from(tokenizer.tokenBytes(id)) });
    return { ...entry(s.tokenId, s.logprob), top_logprobs: (s.topLogprobs ?? []).map((a) => entry(a.tokenId, a.logprob)) };
  });
}
