import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** `../shared` next to the checkout: real models, vocabularies and traces. */
export const SHARED = resolve(REPO_ROOT, "../shared");
export const STORIES_260K = join(SHARED, "models/stories260K.gguf");
export const VOCAB_DIR = join(SHARED, "models/vocab");
export const CLI = join(REPO_ROOT, "bin/flotilla.js");

/** A fresh temporary directory, removed by the returned cleanup function. */
export function tempDir(prefix = "flotilla-test-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
