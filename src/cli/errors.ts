import { InvalidArgumentError } from "commander";

/**
 * Runs a command's action; any error becomes one clear line on stderr and exit code 1 (no stack
 * trace unless FLOTILLA_DEBUG is set: users need the message, developers the trace).
 */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      process.stderr.write(`flotilla: error: ${msg}\n`);
      if (process.env.FLOTILLA_DEBUG && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
      process.exitCode = 1;
    }
  };
}

/** Parses a numeric flag, rejecting anything that is not a finite number. */
export function num(name: string, opts: { int?: boolean; min?: number; max?: number } = {}) {
  return (value: string): number => {
    const v = Number(value);
    if (value.trim() === "" || !Number.isFinite(v) || (opts.int && !Number.isInteger(v))) {
      throw new InvalidArgumentError(`${name} must be ${opts.int ? "an integer" : "a number"}.`);
    }
    if (opts.min !== undefined && v < opts.min) throw new InvalidArgumentError(`${name} must be >= ${opts.min}.`);
    if (opts.max !== undefined && v > opts.max) throw new InvalidArgumentError(`${name} must be <= ${opts.max}.`);
    return v;
  };
}
