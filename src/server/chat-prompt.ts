import type { ChatMessage } from "../api/chat.js";
import { unsupported } from "../api/errors.js";
import type { TemplateMessage } from "./chat-template.js";
import type { ServerContext } from "./context.js";

export interface ChatPromptOptions {
  readonly addGenerationPrompt: boolean;
  readonly continueFinalMessage: boolean;
  /** Default false: the template writes BOS itself (vLLM's default for chat). */
  readonly addSpecialTokens: boolean;
  readonly tools?: readonly unknown[];
  readonly variables?: Readonly<Record<string, unknown>>;
}

export interface ChatPrompt {
  readonly text: string;
  readonly tokenIds: number[];
  readonly messages: readonly TemplateMessage[];
}

/**
 * Renders the messages with the chat template and tokenizes the result. Special-token text the
 * template writes (`<|im_start|>`, `<s>`) becomes those tokens, as with HF tokenizers; the same is
 * true of such text inside message content, as in vLLM.
 */
export function chatPrompt(ctx: ServerContext, messages: readonly ChatMessage[], opts: ChatPromptOptions): ChatPrompt {
  const flat = messages.map((m, i) => flattenMessage(m, i));
  const text = ctx.chatTemplate.render(flat, opts);
  const tokenIds = ctx.model.tokenizer.encode(text, { addSpecial: opts.addSpecialTokens, parseSpecial: true });
  return { text, tokenIds, messages: flat };
}

/** Text parts are joined with newlines (vLLM's "string" content format); other parts are refused. */
function flattenMessage(m: ChatMessage, i: number): TemplateMessage {
  let content = "";
  if (typeof m.content === "string") content = m.content;
  else if (Array.isArray(m.content)) {
    const texts: string[] = [];
    for (const [j, part] of m.content.entries()) {
      if ((part.type === "text" || part.type === "refusal") && typeof (part.text ?? part["refusal"]) === "string") {
        texts.push(String(part.text ?? part["refusal"]));
      } else {
        throw unsupported(`messages[${i}].content[${j}].type`, `Content parts of type '${String(part.type).slice(0, 40)}' are not supported by this model; send text.`);
      }
    }
    content = texts.join("\n");
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m)) if (v !== null && v !== undefined) out[k] = v;
  return { ...out, role: m.role, content };
}
