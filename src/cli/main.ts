import { Command } from "commander";

const program = new Command();
program.name("flotilla").description("LLM inference serving: engine, router, simulator and benchmark").version("0.1.0");

/**
 * Each command's module, loaded only when needed: a command names itself first, so only its
 * module is loaded (the server's or the simulator's modules take ~0.15 s each to load); without a
 * known command (help, version, a typo) all are registered, so help lists them and typos are caught.
 */
const COMMANDS: Readonly<Record<string, (p: Command) => Promise<void>>> = {
  generate: async (p) => (await import("./generate.js")).registerGenerate(p),
  tokenize: async (p) => (await import("./tokenize.js")).registerTokenize(p),
  serve: async (p) => (await import("./serve.js")).registerServe(p),
  bench: async (p) => (await import("./bench.js")).registerBench(p),
  sim: async (p) => (await import("./sim.js")).registerSim(p),
};
const named = process.argv[2];
const register = named !== undefined && Object.hasOwn(COMMANDS, named) ? [COMMANDS[named]!] : Object.values(COMMANDS);
for (const r of register) await r(program);
await program.parseAsync(process.argv);
