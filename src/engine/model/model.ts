import type { Backend } from "../backend/backend.js";
import { loadTokenizer, type Tokenizer } from "../tokenizer/index.js";
import { readModelConfig, type ModelConfig } from "./config.js";
import { GgufFile } from "./gguf/reader.js";
import { Transformer } from "./transformer.js";
import { loadWeights, type LoadProgress } from "./weights.js";

/** A model ready to run: its config, tokenizer and forward pass on a backend. */
export interface LoadedModel {
  readonly path: string;
  readonly config: ModelConfig;
  readonly tokenizer: Tokenizer;
  readonly transformer: Transformer;
  /** Chat template from the GGUF metadata, if the file has one. */
  readonly chatTemplate: string | null;
}

export interface LoadModelOptions {
  readonly backend: Backend;
  readonly onProgress?: (p: LoadProgress) => void;
}

export function loadModel(path: string, options: LoadModelOptions): LoadedModel {
  const file = GgufFile.open(path);
  try {
    const config = readModelConfig(file);
    const tokenizer = loadTokenizer(file);
    const weights = loadWeights(file, config, options.backend, options.onProgress);
    return {
      path,
      config,
      tokenizer,
      transformer: new Transformer(config, weights, options.backend),
      chatTemplate: file.getString("tokenizer.chat_template") ?? null,
    };
  } finally {
    file.close();
  }
}
