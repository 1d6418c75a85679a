import { closeSync, openSync, readFileSync, statSync, truncateSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { GgufError, GgufFile } from "../../src/engine/model/gguf/reader.js";
import { type GgufValue, GgufValueType } from "../../src/engine/model/gguf/types.js";
import { gv, writeGguf } from "../../src/engine/model/gguf/writer.js";
import { GgmlType } from "../../src/engine/quant/ggml-types.js";
import { STORIES_260K, tempDir } from "../helpers/paths.js";

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

describe("GGUF reader on a real file", () => {
  it("reads stories260K's metadata and tensor infos", () => {
    const f = GgufFile.open(STORIES_260K);
    expect(f.version).toBe(3);
    expect(f.getString("general.architecture")).toBe("llama");
    expect(f.getNumber("llama.embedding_length")).toBe(64);
    expect(f.getNumber("llama.attention.head_count_kv")).toBe(4);
    expect(f.getNumber("llama.attention.layer_norm_rms_epsilon")).toBeCloseTo(1e-5, 10);
    expect(f.getStringArray("tokenizer.ggml.tokens")?.slice(0, 3)).toEqual(["<unk>", "<s>", "</s>"]);
    expect(f.getNumberArray("tokenizer.ggml.scores")?.length).toBe(512);
    expect(f.tensors).toHaveLength(2 + 1 + 5 * 9);
    const q = f.tensor("blk.0.attn_k.weight")!;
    expect(q.dims).toEqual([64, 32]);
    expect(q.type).toBe(GgmlType.F32);
    expect(q.byteSize).toBe(64 * 32 * 4);
    // The data section starts aligned and the last tensor ends exactly at the end of the file.
    expect(f.dataOffset % f.alignment).toBe(0);
    const last = f.tensors.reduce((a, b) => (a.offset > b.offset ? a : b));
    expect(f.dataOffset + last.offset + last.byteSize).toBe(statSync(STORIES_260K).size);
    const norm = new Float32Array(f.readTensor(f.tensor("output_norm.weight")!).buffer.slice(0));
    expect(norm).toHaveLength(64);
    expect(norm.every((x) => Number.isFinite(x))).toBe(true);
    f.close();
  });
});

describe("GGUF writer -> reader round trip", () => {
  const metadata = new Map<string, GgufValue>([
    ["general.architecture", gv.str("llama")],
    ["u8", gv.u8(255)],
    ["i8", gv.i8(-128)],
    ["u16", gv.u16(65535)],
    ["i16", gv.i16(-32768)],
    ["u32", gv.u32(4294967295)],
    ["i32", gv.i32(-2147483648)],
    ["f32", gv.f32(1.5)],
    ["f64", gv.f64(Math.PI)],
    ["u64", gv.u64(2n ** 64n - 1n)],
    ["i64", gv.i64(-(2n ** 63n))],
    ["bool", gv.bool(true)],
    ["unicode", gv.str("héllo ▁世界 🎉")],
    ["empty", gv.str("")],
    ["strings", gv.strs(["a", "", "ü", "<0x0A>"])],
    ["floats", gv.f32s([0.5, -2, 1e-3])],
    ["ints", gv.i32s([1, -1, 7])],
    ["bools", gv.arr(GgufValueType.BOOL, [true, false, true])],
    ["u64s", gv.arr(GgufValueType.UINT64, BigUint64Array.of(1n, 2n ** 40n))],
    ["nested", gv.arr(GgufValueType.ARRAY, [gv.strs(["x", "y"]), gv.i32s([3])])],
    ["emptyArray", gv.arr(GgufValueType.INT32, new Int32Array(0))],
  ]);
  const a = Float32Array.from({ length: 96 }, (_, i) => i * 0.25 - 3);
  const b = Uint8Array.from({ length: 34 * 2 }, (_, i) => (i * 7) & 255);

  for (const version of [2, 3] as const) {
    for (const alignment of [32, 64]) {
      it(`version ${version}, alignment ${alignment}`, () => {
        const path = join(tmp.dir, `rt-${version}-${alignment}.gguf`);
        writeGguf(path, {
          version,
          alignment,
          metadata,
          tensors: [
            { name: "a", dims: [32, 3], type: GgmlType.F32, data: bytesOf(a) },
            { name: "b", dims: [64], type: GgmlType.Q8_0, data: b },
            { name: "zeros", dims: [5], type: GgmlType.F32 },
          ],
        });
        const f = GgufFile.open(path);
        expect(f.version).toBe(version);
        expect(f.alignment).toBe(alignment);
        for (const [k, v] of metadata) expect(f.metadata.get(k), k).toEqual(v);
        if (alignment !== 32) expect(f.getNumber("general.alignment")).toBe(alignment);
        expect(f.tensors.map((t) => t.name)).toEqual(["a", "b", "zeros"]);
        for (const t of f.tensors) expect(t.offset % alignment).toBe(0);
        expect(new Float32Array(f.readTensor(f.tensor("a")!).buffer.slice(0))).toEqual(a);
        expect(new Uint8Array(f.readTensor(f.tensor("b")!))).toEqual(b);
        expect(f.tensor("b")!.numElements).toBe(64);
        expect([...f.readTensor(f.tensor("zeros")!)]).toEqual(new Array(20).fill(0));
        f.close();
      });
    }
  }

  it("rejects tensor data of the wrong size", () => {
    expect(() =>
      writeGguf(join(tmp.dir, "bad.gguf"), { metadata, tensors: [{ name: "a", dims: [4], type: GgmlType.F32, data: new Uint8Array(8) }] }),
    ).toThrow(/expected 16/);
  });
});

describe("files larger than 4 GiB", () => {
  it("reads a tensor that lies beyond the 4 GiB mark (sparse file)", () => {
    const path = join(tmp.dir, "big.gguf");
    const big = 5 * 2 ** 30; // 5 GiB of zeros, left as a hole
    const tail = Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    writeGguf(path, {
      metadata: { "general.architecture": gv.str("llama") },
      tensors: [
        { name: "huge", dims: [big], type: GgmlType.I8 },
        { name: "tail", dims: [8], type: GgmlType.F32, data: bytesOf(tail) },
      ],
    });
    const f = GgufFile.open(path);
    expect(f.fileSize).toBeGreaterThan(2 ** 32);
    const t = f.tensor("tail")!;
    expect(f.dataOffset + t.offset).toBeGreaterThan(2 ** 32);
    expect(new Float32Array(f.readTensor(t).buffer.slice(0))).toEqual(tail);
    f.close();
  });
});

describe("bad files get clear errors", () => {
  const good = join(tmp.dir, "good.gguf");
  writeGguf(good, {
    metadata: { "general.architecture": gv.str("llama"), "some.key": gv.str("x".repeat(100)) },
    tensors: [{ name: "weights.tensor", dims: [64], type: GgmlType.F32, data: new Uint8Array(256) }],
  });
  const bytes = readFileSync(good);

  it("missing file", () => {
    expect(() => GgufFile.open(join(tmp.dir, "nope.gguf"))).toThrow(/nope\.gguf: no such file/);
  });
  it("not a GGUF file", () => {
    const p = join(tmp.dir, "text.gguf");
    writeFileSync(p, "this is not a model file at all, just some text");
    expect(() => GgufFile.open(p)).toThrow(/bad magic/);
  });
  it("empty file", () => {
    const p = join(tmp.dir, "empty.gguf");
    writeFileSync(p, "");
    expect(() => GgufFile.open(p)).toThrow(GgufError);
  });
  it("truncated in the tensor data", () => {
    const p = join(tmp.dir, "trunc-data.gguf");
    writeFileSync(p, bytes);
    truncateSync(p, bytes.length - 10);
    expect(() => GgufFile.open(p)).toThrow(/truncated: tensor weights\.tensor/);
  });
  it("truncated in the header", () => {
    const p = join(tmp.dir, "trunc-header.gguf");
    writeFileSync(p, bytes.subarray(0, 60));
    expect(() => GgufFile.open(p)).toThrow(/truncated|exceeds the file/);
  });
  it("unsupported version", () => {
    const p = join(tmp.dir, "v1.gguf");
    const copy = Buffer.from(bytes);
    copy.writeUInt32LE(1, 4);
    writeFileSync(p, copy);
    expect(() => GgufFile.open(p)).toThrow(/version 1 is not supported/);
  });
  it("a string length far beyond the file", () => {
    const p = join(tmp.dir, "hugestr.gguf");
    const copy = Buffer.from(bytes);
    copy.writeBigUInt64LE(2n ** 50n, 24); // length of the first metadata key
    writeFileSync(p, copy);
    expect(() => GgufFile.open(p)).toThrow(/exceeds the file/);
  });
  it("unknown tensor type names the tensor and the type", () => {
    const p = join(tmp.dir, "badtype.gguf");
    writeFileSync(p, bytes);
    const name = Buffer.from("weights.tensor");
    const at = bytes.indexOf(name) + name.length + 4 + 8; // name, n_dims, one dim
    const fd = openSync(p, "r+");
    const type = Buffer.alloc(4);
    type.writeUInt32LE(99);
    writeSync(fd, type, 0, 4, at);
    closeSync(fd);
    expect(() => GgufFile.open(p)).toThrow(/tensor weights\.tensor: unknown tensor type 99/);
  });
});
