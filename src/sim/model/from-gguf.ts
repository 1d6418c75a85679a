import { readModelConfig, SUPPORTED_ARCHITECTURES } from "../../engine/model/config.js";
import { GgufFile } from "../../engine/model/gguf/reader.js";
import type { ModelArchitecture } from "./architecture.js";

/**
 * A GGUF file's shape from its metadata and tensor table; no tensor data is read. Architectures
 * the engine runs go through the engine's own `readModelConfig`; any other architecture is read
 * from the generic `{arch}.*` keys every GGUF converter writes (a GELU MLP is assumed when the
 * file has no `ffn_gate` tensor).
 */
export function architectureFromGguf(path: string): ModelArchitecture {
  const file = GgufFile.open(path);
  try {
    const weightBytes = file.tensors.reduce((sum, t) => sum + t.byteSize, 0);
    const tiedEmbeddings = file.tensor("output.weight") === undefined;
    const ffnKind = file.tensor("blk.0.ffn_gate.weight") === undefined ? "plain" : "gated";
    const arch = file.getString("general.architecture") ?? "";
    if ((SUPPORTED_ARCHITECTURES as readonly string[]).includes(arch)) {
      const c = readModelConfig(file);
      return {
        name: c.name,
        numLayers: c.numLayers,
        hiddenSize: c.dim,
        numHeads: c.numHeads,
        numKvHeads: c.numKvHeads,
        headDim: c.headDim,
        ffnDim: c.ffnDim,
        ffnKind,
        vocabSize: c.vocabSize,
        contextLength: c.contextLength,
        tiedEmbeddings,
        weightBytes,
      };
    }
    const need = (key: string): number => {
      const v = file.getNumber(`${arch}.${key}`);
      if (v === undefined) throw new Error(`${path}: missing metadata ${arch}.${key}`);
      return v;
    };
    const hiddenSize = need("embedding_length");
    const numHeads = need("attention.head_count");
    return {
      name: file.getString("general.name") ?? arch,
      numLayers: need("block_count"),
      hiddenSize,
      numHeads,
      numKvHeads: file.getNumber(`${arch}.attention.head_count_kv`) ?? numHeads,
      headDim: file.getNumber(`${arch}.attention.key_length`) ?? hiddenSize / numHeads,
      ffnDim: need("feed_forward_length"),
      ffnKind,
      vocabSize: file.tensor("token_embd.weight")?.dims[1] ?? file.getStringArray("tokenizer.ggml.tokens")?.length ?? 0,
      contextLength: file.getNumber(`${arch}.context_length`) ?? 2048,
      tiedEmbeddings,
      weightBytes,
    };
  } finally {
    file.close();
  }
}
