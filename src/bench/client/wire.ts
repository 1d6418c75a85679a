/** A prompt as it goes on the wire, after the workload's token ids have been materialised. */
export type WirePrompt =
  | { readonly kind: "ids"; readonly tokenIds: readonly number[] }
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "messages"; readonly messages: ReadonlyArray<{ readonly role: string; readonly content: string }> };

export type EndpointKind = "completions" | "chat";

export const ENDPOINT_PATHS: Readonly<Record<EndpointKind, string>> = {
  completions: "v1/completions",
  chat: "v1/chat/completions",
};

export interface SamplingOptions {
  readonly model: string;
  /** Sent as `temperature`; benchmarks default to 0 (greedy), as vLLM's does. */
  readonly temperature: number;
  /** vLLM's `ignore_eos` extension: generate exactly max_tokens. Sent only when true. */
  readonly ignoreEos: boolean;
  /** More fields merged into every body (`--extra-body`), e.g. a peer server's own extensions. */
  readonly extraBody: Readonly<Record<string, unknown>>;
}

/**
 * The JSON body of one streaming request. Only fields OpenAI or vLLM define are sent, since
 * strict servers reject unknown ones.
 */
export function requestBody(endpoint: EndpointKind, prompt: WirePrompt, maxTokens: number, opts: SamplingOptions): Record<string, unknown> {
  const common = {
    model: opts.model,
    max_tokens: maxTokens,
    temperature: opts.temperature,
    stream: true,
    stream_options: { include_usage: true },
    ...(opts.ignoreEos ? { ignore_eos: true } : {}),
  };
  if (endpoint === "completions") {
    if (prompt.kind === "messages") throw new Error("the completions endpoint takes a prompt, not messages");
    return { ...common, prompt: prompt.kind === "ids" ? prompt.tokenIds : prompt.text, ...opts.extraBody };
  }
  if (prompt.kind === "ids") throw new Error("the chat endpoint takes text messages, not token ids");
  const messages = prompt.kind === "text" ? [{ role: "user", content: prompt.text }] : prompt.messages;
  return { ...common, messages, ...opts.extraBody };
}
