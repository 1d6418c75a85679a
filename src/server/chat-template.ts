import { Template } from "@huggingface/jinja";
import { ApiError } from "../api/errors.js";
import type { Tokenizer } from "../engine/tokenizer/index.js";

/**
 * Used when the model's GGUF has no `tokenizer.chat_template` (base models such as stories260K).
 * A plain transcript a base model can continue: BOS, system text as a preamble, then
 * "User: ..." / "Assistant: ..." lines, and "Assistant:" to prompt a reply. It adds no special
 * tokens, since a base model has none for turns.
 */
export const FALLBACK_CHAT_TEMPLATE =
  "{{ bos_token }}" +
  "{% for message in messages %}" +
  "{% if message.role == 'system' or message.role == 'developer' %}{{ message.content }}\n\n" +
  "{% elif message.role == 'user' %}User: {{ message.content }}\n" +
  "{% elif message.role == 'assistant' %}Assistant: {{ message.content }}\n" +
  "{% else %}{{ message.role | capitalize }}: {{ message.content }}\n" +
  "{% endif %}" +
  "{% endfor %}" +
  "{% if add_generation_prompt %}Assistant:{% endif %}";

/** A message as templates see it: content flattened to a string, other fields passed through. */
export interface TemplateMessage {
  readonly role: string;
  readonly content: string;
  readonly [key: string]: unknown;
}

export interface RenderOptions {
  readonly addGenerationPrompt: boolean;
  /** Leave the last (assistant) message open so the model continues it. */
  readonly continueFinalMessage: boolean;
  readonly tools?: readonly unknown[];
  /** Extra template variables (`chat_template_kwargs`, `reasoning_effort`). */
  readonly variables?: Readonly<Record<string, unknown>>;
}

/** A compiled chat template (a real Jinja implementation, as HF transformers renders them). */
export class ChatTemplate {
  private constructor(
    private readonly template: Template,
    readonly source: "model" | "fallback",
    private readonly specials: Readonly<Record<string, string>>,
  ) {}

  /**
   * The model's template, or the fallback when it has none. A template that does not parse is
   * an error at startup: serving chat with a different prompt format would quietly degrade output.
   */
  static forModel(templateText: string | null, tokenizer: Tokenizer): ChatTemplate {
    const text = templateText ?? FALLBACK_CHAT_TEMPLATE;
    let template: Template;
    try {
      template = new Template(text);
    } catch (e) {
      throw new Error(`the model's chat template does not parse: ${e instanceof Error ? e.message : String(e)}`);
    }
    const tokenText = (id: number | null): string => (id === null ? "" : tokenizer.tokenText(id));
    return new ChatTemplate(template, templateText === null ? "fallback" : "model", {
      bos_token: tokenText(tokenizer.bosId),
      eos_token: tokenText(tokenizer.eosId),
    });
  }

  /** Renders the prompt text. A template that raises (e.g. "System role not supported") is the client's 400. */
  render(messages: readonly TemplateMessage[], opts: RenderOptions): string {
    if (opts.continueFinalMessage && opts.addGenerationPrompt) {
      throw new ApiError("invalid_value", "continue_final_message and add_generation_prompt cannot both be true.", "continue_final_message");
    }
    const last = messages[messages.length - 1];
    if (opts.continueFinalMessage && last?.role !== "assistant") {
      throw new ApiError("invalid_value", "continue_final_message needs the last message to be from the assistant.", "continue_final_message");
    }
    let text: string;
    try {
      text = this.template.render({
        ...this.specials,
        messages,
        add_generation_prompt: opts.addGenerationPrompt,
        ...(opts.tools ? { tools: opts.tools } : {}),
        ...opts.variables,
      });
    } catch (e) {
      throw new ApiError("invalid_request", `The chat template could not be applied to these messages: ${e instanceof Error ? e.message : String(e)}`, "messages");
    }
    if (opts.continueFinalMessage && last!.content !== "") {
      // As transformers does: cut whatever the template wrote after the final message's text.
      const at = text.lastIndexOf(last!.content.trim());
      if (at >= 0) text = text.slice(0, at + last!.content.trim().length);
    }
    return text;
  }
}
