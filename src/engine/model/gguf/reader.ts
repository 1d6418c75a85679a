import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { ggmlByteSize, ggmlTypeTraits } from "../../quant/ggml-types.js";
import {
  alignUp,
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  type GgufArray,
  type GgufArrayItems,
  type GgufTensorInfo,
  type GgufValue,
  GgufValueType,
} from "./types.js";

/** A GGUF file that is missing, truncated, corrupt or of a kind this reader does not support. */
export class GgufError extends Error {
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = "GgufError";
  }
}

const CHUNK_BYTES = 1 << 20;
/** Largest single read; fs.readSync takes an int32 length. */
const MAX_READ_BYTES = 1 << 30;

/**
 * Buffered little-endian reader over a file descriptor. Positions are plain numbers: exact up to
 * 2^53 bytes, so files beyond 4 GiB are fine.
 */
class Cursor {
  pos = 0;
  private buf = Buffer.alloc(0);
  private bufStart = 0;

  constructor(
    private readonly fd: number,
    readonly fileSize: number,
    private readonly fail: (message: string) => never,
  ) {}

  private ensure(n: number): number {
    const rel = this.pos - this.bufStart;
    if (rel >= 0 && rel + n <= this.buf.length) return rel;
    if (this.pos + n > this.fileSize) {
      this.fail(`truncated: needs ${n} bytes at offset ${this.pos}, file has ${this.fileSize}`);
    }
    const len = Math.min(Math.max(n, CHUNK_BYTES), this.fileSize - this.pos);
    this.buf = Buffer.allocUnsafe(len);
    readFully(this.fd, this.buf, this.pos);
    this.bufStart = this.pos;
    return 0;
  }

  u8(): number {
    const r = this.ensure(1);
    this.pos += 1;
    return this.buf.readUInt8(r);
  }
  i8(): number {
    const r = this.ensure(1);
    this.pos += 1;
    return this.buf.readInt8(r);
  }
  u16(): number {
    const r = this.ensure(2);
    this.pos += 2;
    return this.buf.readUInt16LE(r);
  }
  i16(): number {
    const r = this.ensure(2);
    this.pos += 2;
    return this.buf.readInt16LE(r);
  }
  u32(): number {
    const r = this.ensure(4);
    this.pos += 4;
    return this.buf.readUInt32LE(r);
  }
  i32(): number {
    const r = this.ensure(4);
    this.pos += 4;
    return this.buf.readInt32LE(r);
  }
  f32(): number {
    const r = this.ensure(4);
    this.pos += 4;
    return this.buf.readFloatLE(r);
  }
  f64(): number {
    const r = this.ensure(8);
    this.pos += 8;
    return this.buf.readDoubleLE(r);
  }
  u64(): bigint {
    const r = this.ensure(8);
    this.pos += 8;
    return this.buf.readBigUInt64LE(r);
  }
  i64(): bigint {
    const r = this.ensure(8);
    this.pos += 8;
    return this.buf.readBigInt64LE(r);
  }
  /** A uint64 count or size that must fit in a JS number and in what is left of the file. */
  count(what: string, bytesPerItem: number): number {
    const v = this.u64();
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || Number(v) * bytesPerItem > this.fileSize - this.pos) {
      this.fail(`corrupt: ${what} of ${v} at offset ${this.pos - 8} exceeds the file`);
    }
    return Number(v);
  }
  str(): string {
    const len = this.count("string length", 1);
    const r = this.ensure(len);
    this.pos += len;
    return this.buf.toString("utf8", r, r + len);
  }
  bytes(n: number): Buffer {
    const r = this.ensure(n);
    this.pos += n;
    return this.buf.subarray(r, r + n);
  }
}

function readFully(fd: number, target: Uint8Array, position: number): void {
  let done = 0;
  while (done < target.length) {
    const len = Math.min(target.length - done, MAX_READ_BYTES);
    const n = readSync(fd, target, done, len, position + done);
    if (n <= 0) throw new Error(`unexpected end of file at offset ${position + done}`);
    done += n;
  }
}

