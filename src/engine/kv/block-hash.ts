import { createHash } from "node:crypto";

/**
 * A full block's identity in the prefix cache: a hash of its parent's hash, its token ids and, for
 * a chain's first block only, the request's cache salt. Chaining makes a hash name the whole
 * prefix up to and including the block, so equal hashes mean equal KV contents. Strings, not
 * bigints, because they are Map keys and travel in JSON events unchanged.
 *
 * Two algorithms (vLLM offers the same choice with `--prefix-caching-hash-algo`):
 * - "sha256" (default): lowercase hex SHA-256, 64 characters, in the fixed encoding below, so any
 *   process (engine, simulator, fleet router, in any language) that hashes the same tokens with
 *   the same salt gets the same string. Collisions are out of reach even for an adversary.
 * - "fast64": a 64-bit non-cryptographic hash (16 hex characters), ~10x cheaper. Accidental
 *   collisions need ~2^32 blocks, but a client who can choose tokens could forge one: use it where
 *   every prompt is trusted, as in the simulator (whose prompts are synthetic).
 */
export type BlockHash = string;

export type BlockHashAlgorithm = "sha256" | "fast64";
export const BLOCK_HASH_ALGORITHMS: readonly BlockHashAlgorithm[] = ["sha256", "fast64"];

/** Versioned domain tag: changing the encoding must change this, so old and new never collide. */
const DOMAIN_TAG = Buffer.from("flotilla/kv-block/v1\0", "utf8");
const SHA256_PATTERN = /^[0-9a-f]{64}$/;
const FAST64_PATTERN = /^[0-9a-f]{16}$/;

/**
 * Hash one full block. `salt` (tenant isolation) is allowed only on a root block
 * (`parentHash === null`); an empty salt is the same as none. SHA-256 encoding, integers u32 LE:
 *   tag, then 0x00, salt byte length, salt UTF-8   (root)
 *             or 0x01, parent digest (32 bytes)    (child)
 *   then token count, token ids.
 * The length prefixes keep the encoding unambiguous (a salt cannot impersonate tokens). fast64
 * hashes the same fields as 32-bit words (see `Fast64`).
 */
export function hashBlock(parentHash: BlockHash | null, tokenIds: ArrayLike<number>, salt?: string, algorithm: BlockHashAlgorithm = "sha256"): BlockHash {
  if (parentHash !== null) {
    if (salt !== undefined && salt !== "") {
      throw new RangeError("a cache salt enters only a chain's first block (parentHash must be null)");
    }
    const pattern = algorithm === "sha256" ? SHA256_PATTERN : FAST64_PATTERN;
    if (!pattern.test(parentHash)) {
      throw new RangeError(`parentHash must be a ${algorithm} hash (${algorithm === "sha256" ? 64 : 16} lowercase hex characters), got ${JSON.stringify(parentHash)}`);
    }
  }
  checkTokens(tokenIds, 0, tokenIds.length);
  return newChain(algorithm, parentHash, salt).next(tokenIds, 0, tokenIds.length);
}

/**
 * Hashes of blocks [hashes.length, numFullBlocks) of `tokenIds`, appended to `hashes` (which holds
 * the chain's earlier hashes, made with the same algorithm). Lets a request extend its chain as
 * decode fills blocks without rehashing the prompt. `tokenIds` must hold at least
 * numFullBlocks * blockSize ids.
 */
export function extendBlockHashes(
  hashes: BlockHash[],
  tokenIds: ArrayLike<number>,
  numFullBlocks: number,
  blockSize: number,
  salt: string | undefined,
  algorithm: BlockHashAlgorithm = "sha256",
): void {
  if (tokenIds.length < numFullBlocks * blockSize) {
    throw new RangeError(`${numFullBlocks} full blocks of ${blockSize} need ${numFullBlocks * blockSize} tokens, got ${tokenIds.length}`);
  }
  if (hashes.length >= numFullBlocks) return;
  checkTokens(tokenIds, hashes.length * blockSize, numFullBlocks * blockSize);
  const first = hashes.length;
  const chain = newChain(algorithm, first === 0 ? null : hashes[first - 1]!, first === 0 ? salt : undefined);
  for (let i = first; i < numFullBlocks; i++) hashes.push(chain.next(tokenIds, i * blockSize, (i + 1) * blockSize));
}

