/**
 * Chained hashes of a prompt's full blocks of `blockSize` tokens, for the router's own prefix
 * index: block i's hash covers tokens [0, (i + 1) x blockSize), like the engine's block hashes,
 * but 53-bit non-cryptographic (two 32-bit FNV-1a-style lanes), because the router hashes every
 * prompt on the request path and a rare collision only costs a worse routing choice.
 */
export function prefixBlockHashes(tokenIds: readonly number[], blockSize: number): number[] {
  const numBlocks = Math.floor(tokenIds.length / blockSize);
  const hashes = new Array<number>(numBlocks);
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let block = 0; block < numBlocks; block++) {
    for (let i = block * blockSize; i < (block + 1) * blockSize; i++) {
      const t = tokenIds[i]!;
      a = Math.imul(a ^ t, 0x01000193);
      b = Math.imul(b ^ (t + 0x9e3779b9), 0x5bd1e995);
      b ^= b >>> 15;
    }
    // 32 bits of one lane and 21 of the other: a safe integer, usable as a Map key without strings.
    hashes[block] = (a >>> 0) * 0x200000 + ((b >>> 0) >>> 11);
  }
  return hashes;
}
