import type { BlockHash } from "../kv/block-hash.js";

/** Why a request stopped: "stop" (EOS, stop token or stop string), "length" (max tokens or context), "abort". */
export type FinishReason = "stop" | "length" | "abort";

export type RequestStatus =
  | { readonly kind: "waiting" }
  | { readonly kind: "running" }
  /** Back in the waiting queue after its blocks were taken; resumes by recomputing. */
  | { readonly kind: "preempted" }
  | { readonly kind: "finished"; readonly reason: FinishReason };

/** What the scheduler needs to know about a request; plain data, no model or tokenizer. */
export interface RequestSpec {
  readonly id: string;
  readonly promptTokenIds: readonly number[];
  /** Tokens to generate at most. */
  readonly maxTokens: number;
  /** Lower runs sooner (priority policy); default 0. */
  readonly priority?: number;
  /** When it arrived, in the caller's clock (ms); orders FCFS and ties. */
  readonly arrivalTime: number;
  /** Per-tenant prefix-cache salt: requests with different salts never share blocks. */
  readonly cacheSalt?: string;
  /** Tokens that end generation (EOS/EOT ...), unless ignored. */
  readonly eosTokenIds?: ReadonlySet<number>;
  /** Extra token ids that end generation. */
  readonly stopTokenIds?: ReadonlySet<number>;
  /** Never reuse cached blocks for this prompt (its logits are needed at every position). */
  readonly skipPrefixCache?: boolean;
  /** EOS and stop tokens among the first this-many generated tokens do not end generation. */
  readonly minTokens?: number;
  /**
   * The caller hands `promptTokenIds` over: the scheduler appends generated tokens to that very
   * array instead of copying it (it must be a plain mutable array nobody else reads afterwards).
   * For the simulator, whose prompts add up to tens of millions of tokens.
   */
  readonly adoptPromptTokens?: boolean;
  /**
   * The prompt's full-block prefix-cache hashes, when the caller has them already (as the KV
   * cache's algorithm, block size and salt would compute them, or identities of content it
   * vouches for): the prompt is then not hashed. The simulator describes synthetic prompts by
   * where their content comes from instead of drawing millions of tokens.
   */
  readonly promptBlockHashes?: readonly BlockHash[];
}

/**
 * A request as the scheduler tracks it. No phases: prefill, chunked prefill, decode and resume
 * after preemption all follow from `numComputedTokens` versus `numTokens`.
 */
export class SchedRequest {
  readonly id: string;
  readonly numPromptTokens: number;
  readonly priority: number;
  readonly arrivalTime: number;
  /** Prompt followed by generated tokens. */
  readonly tokenIds: number[];
  /** Tokens whose K/V are in the cache (computed, or found in the prefix cache). */
  numComputedTokens = 0;
  /** Prompt tokens served from the prefix cache at first admission. */
  numCachedPromptTokens = 0;
  numPreemptions = 0;
  status: RequestStatus = { kind: "waiting" };
  /** Order of arrival at this scheduler: the final tie-break, so plans are deterministic. */
  readonly seqNo: number;
  /** Full-block hashes of `tokenIds` as of the last lookup (avoids rehashing a waiting prompt). */
  blockHashes: { readonly numTokens: number; readonly hashes: readonly BlockHash[] } | null = null;

  constructor(
    readonly spec: RequestSpec,
    seqNo: number,
  ) {
    this.id = spec.id;
    this.numPromptTokens = spec.promptTokenIds.length;
    this.priority = spec.priority ?? 0;
    this.arrivalTime = spec.arrivalTime;
    this.tokenIds = spec.adoptPromptTokens === true ? (spec.promptTokenIds as number[]) : spec.promptTokenIds.slice();
    this.seqNo = seqNo;
    if (spec.promptBlockHashes !== undefined) this.blockHashes = { numTokens: this.numPromptTokens, hashes: spec.promptBlockHashes };
  }

  get numTokens(): number {
    return this.tokenIds.length;
  }

  get numOutputTokens(): number {
    return this.tokenIds.length - this.numPromptTokens;
  }

  get isFinished(): boolean {
    return this.status.kind === "finished";
  }
}