const SCALAR_BYTES: Partial<Record<GgufValueType, number>> = {
  [GgufValueType.UINT8]: 1,
  [GgufValueType.INT8]: 1,
  [GgufValueType.UINT16]: 2,
  [GgufValueType.INT16]: 2,
  [GgufValueType.UINT32]: 4,
  [GgufValueType.INT32]: 4,
  [GgufValueType.FLOAT32]: 4,
  [GgufValueType.BOOL]: 1,
  [GgufValueType.UINT64]: 8,
  [GgufValueType.INT64]: 8,
  [GgufValueType.FLOAT64]: 8,
};

/**
 * A GGUF file (versions 2 and 3, little-endian): metadata and tensor infos are parsed when it is
 * opened; tensor data is read on demand, one tensor at a time, into a buffer of its own, so a
 * model is held in memory once and files larger than 4 GiB load.
 */
export class GgufFile {
  readonly version: number;
  readonly metadata: ReadonlyMap<string, GgufValue>;
  readonly tensors: readonly GgufTensorInfo[];
  readonly alignment: number;
  /** Absolute file offset of the tensor data section. */
  readonly dataOffset: number;
  readonly fileSize: number;
  private readonly byName: Map<string, GgufTensorInfo>;
  private fd: number | null;

  private constructor(
    readonly path: string,
    fd: number,
    parsed: {
      version: number;
      metadata: Map<string, GgufValue>;
      tensors: GgufTensorInfo[];
      alignment: number;
      dataOffset: number;
      fileSize: number;
    },
  ) {
    this.fd = fd;
    this.version = parsed.version;
    this.metadata = parsed.metadata;
    this.tensors = parsed.tensors;
    this.alignment = parsed.alignment;
    this.dataOffset = parsed.dataOffset;
    this.fileSize = parsed.fileSize;
    this.byName = new Map(parsed.tensors.map((t) => [t.name, t]));
  }

  static open(path: string): GgufFile {
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new GgufError(path, code === "ENOENT" ? "no such file" : `cannot open (${code ?? String(e)})`);
    }
    try {
      const stat = fstatSync(fd);
      if (!stat.isFile()) throw new GgufError(path, "not a regular file");
      return new GgufFile(path, fd, parse(path, fd, stat.size));
    } catch (e) {
      closeSync(fd);
      if (e instanceof GgufError) throw e;
      throw new GgufError(path, e instanceof Error ? e.message : String(e));
    }
  }

  tensor(name: string): GgufTensorInfo | undefined {
    return this.byName.get(name);
  }

  /**
   * The raw bytes of one tensor, in a fresh buffer of exactly `byteSize` bytes (from `allocate`,
   * e.g. a backend's own memory for weights).
   */
  readTensor(info: GgufTensorInfo, allocate: (byteSize: number) => Buffer = Buffer.allocUnsafeSlow): Buffer {
    if (this.fd === null) throw new GgufError(this.path, "file is closed");
    const buf = allocate(info.byteSize);
    if (buf.length !== info.byteSize) throw new RangeError(`tensor ${info.name}: the allocator gave ${buf.length} bytes for ${info.byteSize}`);
    readFully(this.fd, buf, this.dataOffset + info.offset);
    return buf;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  // Typed metadata accessors. `undefined` when absent; an error when present with another type.
  getString(key: string): string | undefined {
    const v = this.metadata.get(key);
    if (v === undefined) return undefined;
    if (v.type !== GgufValueType.STRING) throw new GgufError(this.path, `metadata ${key} is not a string`);
    return v.value;
  }

  getNumber(key: string): number | undefined {
    const v = this.metadata.get(key);
    if (v === undefined) return undefined;
    if (typeof v.value === "number") return v.value;
    if (typeof v.value === "bigint") return Number(v.value);
    throw new GgufError(this.path, `metadata ${key} is not a number`);
  }

  getBool(key: string): boolean | undefined {
    const v = this.metadata.get(key);
    if (v === undefined) return undefined;
    if (v.type !== GgufValueType.BOOL) throw new GgufError(this.path, `metadata ${key} is not a bool`);
    return v.value;
  }

  getArray(key: string): GgufArray | undefined {
    const v = this.metadata.get(key);
    if (v === undefined) return undefined;
    if (v.type !== GgufValueType.ARRAY) throw new GgufError(this.path, `metadata ${key} is not an array`);
    return v;
  }

  getStringArray(key: string): string[] | undefined {
    const v = this.getArray(key);
    if (v === undefined) return undefined;
    if (v.itemType !== GgufValueType.STRING) throw new GgufError(this.path, `metadata ${key} is not an array of strings`);
    return v.value as string[];
  }

  /** A numeric array as float64 values (exact for every 32-bit type). */
  getNumberArray(key: string): Float64Array | undefined {
    const v = this.getArray(key);
    if (v === undefined) return undefined;
    const items = v.value;
    if (Array.isArray(items)) throw new GgufError(this.path, `metadata ${key} is not a numeric array`);
    const out = new Float64Array(items.length);
    for (let i = 0; i < items.length; i++) out[i] = Number(items[i]);
    return out;
  }
}

