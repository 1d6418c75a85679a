/**
 * THE ONLY IMPURE PART OF THE SAMPLER: draws a fresh seed from the OS CSPRNG for a request that did
 * not bring one. Everything else under sampler/ is deterministic given its seed.
 */
import { randomInt } from "node:crypto";

/** crypto.randomInt requires max - min <= 2^48 - 1 (its exclusive upper bound). */
const SEED_LIMIT = 2 ** 48 - 1;

/** A uniformly random seed in [0, 2^48 - 1), a safe integer accepted by SamplingParams.seed. */
export function randomSeed(): number {
  return randomInt(0, SEED_LIMIT);
}
