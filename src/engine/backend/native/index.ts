import os from "node:os";
import { loadAddon, NATIVE_ISAS, type NativeIsa } from "./addon.js";
import { NativeBackend } from "./native-backend.js";

export { NativeBackend } from "./native-backend.js";
export { NativeKvStorage } from "./kv-storage.js";
export { NATIVE_ISAS, type NativeIsa } from "./addon.js";

export interface NativeBackendOptions {
  /** Threads of the kernel pool, the calling thread included (default: the number of cores). */
  readonly threads?: number;
  /** Highest instruction set to use (default: the best this CPU supports), e.g. to test a path. */
  readonly isa?: NativeIsa;
  /**
   * Keep a repacked copy of weights where the kernels have a faster layout (default true; AMX
   * machines, Q8_0: faster decode for a second copy of those tensors in native memory).
   */
  readonly packWeights?: boolean;
}

export type NativeStatus =
  | { readonly available: true; readonly isas: readonly NativeIsa[] }
  | { readonly available: false; readonly reason: string };

/** Whether the addon loads here, and which instruction sets it can use (best last). */
export function nativeBackendStatus(): NativeStatus {
  const load = loadAddon();
  return load.ok ? { available: true, isas: load.addon.supportedIsas() } : { available: false, reason: load.reason };
}

/**
 * A native backend, or null when the addon is not built or does not load on this machine
 * (`nativeBackendStatus()` says why). Bad options throw.
 */
export function loadNativeBackend(opts: NativeBackendOptions = {}): NativeBackend | null {
  const threads = opts.threads ?? os.availableParallelism();
  if (!Number.isInteger(threads) || threads < 1 || threads > 1024) throw new RangeError(`threads must be an integer in 1..1024, got ${threads}`);
  if (opts.isa !== undefined && !NATIVE_ISAS.includes(opts.isa)) {
    throw new RangeError(`unknown instruction set '${String(opts.isa)}' (known: ${NATIVE_ISAS.join(", ")})`);
  }
  const load = loadAddon();
  if (!load.ok) return null;
  return new NativeBackend(load.addon, new load.addon.NativeContext(threads, opts.isa ?? ""), opts.packWeights ?? true);
}
