import { normaliseName } from "../names.js";
import type { ModelArchitecture } from "./architecture.js";

/**
 * Popular architectures, shapes from each model's published `config.json` on Hugging Face.
 * `documentedParams` is the model card's count; `numParams()` recomputes it from the shapes
 * (a test keeps them within 2%).
 */
export const BUILTIN_MODELS: readonly ModelArchitecture[] = [
  llama("Llama-2-7B", { numLayers: 32, hiddenSize: 4096, numHeads: 32, numKvHeads: 32, ffnDim: 11008, vocabSize: 32000, contextLength: 4096, documentedParams: 6.74e9 }),
  llama("Llama-2-13B", { numLayers: 40, hiddenSize: 5120, numHeads: 40, numKvHeads: 40, ffnDim: 13824, vocabSize: 32000, contextLength: 4096, documentedParams: 13.0e9 }),
  llama("Llama-2-70B", { numLayers: 80, hiddenSize: 8192, numHeads: 64, numKvHeads: 8, ffnDim: 28672, vocabSize: 32000, contextLength: 4096, documentedParams: 69.0e9 }),
  llama("Llama-3-8B", { numLayers: 32, hiddenSize: 4096, numHeads: 32, numKvHeads: 8, ffnDim: 14336, vocabSize: 128256, contextLength: 8192, documentedParams: 8.03e9 }),
  llama("Llama-3-70B", { numLayers: 80, hiddenSize: 8192, numHeads: 64, numKvHeads: 8, ffnDim: 28672, vocabSize: 128256, contextLength: 8192, documentedParams: 70.6e9 }),
  llama("Qwen2.5-7B", { numLayers: 28, hiddenSize: 3584, numHeads: 28, numKvHeads: 4, ffnDim: 18944, vocabSize: 152064, contextLength: 32768, documentedParams: 7.62e9 }),
  llama("Qwen2.5-72B", { numLayers: 80, hiddenSize: 8192, numHeads: 64, numKvHeads: 8, ffnDim: 29568, vocabSize: 152064, contextLength: 32768, documentedParams: 72.7e9 }),
  llama("Mistral-7B", { numLayers: 32, hiddenSize: 4096, numHeads: 32, numKvHeads: 8, ffnDim: 14336, vocabSize: 32000, contextLength: 32768, documentedParams: 7.24e9 }),
  // BLOOM: multi-head attention (ALiBi, no RoPE), a plain 4x GELU MLP, tied embeddings.
  {
    name: "BLOOM-176B",
    numLayers: 70,
    hiddenSize: 14336,
    numHeads: 112,
    numKvHeads: 112,
    headDim: 128,
    ffnDim: 57344,
    ffnKind: "plain",
    vocabSize: 250880,
    contextLength: 2048,
    tiedEmbeddings: true,
    documentedParams: 176.2e9,
  },
];

function llama(
  name: string,
  s: Pick<ModelArchitecture, "numLayers" | "hiddenSize" | "numHeads" | "numKvHeads" | "ffnDim" | "vocabSize" | "contextLength" | "documentedParams">,
): ModelArchitecture {
  return { name, ...s, headDim: s.hiddenSize / s.numHeads, ffnKind: "gated", tiedEmbeddings: false };
}

/** Built-in model by name, ignoring case and "-", "_", "." ("llama2-70b" finds Llama-2-70B). */
export function findBuiltinModel(name: string): ModelArchitecture | undefined {
  const key = normaliseName(name);
  return BUILTIN_MODELS.find((m) => normaliseName(m.name) === key);
}