/**
 * Hashes of a chain of blocks given by arbitrary 32-bit words rather than tokens: block i is
 * words[starts[i], starts[i + 1]), chained and salted as token blocks are. For callers that
 * identify content by a description of it (the simulator's synthetic prompts); such a chain then
 * continues with token blocks as usual (`extendBlockHashes`).
 */
export function hashWordBlocks(words: ArrayLike<number>, starts: ArrayLike<number>, salt: string | undefined, algorithm: BlockHashAlgorithm = "sha256"): BlockHash[] {
  const hashes: BlockHash[] = [];
  if (starts.length < 2) return hashes;
  checkTokens(words, starts[0]!, starts[starts.length - 1]!);
  const chain = newChain(algorithm, null, salt);
  for (let i = 0; i + 1 < starts.length; i++) hashes.push(chain.next(words, starts[i]!, starts[i + 1]!));
  return hashes;
}

/** Hashes of every full block of `tokenIds` (a partial last block has no hash). */
export function hashFullBlocks(tokenIds: ArrayLike<number>, blockSize: number, salt?: string, algorithm: BlockHashAlgorithm = "sha256"): BlockHash[] {
  const hashes: BlockHash[] = [];
  extendBlockHashes(hashes, tokenIds, Math.floor(tokenIds.length / blockSize), blockSize, salt, algorithm);
  return hashes;
}

/** Token ids [start, end) as a plain array (ArrayLike has no slice). */
export function sliceTokens(tokenIds: ArrayLike<number>, start: number, end: number): number[] {
  const out = new Array<number>(end - start);
  for (let i = start; i < end; i++) out[i - start] = tokenIds[i]!;
  return out;
}

function checkTokens(tokenIds: ArrayLike<number>, start: number, end: number): void {
  for (let i = start; i < end; i++) {
    const tokenId = tokenIds[i]!;
    // x >>> 0 === x exactly for the integers in [0, 2^32) (not for NaN, fractions or negatives).
    if (tokenId >>> 0 !== tokenId) {
      throw new RangeError(`token id at ${i} must be an integer in [0, 2^32), got ${tokenId}`);
    }
  }
}

/** Hashes consecutive blocks of one chain, carrying the parent in binary form from block to block. */
interface Chain {
  next(tokenIds: ArrayLike<number>, start: number, end: number): BlockHash;
}

/** A chain that starts after `parentHash` (trusted to be of `algorithm`), or at a root block with `salt`. */
function newChain(algorithm: BlockHashAlgorithm, parentHash: BlockHash | null, salt: string | undefined): Chain {
  return algorithm === "sha256" ? new Sha256Chain(parentHash, salt) : new Fast64Chain(parentHash, salt);
}

class Sha256Chain implements Chain {
  private parent: Buffer | null;
  private readonly salt: Buffer;

  constructor(parentHash: BlockHash | null, salt: string | undefined) {
    this.parent = parentHash === null ? null : Buffer.from(parentHash, "hex");
    this.salt = Buffer.from(salt ?? "", "utf8");
  }

  next(tokenIds: ArrayLike<number>, start: number, end: number): BlockHash {
    const head = DOMAIN_TAG.length + 1 + (this.parent === null ? 4 + this.salt.length : 32);
    const bytes = Buffer.allocUnsafe(head + 4 * (end - start + 1));
    let at = DOMAIN_TAG.copy(bytes, 0);
    if (this.parent === null) {
      bytes[at++] = 0;
      at = bytes.writeUInt32LE(this.salt.length, at);
      at += this.salt.copy(bytes, at);
    } else {
      bytes[at++] = 1;
      at += this.parent.copy(bytes, at);
    }
    at = bytes.writeUInt32LE(end - start, at);
    for (let i = start; i < end; i++) at = bytes.writeUInt32LE(tokenIds[i]!, at);
    const digest = createHash("sha256").update(bytes).digest();
    this.parent = digest;
    return digest.toString("hex");
  }
}

const SEED_A = 0x9e3779b9;
const SEED_B = 0x85ebca6b;
const TAG_WORD = 0x666c7431; // "flt1": the fast64 encoding's version
const POSITION_KEY = 0x27d4eb2f;

/**
 * fast64: two 32-bit lanes of Murmur3-style word mixing (the second lane also mixes in each word's
 * position, so the lanes' weaknesses differ), finalised and crossed into 64 bits. Words: the tag,
 * then 0 + salt length + salt bytes (4 per word, little-endian, zero-padded) for a root or 1 +
 * the parent's two words for a child, then the token count and the token ids.
 */
