import { createWriteStream } from "node:fs";
import type { StepLog } from "../engine/engine.js";

/** `--log-steps FILE`: one JSON line per engine step. */
export function openStepLog(path: string): { onStep: (log: StepLog) => void; close: () => Promise<void> } {
  const out = createWriteStream(path, { flags: "w" });
  let failed: Error | null = null;
  out.on("error", (e) => {
    failed = e;
  });
  return {
    onStep: (log) => {
      if (!failed) out.write(`${JSON.stringify(log)}\n`);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        out.end(() => (failed ? reject(new Error(`--log-steps ${path}: ${(failed as Error).message}`)) : resolve()));
      }),
  };
}
