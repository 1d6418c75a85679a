import { closeSync, ftruncateSync, openSync, writeSync } from "node:fs";
import { ggmlByteSize } from "../../quant/ggml-types.js";
import {
  alignUp,
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  type GgufArray,
  type GgufArrayItems,
  type GgufValue,
  GgufValueType,
} from "./types.js";

export interface GgufTensorSpec {
  readonly name: string;
  /** Extents, innermost first (`dims[0]` is the row length). */
  readonly dims: readonly number[];
  /** A `GgmlType` number. */
  readonly type: number;
  /** Exactly the tensor's bytes; omitted means all zeros (left as a hole: sparse on disk). */
  readonly data?: Uint8Array;
}

export interface GgufWriteOptions {
  readonly version?: 2 | 3;
  readonly alignment?: number;
  readonly metadata: ReadonlyMap<string, GgufValue> | Readonly<Record<string, GgufValue>>;
  readonly tensors: readonly GgufTensorSpec[];
}

/** Constructors for typed metadata values. */
export const gv = {
  u8: (value: number): GgufValue => ({ type: GgufValueType.UINT8, value }),
  i8: (value: number): GgufValue => ({ type: GgufValueType.INT8, value }),
  u16: (value: number): GgufValue => ({ type: GgufValueType.UINT16, value }),
  i16: (value: number): GgufValue => ({ type: GgufValueType.INT16, value }),
  u32: (value: number): GgufValue => ({ type: GgufValueType.UINT32, value }),
  i32: (value: number): GgufValue => ({ type: GgufValueType.INT32, value }),
  f32: (value: number): GgufValue => ({ type: GgufValueType.FLOAT32, value }),
  f64: (value: number): GgufValue => ({ type: GgufValueType.FLOAT64, value }),
  u64: (value: bigint): GgufValue => ({ type: GgufValueType.UINT64, value }),
  i64: (value: bigint): GgufValue => ({ type: GgufValueType.INT64, value }),
  bool: (value: boolean): GgufValue => ({ type: GgufValueType.BOOL, value }),
  str: (value: string): GgufValue => ({ type: GgufValueType.STRING, value }),
  arr: (itemType: GgufValueType, value: GgufArrayItems): GgufArray => ({ type: GgufValueType.ARRAY, itemType, value }),
  strs: (value: string[]): GgufArray => ({ type: GgufValueType.ARRAY, itemType: GgufValueType.STRING, value }),
  f32s: (value: ArrayLike<number>): GgufArray => ({
    type: GgufValueType.ARRAY,
    itemType: GgufValueType.FLOAT32,
    value: Float32Array.from(value),
  }),
  i32s: (value: ArrayLike<number>): GgufArray => ({
    type: GgufValueType.ARRAY,
    itemType: GgufValueType.INT32,
    value: Int32Array.from(value),
  }),
} as const;

/** Serialises the header (magic, counts, metadata, tensor infos) into byte chunks. */
class HeaderBuilder {
  private readonly chunks: Buffer[] = [];
  length = 0;