class Fast64Chain implements Chain {
  private hi = 0;
  private lo = 0;
  private isRoot: boolean;
  private readonly saltWords: readonly number[];

  constructor(parentHash: BlockHash | null, salt: string | undefined) {
    this.isRoot = parentHash === null;
    if (parentHash !== null) {
      this.hi = hexWord(parentHash, 0);
      this.lo = hexWord(parentHash, 8);
    }
    this.saltWords = salt === undefined || salt === "" ? NO_SALT_WORDS : saltWords(salt);
  }

  next(tokenIds: ArrayLike<number>, start: number, end: number): BlockHash {
    // The words of the class comment, mixed as they come (no array per block). Lane b mixes word
    // number n (from 1) as word ^ imul(n, POSITION_KEY).
    let a = mixLane(SEED_A, TAG_WORD);
    let b = mixLane(SEED_B, TAG_WORD ^ POSITION_KEY);
    let n = 1;
    if (this.isRoot) {
      a = mixLane(a, 0);
      b = mixLane(b, Math.imul(++n, POSITION_KEY));
      const salt = this.saltWords;
      for (let k = 0; k < salt.length; k++) {
        const w = salt[k]!;
        a = mixLane(a, w);
        b = mixLane(b, w ^ Math.imul(++n, POSITION_KEY));
      }
    } else {
      a = mixLane(mixLane(mixLane(a, 1), this.hi), this.lo);
      b = mixLane(b, 1 ^ Math.imul(2, POSITION_KEY));
      b = mixLane(b, this.hi ^ Math.imul(3, POSITION_KEY));
      b = mixLane(b, this.lo ^ Math.imul(4, POSITION_KEY));
      n = 4;
    }
    a = mixLane(a, end - start);
    b = mixLane(b, (end - start) ^ Math.imul(++n, POSITION_KEY));
    for (let i = start; i < end; i++) {
      const w = tokenIds[i]! | 0;
      a = mixLane(a, w);
      b = mixLane(b, w ^ Math.imul(++n, POSITION_KEY));
    }
    a = fmix32(a ^ n);
    b = fmix32(b ^ Math.imul(n, 0x165667b1));
    const hi = (a + Math.imul(b, 0x2545f491)) | 0;
    const lo = (b ^ fmix32(hi)) | 0;
    this.hi = hi;
    this.lo = lo;
    this.isRoot = false;
    return hex16(hi, lo);
  }
}

/** The salt's words for an empty salt: just its length, 0. */
const NO_SALT_WORDS: readonly number[] = Object.freeze([0]);

/** A salt as fast64 words: its UTF-8 byte length, then its bytes 4 per word, little-endian, zero-padded. */
function saltWords(salt: string): number[] {
  const bytes = Buffer.from(salt, "utf8");
  const words = [bytes.length];
  for (let i = 0; i < bytes.length; i += 4) {
    words.push((bytes[i]! | ((bytes[i + 1] ?? 0) << 8) | ((bytes[i + 2] ?? 0) << 16) | ((bytes[i + 3] ?? 0) << 24)) | 0);
  }
  return words;
}

/** The 32-bit word spelt by hex characters [at, at + 8) of a lowercase hex string (as an int32). */
function hexWord(hex: string, at: number): number {
  let w = 0;
  for (let k = at; k < at + 8; k++) {
    const c = hex.charCodeAt(k);
    w = (w << 4) | (c <= 57 ? c - 48 : c - 87);
  }
  return w | 0;
}

function mixLane(h: number, word: number): number {
  let k = Math.imul(word, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

const HEX_CODES = Array.from("0123456789abcdef", (c) => c.charCodeAt(0));

/** hi and lo as 16 lowercase hex characters (flat, one allocation; number-to-string of values >= 2^31 is slow). */
function hex16(hi: number, lo: number): string {
  const h = HEX_CODES;
  return String.fromCharCode(
    h[(hi >>> 28) & 15]!, h[(hi >>> 24) & 15]!, h[(hi >>> 20) & 15]!, h[(hi >>> 16) & 15]!,
    h[(hi >>> 12) & 15]!, h[(hi >>> 8) & 15]!, h[(hi >>> 4) & 15]!, h[hi & 15]!,
    h[(lo >>> 28) & 15]!, h[(lo >>> 24) & 15]!, h[(lo >>> 20) & 15]!, h[(lo >>> 16) & 15]!,
    h[(lo >>> 12) & 15]!, h[(lo >>> 8) & 15]!, h[(lo >>> 4) & 15]!, h[lo & 15]!,
  );
}