function parse(path: string, fd: number, fileSize: number) {
  const fail = (message: string): never => {
    throw new GgufError(path, message);
  };
  const c = new Cursor(fd, fileSize, fail);
  if (fileSize < 24) fail(`not a GGUF file (only ${fileSize} bytes)`);
  const magic = c.u32();
  if (magic !== GGUF_MAGIC) fail("not a GGUF file (bad magic)");
  const version = c.u32();
  if (version === 1) fail("GGUF version 1 is not supported (convert the model again)");
  if (version !== 2 && version !== 3) {
    if ((version & 0xffff) === 0 && version !== 0) fail("big-endian GGUF files are not supported");
    fail(`unsupported GGUF version ${version}`);
  }
  const numTensors = c.count("tensor count", 8);
  const numKv = c.count("metadata count", 8);

  const metadata = new Map<string, GgufValue>();
  for (let i = 0; i < numKv; i++) {
    const key = c.str();
    const type = c.u32();
    const value = readValue(c, type, fail, 0);
    if (metadata.has(key)) fail(`duplicate metadata key ${key}`);
    metadata.set(key, value);
  }

  let alignment = GGUF_DEFAULT_ALIGNMENT;
  const a = metadata.get("general.alignment");
  if (a !== undefined) {
    if (a.type !== GgufValueType.UINT32 || a.value === 0 || (a.value & (a.value - 1)) !== 0) {
      fail("general.alignment must be a power-of-two uint32");
    }
    alignment = a.value as number;
  }

  const tensors: GgufTensorInfo[] = [];
  const names = new Set<string>();
  for (let i = 0; i < numTensors; i++) {
    const name = c.str();
    if (names.has(name)) fail(`duplicate tensor ${name}`);
    names.add(name);
    const nDims = c.u32();
    if (nDims < 1 || nDims > 4) fail(`tensor ${name}: ${nDims} dimensions (1 to 4 allowed)`);
    const dims: number[] = [];
    let numElements = 1;
    for (let d = 0; d < nDims; d++) {
      const n = c.u64();
      if (n > BigInt(Number.MAX_SAFE_INTEGER)) fail(`tensor ${name}: dimension ${n} is too large`);
      dims.push(Number(n));
      numElements *= Number(n);
    }
    const type = c.u32();
    const traits = ggmlTypeTraits(type);
    if (!traits) fail(`tensor ${name}: unknown tensor type ${type}`);
    if (dims[0]! % traits!.blockSize !== 0) {
      fail(`tensor ${name}: row length ${dims[0]} is not a multiple of the ${traits!.name} block size ${traits!.blockSize}`);
    }
    const offsetBig = c.u64();
    if (offsetBig > BigInt(Number.MAX_SAFE_INTEGER)) fail(`tensor ${name}: offset too large`);
    const offset = Number(offsetBig);
    if (offset % alignment !== 0) fail(`tensor ${name}: offset ${offset} is not aligned to ${alignment}`);
    tensors.push({ name, dims, type, offset, numElements, byteSize: ggmlByteSize(type, numElements) });
  }

  const dataOffset = alignUp(c.pos, alignment);
  for (const t of tensors) {
    const end = dataOffset + t.offset + t.byteSize;
    if (end > fileSize) {
      fail(`truncated: tensor ${t.name} ends at byte ${end} but the file has ${fileSize} bytes`);
    }
  }
  return { version, metadata, tensors, alignment, dataOffset, fileSize };
}

