import { existsSync } from "node:fs";
import type { ModelArchitecture } from "./architecture.js";
import { BUILTIN_MODELS, findBuiltinModel } from "./builtin-models.js";
import { architectureFromGguf } from "./from-gguf.js";

/** `--model`: a built-in name (see `BUILTIN_MODELS`) or a path to a GGUF file. */
export function resolveModel(nameOrPath: string): ModelArchitecture {
  const builtin = findBuiltinModel(nameOrPath);
  if (builtin !== undefined) return builtin;
  if (nameOrPath.toLowerCase().endsWith(".gguf") || existsSync(nameOrPath)) return architectureFromGguf(nameOrPath);
  throw new Error(`unknown model ${JSON.stringify(nameOrPath)}: give a GGUF file or one of ${BUILTIN_MODELS.map((m) => m.name).join(", ")}`);
}
