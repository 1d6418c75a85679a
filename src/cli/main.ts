import { Command } from "commander";

const program = new Command();
program.name("flotilla").description("LLM inference serving: engine, router, simulator and benchmark").version("0.1.0");
await program.parseAsync(process.argv);
