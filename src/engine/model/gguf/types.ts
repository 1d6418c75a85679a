/** GGUF metadata value types (gguf.h `enum gguf_type`). */
export enum GgufValueType {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
}

/**
 * The payload of an array value. Numeric arrays are typed arrays (a 128k-entry score table stays
 * compact); arrays of arrays hold one `GgufArray` per element.
 */
export type GgufArrayItems =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array
  | BigUint64Array
  | BigInt64Array
  | boolean[]
  | string[]
  | GgufArray[];

export interface GgufArray {
  readonly type: GgufValueType.ARRAY;
  readonly itemType: GgufValueType;
  readonly value: GgufArrayItems;
}

export type GgufNumberType =
  | GgufValueType.UINT8
  | GgufValueType.INT8
  | GgufValueType.UINT16
  | GgufValueType.INT16
  | GgufValueType.UINT32
  | GgufValueType.INT32
  | GgufValueType.FLOAT32
  | GgufValueType.FLOAT64;

/** One metadata value together with the type it is stored as, so a file can be written back. */
export type GgufValue =
  | { readonly type: GgufNumberType; readonly value: number }
  | { readonly type: GgufValueType.UINT64 | GgufValueType.INT64; readonly value: bigint }
  | { readonly type: GgufValueType.BOOL; readonly value: boolean }
  | { readonly type: GgufValueType.STRING; readonly value: string }
  | GgufArray;

export interface GgufTensorInfo {
  readonly name: string;
  /** Extents, innermost first as in ggml (`ne[0]` is the row length). */
  readonly dims: readonly number[];
  /** A `GgmlType` number. */
  readonly type: number;
  /** Byte offset of the data from the start of the file's data section. */
  readonly offset: number;
  readonly numElements: number;
  readonly byteSize: number;
}

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian uint32
export const GGUF_DEFAULT_ALIGNMENT = 32;

export function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}
