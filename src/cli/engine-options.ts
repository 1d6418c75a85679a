// Transitional alias: the engine flags live in engine-flags.ts. (Removed once every importer moved.)
export { addEngineFlags, engineConfigFromFlags, type EngineFlags } from "./engine-flags.js";