  private push(b: Buffer): void {
    this.chunks.push(b);
    this.length += b.length;
  }
  u8(v: number): void {
    const b = Buffer.allocUnsafe(1);
    b.writeUInt8(v);
    this.push(b);
  }
  u32(v: number): void {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  u64(v: number | bigint): void {
    const b = Buffer.allocUnsafe(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  str(s: string): void {
    const bytes = Buffer.from(s, "utf8");
    this.u64(bytes.length);
    this.push(bytes);
  }
  raw(view: ArrayBufferView): void {
    this.push(Buffer.from(view.buffer, view.byteOffset, view.byteLength));
  }
  value(v: GgufValue): void {
    this.u32(v.type);
    this.payload(v);
  }
  private payload(v: GgufValue): void {
    const b = Buffer.allocUnsafe(8);
    switch (v.type) {
      case GgufValueType.UINT8: b.writeUInt8(v.value); this.push(b.subarray(0, 1)); return;
      case GgufValueType.INT8: b.writeInt8(v.value); this.push(b.subarray(0, 1)); return;
      case GgufValueType.UINT16: b.writeUInt16LE(v.value); this.push(b.subarray(0, 2)); return;
      case GgufValueType.INT16: b.writeInt16LE(v.value); this.push(b.subarray(0, 2)); return;
      case GgufValueType.UINT32: b.writeUInt32LE(v.value); this.push(b.subarray(0, 4)); return;
      case GgufValueType.INT32: b.writeInt32LE(v.value); this.push(b.subarray(0, 4)); return;
      case GgufValueType.FLOAT32: b.writeFloatLE(v.value); this.push(b.subarray(0, 4)); return;
      case GgufValueType.FLOAT64: b.writeDoubleLE(v.value); this.push(b); return;
      case GgufValueType.UINT64: b.writeBigUInt64LE(v.value); this.push(b); return;
      case GgufValueType.INT64: b.writeBigInt64LE(v.value); this.push(b); return;
      case GgufValueType.BOOL: this.u8(v.value ? 1 : 0); return;
      case GgufValueType.STRING: this.str(v.value); return;
      case GgufValueType.ARRAY: this.array(v); return;
    }
  }
  private array(v: GgufArray): void {
    this.u32(v.itemType);
    const items = v.value;
    this.u64(items.length);
    if (!Array.isArray(items)) {
      this.raw(items); // typed arrays are already little-endian on every platform Node runs on
      return;
    }
    for (const item of items as readonly (string | boolean | GgufArray)[]) {
      if (typeof item === "string") this.str(item);
      else if (typeof item === "boolean") this.u8(item ? 1 : 0);
      else this.array(item);
    }
  }
  concat(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}

/**
 * Writes a GGUF file. Tensor data is laid out in the given order, each tensor aligned; the header
 * is written in one piece and each tensor's bytes with one positional write.
 */
export function writeGguf(path: string, options: GgufWriteOptions): void {
  const version = options.version ?? 3;
  const alignment = options.alignment ?? GGUF_DEFAULT_ALIGNMENT;
  const entries =
    options.metadata instanceof Map
      ? [...(options.metadata as ReadonlyMap<string, GgufValue>).entries()]
      : Object.entries(options.metadata as Record<string, GgufValue>);
  if (alignment !== GGUF_DEFAULT_ALIGNMENT && !entries.some(([k]) => k === "general.alignment")) {
    entries.push(["general.alignment", gv.u32(alignment)]);
  }

  const h = new HeaderBuilder();
  h.u32(GGUF_MAGIC);
  h.u32(version);
  h.u64(options.tensors.length);
  h.u64(entries.length);
  for (const [key, value] of entries) {
    h.str(key);
    h.value(value);
  }
  const offsets: number[] = [];
  let dataSize = 0;
  for (const t of options.tensors) {
    const numElements = t.dims.reduce((a, b) => a * b, 1);
    const byteSize = ggmlByteSize(t.type, numElements);
    if (t.data && t.data.byteLength !== byteSize) {
      throw new Error(`tensor ${t.name}: data has ${t.data.byteLength} bytes, expected ${byteSize}`);
    }
    h.str(t.name);
    h.u32(t.dims.length);
    for (const d of t.dims) h.u64(d);
    h.u32(t.type);
    h.u64(dataSize);
    offsets.push(dataSize);
    dataSize = alignUp(dataSize + byteSize, alignment);
  }
  const header = h.concat();
  const dataOffset = alignUp(header.length, alignment);

  const fd = openSync(path, "w");
  try {
    writeSync(fd, header, 0, header.length, 0);
    options.tensors.forEach((t, i) => {
      if (!t.data) return;
      let done = 0;
      while (done < t.data.byteLength) {
        done += writeSync(fd, t.data, done, Math.min(t.data.byteLength - done, 1 << 30), dataOffset + offsets[i]! + done);
      }
    });
    ftruncateSync(fd, dataOffset + dataSize);
  } finally {
    closeSync(fd);
  }
}
