import type { WorkloadItem } from "../workload/types.js";
import { exactText } from "./exact-text.js";
import type { TargetTokenizer } from "./target-tokenizer.js";
import type { EndpointKind, WirePrompt } from "./wire.js";

/**
 * How prompts go on the wire: `ids` sends the token ids themselves (OpenAI completions accept an
 * array of ids as `prompt`): exact by construction, no tokenizer round trip. `text` turns them
 * into text of exactly as many tokens (chat always does).
 */
export type PromptFormat = "ids" | "text";

export function defaultPromptFormat(endpoint: EndpointKind): PromptFormat {
  return endpoint === "completions" ? "ids" : "text";
}

/** A workload item and what will be sent for it. */
export interface PreparedRequest {
  readonly item: WorkloadItem;
  readonly prompt: WirePrompt;
  /** Prompt content tokens by the target's tokenizer (the workload's length when exact). */
  readonly promptTokens: number;
}

/** Ids mode: nothing to compute, so this is lazy and any workload length is fine. */
export function* prepareIds(items: Iterable<WorkloadItem>): Generator<PreparedRequest> {
  for (const item of items) yield { item, prompt: { kind: "ids", tokenIds: item.promptTokenIds }, promptTokens: item.promptTokenIds.length };
}

export interface TextPreparation {
  readonly requests: PreparedRequest[];
  /** Messages whose text could not be made exactly as long as asked (their true count is kept). */
  readonly inexactMessages: number;
}

/**
 * Text mode, done before the run so that tokenizer round trips are not timed. Each message's
 * text is computed once per distinct token array (multi-turn histories repeat earlier messages).
 */
export async function prepareText(items: Iterable<WorkloadItem>, endpoint: EndpointKind, tok: TargetTokenizer, onProgress?: (done: number) => void): Promise<TextPreparation> {
  const cache = new WeakMap<readonly number[], { text: string; tokens: number }>();
  let inexact = 0;
  const textOf = async (ids: readonly number[]): Promise<{ text: string; tokens: number }> => {
    let t = cache.get(ids);
    if (!t) {
      const r = await exactText(tok, ids);
      if (!r.exact) inexact++;
      t = { text: r.text, tokens: r.tokens };
      cache.set(ids, t);
    }
    return t;
  };
  const requests: PreparedRequest[] = [];
  for (const item of items) {
    if (endpoint === "chat") {
      const msgs = item.messages ?? [{ role: "user" as const, tokenIds: item.promptTokenIds }];
      const texts: Array<{ text: string; tokens: number }> = [];
      for (const m of msgs) texts.push(await textOf(m.tokenIds));
      requests.push({
        item,
        prompt: { kind: "messages", messages: msgs.map((m, i) => ({ role: m.role, content: texts[i]!.text })) },
        promptTokens: texts.reduce((s, t) => s + t.tokens, 0),
      });
    } else {
      const t = await textOf(item.promptTokenIds);
      requests.push({ item, prompt: { kind: "text", text: t.text }, promptTokens: t.tokens });
    }
    onProgress?.(requests.length);
  }
  return { requests, inexactMessages: inexact };
}
