import { drawTokens } from "./token-pool.js";
import { rngFor, STREAM } from "./rng.js";
import type { DatasetItem, PromptMessage } from "./types.js";

export interface MultiTurnParams {
  readonly numConversations: number;
  readonly turnsPerConversation: number;
  /** Tokens of each user message. */
  readonly userLen: number;
  /** Tokens each turn generates; the same number stands in for the answer in later turns' history. */
  readonly outputLen: number;
  /** Tokens of a system prompt at the start of every conversation (0 = none). */
  readonly systemLen: number;
  /** The user's pause between an answer and the next question. */
  readonly thinkTimeMs: number;
}

export const DEFAULT_MULTI_TURN: MultiTurnParams = {
  numConversations: 32,
  turnsPerConversation: 4,
  userLen: 128,
  outputLen: 128,
  systemLen: 0,
  thinkTimeMs: 0,
};

/**
 * Conversations whose every turn resends the whole history: turn k's prompt is
 * [system] user_0 answer_0 ... user_k. The answers in the history are made-up tokens of
 * `outputLen` (not the server's real answers), so the workload is fixed before the run and the
 * simulator replays exactly the same prompts; a server's prefix cache can reuse every earlier
 * turn's prompt but not its generated tokens. Items come conversation by conversation, turns in
 * order; later turns wait for the previous one (see `Arrival`).
 */
export function* multiTurnDataset(params: MultiTurnParams, pool: readonly number[], seed: number): Generator<DatasetItem> {
  if (params.turnsPerConversation < 1) throw new RangeError("a conversation needs at least one turn");
  for (let s = 0; s < params.numConversations; s++) {
    const history: PromptMessage[] = [];
    if (params.systemLen > 0) history.push({ role: "system", tokenIds: drawTokens(rngFor(seed, STREAM.prefix, s), pool, params.systemLen) });
    for (let t = 0; t < params.turnsPerConversation; t++) {
      history.push({ role: "user", tokenIds: drawTokens(rngFor(seed, STREAM.content, s, t, 0), pool, params.userLen) });
      const messages = history.slice();
      yield {
        promptTokenIds: messages.flatMap((m) => m.tokenIds),
        messages,
        outputTokens: params.outputLen,
        prefixGroup: s,
        session: { sessionId: s, turn: t, numTurns: params.turnsPerConversation },
        ...(t > 0 ? { thinkTimeMs: params.thinkTimeMs } : {}),
      };
      history.push({ role: "assistant", tokenIds: drawTokens(rngFor(seed, STREAM.content, s, t, 1), pool, params.outputLen) });
    }
  }
}