function readValue(c: Cursor, type: number, fail: (m: string) => never, depth: number): GgufValue {
  switch (type) {
    case GgufValueType.UINT8:
      return { type, value: c.u8() };
    case GgufValueType.INT8:
      return { type, value: c.i8() };
    case GgufValueType.UINT16:
      return { type, value: c.u16() };
    case GgufValueType.INT16:
      return { type, value: c.i16() };
    case GgufValueType.UINT32:
      return { type, value: c.u32() };
    case GgufValueType.INT32:
      return { type, value: c.i32() };
    case GgufValueType.FLOAT32:
      return { type, value: c.f32() };
    case GgufValueType.FLOAT64:
      return { type, value: c.f64() };
    case GgufValueType.UINT64:
      return { type, value: c.u64() };
    case GgufValueType.INT64:
      return { type, value: c.i64() };
    case GgufValueType.BOOL: {
      const b = c.u8();
      if (b > 1) fail(`corrupt bool value ${b} at offset ${c.pos - 1}`);
      return { type, value: b === 1 };
    }
    case GgufValueType.STRING:
      return { type, value: c.str() };
    case GgufValueType.ARRAY: {
      if (depth > 8) fail("arrays nested too deeply");
      const itemType = c.u32();
      const n = c.count("array length", SCALAR_BYTES[itemType as GgufValueType] ?? 8);
      return { type, itemType, value: readArrayItems(c, itemType, n, fail, depth) };
    }
    default:
      return fail(`unknown metadata value type ${type} at offset ${c.pos - 4}`);
  }
}

function readArrayItems(c: Cursor, itemType: number, n: number, fail: (m: string) => never, depth: number): GgufArrayItems {
  const typed = <T extends { set(a: ArrayLike<number | bigint>): void }>(
    ctor: new (buf: ArrayBuffer, off: number, len: number) => T,
    bytes: number,
  ): T => {
    // Copy into an aligned buffer of its own: the file position need not be aligned.
    const raw = c.bytes(n * bytes);
    const copy = new Uint8Array(n * bytes);
    copy.set(raw);
    return new ctor(copy.buffer, 0, n);
  };
  switch (itemType) {
    case GgufValueType.UINT8:
      return typed(Uint8Array, 1);
    case GgufValueType.INT8:
      return typed(Int8Array, 1);
    case GgufValueType.UINT16:
      return typed(Uint16Array, 2);
    case GgufValueType.INT16:
      return typed(Int16Array, 2);
    case GgufValueType.UINT32:
      return typed(Uint32Array, 4);
    case GgufValueType.INT32:
      return typed(Int32Array, 4);
    case GgufValueType.FLOAT32:
      return typed(Float32Array, 4);
    case GgufValueType.FLOAT64:
      return typed(Float64Array, 8);
    case GgufValueType.UINT64:
      return typed(BigUint64Array, 8);
    case GgufValueType.INT64:
      return typed(BigInt64Array, 8);
    case GgufValueType.BOOL: {
      const out: boolean[] = new Array<boolean>(n);
      for (let i = 0; i < n; i++) out[i] = c.u8() !== 0;
      return out;
    }
    case GgufValueType.STRING: {
      const out: string[] = new Array<string>(n);
      for (let i = 0; i < n; i++) out[i] = c.str();
      return out;
    }
    case GgufValueType.ARRAY: {
      const out: GgufArray[] = new Array<GgufArray>(n);
      for (let i = 0; i < n; i++) out[i] = readValue(c, GgufValueType.ARRAY, fail, depth + 1) as GgufArray;
      return out;
    }
    default:
      return fail(`unknown array item type ${itemType} at offset ${c.pos}`);
  }
}
