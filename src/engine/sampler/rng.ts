/**
 * Seeded pseudo-random numbers for sampling: xoshiro128** 1.1 (Blackman & Vigna), state seeded
 * from splitmix64. Pure and deterministic: the same seed always yields the same stream on every
 * platform, because everything is 32-bit integer arithmetic (Math.imul, >>>).
 */

const MASK64 = (1n << 64n) - 1n;

/** One splitmix64 step: advances `state` by the golden gamma and returns the mixed output. */
export function splitmix64(state: bigint): { state: bigint; value: bigint } {
  const next = (state + 0x9e3779b97f4a7c15n) & MASK64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return { state: next, value: z ^ (z >> 31n) };
}

/** 2^26 and 2^-53, for joining 27 + 26 random bits into a double in [0, 1). */
const TWO_POW_26 = 67108864;
const TWO_POW_53_INV = 1 / 9007199254740992;

export class Xoshiro128StarStar {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /**
   * `seed` is any safe integer; negative seeds are taken as 64-bit two's complement. The 128-bit
   * state is two splitmix64 outputs (low word first), as the xoshiro authors recommend.
   */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
    const a = splitmix64(BigInt.asUintN(64, BigInt(seed)));
    const b = splitmix64(a.state);
    this.s0 = Number(a.value & 0xffffffffn);
    this.s1 = Number(a.value >> 32n);
    this.s2 = Number(b.value & 0xffffffffn);
    this.s3 = Number(b.value >> 32n);
    // An all-zero state is a fixed point; splitmix64 practically never yields it, but make it impossible.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Uniform integer in [0, 2^32). */
  nextUint32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /**
   * out[i] = pool[floor(nextDouble() * pool.length)] for i in [start, start + n): exactly the draws
   * of n `nextDouble` calls, with the state in locals (workload prompts take tens of millions).
   */
  drawFromPool(pool: ArrayLike<number>, out: number[], start: number, n: number): void {
    let s0 = this.s0;
    let s1 = this.s1;
    let s2 = this.s2;
    let s3 = this.s3;
    const size = pool.length;
    for (let i = start; i < start + n; i++) {
      // Two generator steps (nextUint32), written out: a helper could not update the locals.
      const hi = (Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0) >>> 5;
      let t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = rotl(s3, 11);
      const lo = (Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0) >>> 6;
      t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = rotl(s3, 11);
      out[i] = pool[Math.floor((hi * TWO_POW_26 + lo) * TWO_POW_53_INV * size)]!;
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
  }

  /** Uniform double in [0, 1) with 53 random bits (two 32-bit draws). */
  nextDouble(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * TWO_POW_26 + lo) * TWO_POW_53_INV;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
