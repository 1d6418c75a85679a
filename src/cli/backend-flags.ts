import os from "node:os";
import { type Command, Option } from "commander";
import type { Backend } from "../engine/backend/backend.js";
import { loadNativeBackend, NATIVE_ISAS, type NativeIsa, nativeBackendStatus } from "../engine/backend/native/index.js";
import { RefBackend } from "../engine/backend/ref/ref-backend.js";
import { num } from "./errors.js";

export interface BackendFlags {
  backend?: "native" | "ref";
  threads?: number;
  isa?: NativeIsa;
}

export function addBackendFlags(cmd: Command): Command {
  return cmd
    .addOption(new Option("--backend <name>", "compute backend: native (C++ SIMD kernels; the default when built) or ref (TypeScript reference)").choices(["native", "ref"]))
    .option("--threads <n>", `threads of the native backend (default: the number of cores, ${os.availableParallelism()} here)`, num("--threads", { int: true, min: 1, max: 1024 }))
    .addOption(new Option("--isa <name>", "highest instruction set the native backend may use (default: the best this CPU has)").choices([...NATIVE_ISAS]));
}

/**
 * The backend the flags ask for, and one line saying which was picked and why (for the log).
 * `--backend native` fails when the addon is missing; no flag falls back to the reference backend.
 */
export function backendFromFlags(flags: BackendFlags): { backend: Backend; description: string } {
  if (flags.backend === "ref") {
    return { backend: new RefBackend(), description: "backend: ref (TypeScript reference, 1 thread)" };
  }
  const native = loadNativeBackend({ ...(flags.threads !== undefined ? { threads: flags.threads } : {}), ...(flags.isa !== undefined ? { isa: flags.isa } : {}) });
  if (native) return { backend: native, description: `backend: native, ${native.isa} kernels, ${native.threads} threads` };
  const status = nativeBackendStatus();
  const reason = status.available ? "unknown reason" : status.reason;
  if (flags.backend === "native") throw new Error(`--backend native: the native backend is not available (${reason}); run \`npm run build:native\``);
  return { backend: new RefBackend(), description: `backend: ref (TypeScript reference, 1 thread); the native backend is not available: ${reason}` };
}
