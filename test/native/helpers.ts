/**
 * Shared setup of the native-backend tests: which instruction sets this machine can test, one
 * backend per ISA (capped with the `isa` option so every compiled path runs here), and
 * tolerance checks. When the addon is not built, suites are skipped with the reason in their title.
 */
import { describe } from "vitest";
import { loadNativeBackend, nativeBackendStatus, type NativeBackend, type NativeIsa } from "../../src/engine/backend/native/index.js";
import { mulberry32 } from "../../src/util/mulberry32.js";

export const STATUS = nativeBackendStatus();
export const ISAS: readonly NativeIsa[] = STATUS.available ? STATUS.isas : [];

if (!STATUS.available) console.warn(`native backend tests skipped: ${STATUS.reason}`);

/** `describe`, or a skipped suite whose title carries the reason when the addon is unavailable. */
export function describeNative(title: string, fn: () => void): void {
  if (STATUS.available) describe(title, fn);
  else describe.skip(`${title} (skipped: ${STATUS.reason})`, fn);
}

const backends = new Map<string, NativeBackend>();

/** A cached backend for `isa` with `threads` threads (3 by default: uneven splits). */
export function nativeBackend(isa: NativeIsa, threads = 3): NativeBackend {
  const key = `${isa}/${threads}`;
  let b = backends.get(key);
  if (!b) {
    b = loadNativeBackend({ isa, threads })!;
    if (b.isa !== isa) throw new Error(`asked for ${isa}, got ${b.isa}`);
    backends.set(key, b);
  }
  return b;
}

/** mulberry32 (src/util/mulberry32.ts): seeded uniform [0, 1). */
export const rng = mulberry32;

export function randomFloats(n: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
}

/** |got[i] - want[i]| <= atol + rtol * bound[i] (bound defaults to |want[i]|) for every i. */
export function expectClose(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  what: string,
  tol: { atol?: number; rtol?: number; bound?: ArrayLike<number> },
): void {
  if (got.length !== want.length) throw new Error(`${what}: length ${got.length} != ${want.length}`);
  const atol = tol.atol ?? 0;
  const rtol = tol.rtol ?? 0;
  for (let i = 0; i < got.length; i++) {
    const limit = atol + rtol * Math.abs(tol.bound ? tol.bound[i]! : want[i]!);
    const err = Math.abs(got[i]! - want[i]!);
    if (!(err <= limit)) throw new Error(`${what}: [${i}] got ${got[i]}, want ${want[i]} (error ${err}, tolerance ${limit})`);
  }
}

/** Bitwise equality of two float arrays (NaN-safe), with the first difference in the message. */
export function expectIdentical(got: Float32Array, want: Float32Array, what: string): void {
  const a = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const b = new Uint32Array(want.buffer, want.byteOffset, want.length);
  if (a.length !== b.length) throw new Error(`${what}: length ${a.length} != ${b.length}`);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) throw new Error(`${what}: [${i}] ${got[i]} != ${want[i]}`);
  }
}

/** Runs each call and fails unless every one throws; the messages, for checks on what they say. */
export function expectEachToThrow(calls: ReadonlyArray<() => unknown>): string[] {
  const messages = calls.map((f) => {
    try {
      f();
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
    return null;
  });
  const silent = messages.flatMap((m, i) => (m === null ? [i] : []));
  if (silent.length > 0) throw new Error(`calls ${silent.join(", ")} did not throw`);
  return messages as string[];
}
