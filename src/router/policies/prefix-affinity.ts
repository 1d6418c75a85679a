import { prefixBlockHashes } from "./prefix-hash.js";
import type { RoutingObserver } from "./pipeline.js";
import type { EndpointState, RoutingRequest, Scorer } from "./types.js";

export interface PrefixIndexOptions {
  /** Tokens per router block (independent of the engines' KV block size). */
  readonly blockSize: number;
  /** Blocks remembered per endpoint; least recently routed are forgotten first (roughly its KV capacity). */
  readonly maxBlocksPerEndpoint: number;
}

export const DEFAULT_PREFIX_INDEX: PrefixIndexOptions = { blockSize: 64, maxBlocksPerEndpoint: 1 << 16 };

/**
 * The router's guess of what each endpoint has cached: the prompt blocks of the requests it sent
 * there, most recently used last (an approximation of the engines' own LRU, built from routing
 * decisions alone; llm-d's "approximate prefix cache" scorer works the same way).
 */
export class PrefixIndex implements RoutingObserver {
  private readonly perEndpoint = new Map<number, Map<number, true>>();
  private lastRequest: RoutingRequest | null = null;
  private lastHashes: number[] = [];

  constructor(readonly options: PrefixIndexOptions = DEFAULT_PREFIX_INDEX) {
    if (!Number.isInteger(options.blockSize) || options.blockSize < 1) throw new RangeError("prefix block size must be a positive integer");
  }

  /** The request's block hashes (computed once per request, shared by the scorer and `routed`). */
  hashesOf(request: RoutingRequest): readonly number[] {
    if (this.lastRequest !== request) {
      this.lastRequest = request;
      this.lastHashes = prefixBlockHashes(request.promptTokenIds, this.options.blockSize);
    }
    return this.lastHashes;
  }

  /** Leading blocks of the request the endpoint is believed to hold. */
  matchedBlocks(request: RoutingRequest, endpointIndex: number): number {
    const blocks = this.perEndpoint.get(endpointIndex);
    if (blocks === undefined) return 0;
    const hashes = this.hashesOf(request);
    let n = 0;
    while (n < hashes.length && blocks.has(hashes[n]!)) n++;
    return n;
  }

  routed(request: RoutingRequest, endpointIndex: number): void {
    let blocks = this.perEndpoint.get(endpointIndex);
    if (blocks === undefined) {
      blocks = new Map();
      this.perEndpoint.set(endpointIndex, blocks);
    }
    for (const h of this.hashesOf(request)) {
      // Re-insert to move to the most recently used end (Map keeps insertion order).
      blocks.delete(h);
      blocks.set(h, true);
    }
    while (blocks.size > this.options.maxBlocksPerEndpoint) blocks.delete(blocks.keys().next().value!);
  }
}

/** score = leading prompt blocks the endpoint is believed to hold / prompt blocks (0 for a prompt shorter than a block). */
export class PrefixAffinityScorer implements Scorer {
  readonly name = "prefix-affinity";
  readonly readsPromptTokens = true;

  constructor(private readonly index: PrefixIndex) {}

  score(request: RoutingRequest, endpoints: readonly EndpointState[]): number[] {
    const numBlocks = this.index.hashesOf(request).length;
    return endpoints.map((e) => (numBlocks === 0 ? 0 : this.index.matchedBlocks(request, e.index) / numBlocks));
  }
}
