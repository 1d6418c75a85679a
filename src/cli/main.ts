import { Command } from "commander";
import { registerGenerate } from "./generate.js";
import { registerTokenize } from "./tokenize.js";

const program = new Command();
program.name("flotilla").description("LLM inference serving: engine, router, simulator and benchmark").version("0.1.0");
registerGenerate(program);
registerTokenize(program);
(await import("./serve.js")).registerServe(program);
(await import("./bench.js")).registerBench(program);
(await import("./sim.js")).registerSim(program);
await program.parseAsync(process.argv);
