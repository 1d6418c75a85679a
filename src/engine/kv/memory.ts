/** Element type of the K/V cache (matches the backend's KvDtype). */
export type KvCacheDtype = "f16" | "f32";

/** What one KV block costs in memory: K and V for every layer. */
export interface KvBlockLayout {
  readonly numLayers: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  /** Tokens per block. */
  readonly blockSize: number;
  readonly dtype: KvCacheDtype;
}

const BYTES_PER_ELEMENT: Record<KvCacheDtype, number> = { f16: 2, f32: 4 };

/** Bytes of one block: 2 (K and V) * numLayers * blockSize * numKvHeads * headDim * bytes per element. */
export function kvBytesPerBlock(layout: KvBlockLayout): number {
  for (const field of ["numLayers", "numKvHeads", "headDim", "blockSize"] as const) {
    const value = layout[field];
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${field} must be a positive integer, got ${value}`);
  }
  const bytesPerElement = BYTES_PER_ELEMENT[layout.dtype];
  if (bytesPerElement === undefined) throw new RangeError(`dtype must be "f16" or "f32", got ${JSON.stringify(layout.dtype)}`);
  return 2 * layout.numLayers * layout.blockSize * layout.numKvHeads * layout.headDim * bytesPerElement;
}

/** How many whole blocks fit in `numBytes` of KV memory (0 when not even one fits). */
export function numBlocksForMemory(numBytes: number, layout: KvBlockLayout): number {
  if (!Number.isSafeInteger(numBytes) || numBytes < 0) throw new RangeError(`numBytes must be a non-negative integer, got ${numBytes}`);
  return Math.floor(numBytes / kvBytesPerBlock(layout));
}

/** Decimal (SI) and binary (IEC) units; matched case-insensitively, so "gib" and "GiB" agree. */
const BYTES_PER_UNIT: ReadonlyMap<string, number> = new Map([
  ["", 1],
  ["b", 1],
  ["kb", 1e3],
  ["mb", 1e6],
  ["gb", 1e9],
  ["tb", 1e12],
  ["kib", 2 ** 10],
  ["mib", 2 ** 20],
  ["gib", 2 ** 30],
  ["tib", 2 ** 40],
]);

const SIZE_PATTERN = /^(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)$/i;

/** A memory size string is malformed; the message says what is accepted. */
export class ByteSizeError extends Error {
  constructor(readonly input: string, reason: string) {
    super(`invalid size ${JSON.stringify(input)}: ${reason} (examples: "2GiB", "512MiB", "1.5GB", "1000000")`);
    this.name = "ByteSizeError";
  }
}

/**
 * Parses a memory size: a non-negative decimal number, optionally followed by a unit
 * B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024); no unit means bytes.
 * Fractions are allowed with a unit and rounded down to whole bytes ("1.5KiB" = 1536).
 */
export function parseByteSize(input: string): number {
  const match = SIZE_PATTERN.exec(input.trim());
  if (match === null) throw new ByteSizeError(input, "expected a number and an optional unit");
  const numberText = match[1]!;
  const unitText = match[2] ?? "";
  const bytesPerUnit = BYTES_PER_UNIT.get(unitText.toLowerCase());
  if (bytesPerUnit === undefined) {
    throw new ByteSizeError(input, `unknown unit ${JSON.stringify(unitText)}; use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB`);
  }
  const numBytes = Math.floor(Number(numberText) * bytesPerUnit);
  if (!Number.isSafeInteger(numBytes)) throw new ByteSizeError(input, "too large");
  return numBytes;
}
