import type { TargetTokenizer } from "./target-tokenizer.js";

export interface ExactText {
  readonly text: string;
  /** Tokens the text encodes to; equals the asked length unless `exact` is false. */
  readonly tokens: number;
  readonly exact: boolean;
}

const MAX_ROUNDS = 12;

/**
 * Text that the target's tokenizer encodes to exactly `ids.length` tokens. Decoding ids and
 * encoding the text again may merge or split tokens, so the count is corrected in rounds: too
 * many -> keep the first n re-encoded tokens; too few -> append filler tokens (cycled from `ids`,
 * so the result stays a pure function of the input). The text's beginning is the decoded ids'
 * beginning, so prompts with a shared token prefix share a text prefix.
 */
export async function exactText(tok: TargetTokenizer, ids: readonly number[], filler: readonly number[] = ids): Promise<ExactText> {
  const n = ids.length;
  if (n === 0) return { text: "", tokens: 0, exact: true };
  let current = ids.slice();
  let best: ExactText | null = null;
  for (let round = 0, fill = 0; round < MAX_ROUNDS; round++) {
    const text = await tok.decode(current);
    const enc = await tok.encode(text);
    if (enc.length === n) return { text, tokens: n, exact: true };
    if (best === null || Math.abs(enc.length - n) < Math.abs(best.tokens - n)) best = { text, tokens: enc.length, exact: false };
    if (enc.length > n) {
      current = enc.slice(0, n);
    } else {
      current = enc.slice();
      while (current.length < n) current.push(filler[fill++ % filler.length]!);
    }
  }
  return best!;
}
