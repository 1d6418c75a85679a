import { createHash } from "node:crypto";

/**
 * A full block's identity in the prefix cache: the lowercase hex SHA-256 (64 characters) of its
 * parent's hash, its token ids and, for a chain's first block only, the request's cache salt.
 * Chaining makes a hash name the whole prefix up to and including the block, so equal hashes
 * mean equal KV contents. The encoding below is fixed: any process (engine, simulator, fleet
 * router) that hashes the same tokens with the same salt gets the same string. Strings, not
 * bigints, because they are Map keys and travel in JSON events unchanged.
 */
export type BlockHash = string;

/** Versioned domain tag: changing the encoding must change this, so old and new never collide. */
const DOMAIN_TAG = Buffer.from("flotilla/kv-block/v1\0", "utf8");
const ROOT_MARK = Buffer.from([0]);
const CHILD_MARK = Buffer.from([1]);
const HASH_HEX_PATTERN = /^[0-9a-f]{64}$/;
const MAX_TOKEN_ID = 0xffffffff;

/**
 * Hash one full block. `salt` (tenant isolation) is allowed only on a root block
 * (`parentHash === null`); an empty salt is the same as none. Encoding, all integers u32 LE:
 *   tag, then 0x00, salt byte length, salt UTF-8   (root)
 *             or 0x01, parent digest (32 bytes)    (child)
 *   then token count, token ids.
 * The length prefixes keep the encoding unambiguous (a salt cannot impersonate tokens).
 */
export function hashBlock(parentHash: BlockHash | null, tokenIds: ArrayLike<number>, salt?: string): BlockHash {
  const hash = createHash("sha256");
  hash.update(DOMAIN_TAG);
  if (parentHash === null) {
    const saltBytes = Buffer.from(salt ?? "", "utf8");
    hash.update(ROOT_MARK);
    hash.update(u32(saltBytes.length));
    hash.update(saltBytes);
  } else {
    if (salt !== undefined && salt !== "") {
      throw new RangeError("a cache salt enters only a chain's first block (parentHash must be null)");
    }
    if (!HASH_HEX_PATTERN.test(parentHash)) {
      throw new RangeError(`parentHash must be 64 lowercase hex characters, got ${JSON.stringify(parentHash)}`);
    }
    hash.update(CHILD_MARK);
    hash.update(Buffer.from(parentHash, "hex"));
  }
  const tokenBytes = Buffer.allocUnsafe(4 * (tokenIds.length + 1));
  tokenBytes.writeUInt32LE(tokenIds.length, 0);
  for (let i = 0; i < tokenIds.length; i++) {
    const tokenId = tokenIds[i]!;
    if (!Number.isInteger(tokenId) || tokenId < 0 || tokenId > MAX_TOKEN_ID) {
      throw new RangeError(`token id at ${i} must be an integer in [0, 2^32), got ${tokenId}`);
    }
    tokenBytes.writeUInt32LE(tokenId, 4 * (i + 1));
  }
  hash.update(tokenBytes);
  return hash.digest("hex");
}

/**
 * Hashes of blocks [hashes.length, numFullBlocks) of `tokenIds`, appended to `hashes` (which holds
 * the chain's earlier hashes). Lets a request extend its chain as decode fills blocks without
 * rehashing the prompt. `tokenIds` must hold at least numFullBlocks * blockSize ids.
 */
export function extendBlockHashes(
  hashes: BlockHash[],
  tokenIds: ArrayLike<number>,
  numFullBlocks: number,
  blockSize: number,
  salt: string | undefined,
): void {
  if (tokenIds.length < numFullBlocks * blockSize) {
    throw new RangeError(`${numFullBlocks} full blocks of ${blockSize} need ${numFullBlocks * blockSize} tokens, got ${tokenIds.length}`);
  }
  for (let i = hashes.length; i < numFullBlocks; i++) {
    const blockTokens = sliceTokens(tokenIds, i * blockSize, (i + 1) * blockSize);
    hashes.push(i === 0 ? hashBlock(null, blockTokens, salt) : hashBlock(hashes[i - 1]!, blockTokens));
  }
}

/** Hashes of every full block of `tokenIds` (a partial last block has no hash). */
export function hashFullBlocks(tokenIds: ArrayLike<number>, blockSize: number, salt?: string): BlockHash[] {
  const hashes: BlockHash[] = [];
  extendBlockHashes(hashes, tokenIds, Math.floor(tokenIds.length / blockSize), blockSize, salt);
  return hashes;
}

/** Token ids [start, end) as a plain array (ArrayLike has no slice). */
export function sliceTokens(tokenIds: ArrayLike<number>, start: number, end: number): number[] {
  const out = new Array<number>(end - start);
  for (let i = start; i < end; i++) out[i - start] = tokenIds[i]!;
  return out;
}

function u32(value: number): Buffer {
  const bytes = Buffer.allocUnsafe(4);
  bytes.writeUInt32LE(value, 0);
  return bytes;
}
