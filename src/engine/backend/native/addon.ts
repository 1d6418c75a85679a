import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/**
 * The compiled addon (`native/src`, built by node-gyp into build/Release) as TypeScript sees it.
 * Every method is synchronous and checks its arguments (lengths, ids, block tables) before
 * touching memory: a mistake throws instead of corrupting the process.
 */

/** Kernel tables, in increasing order of capability. */
export const NATIVE_ISAS = ["scalar", "avx2", "avx512", "avx512vnni", "amx"] as const;
export type NativeIsa = (typeof NATIVE_ISAS)[number];

export interface NativeRopeTable {
  readonly __brand: "NativeRopeTable";
}

/** Weights repacked into native memory for one context's kernels (see NativeContext.prepare). */
export interface NativePackedWeight {
  readonly byteSize: number;
}

/** One of the 5 arguments per matrix of NativeContext.matmulMany. */
export type MatmulManyArg = number | Uint8Array | Float32Array | NativePackedWeight | undefined;

export interface NativeContext {
  readonly isa: NativeIsa;
  readonly threads: number;
  /** The weights repacked for this context's kernels (a native-owned copy), or null when its kernels read them as they are. */
  prepare(type: number, w: Uint8Array, rows: number, cols: number): NativePackedWeight | null;
  matmul(
    type: number,
    w: Uint8Array,
    rows: number,
    cols: number,
    x: Float32Array,
    numTokens: number,
    out: Float32Array,
    prepared?: NativePackedWeight,
  ): void;
  /**
   * Several matmuls of one input x (numTokens, cols) in one call: after numTokens, 5 arguments per
   * matrix: type, w, rows, out, prepared (or undefined). Each output is bit for bit `matmul`'s;
   * outputs may not overlap x or each other. Absent from addons built before it.
   */
  matmulMany?(cols: number, x: Float32Array, numTokens: number, ...matrices: MatmulManyArg[]): void;
  /**
   * Gate and up (5 arguments each, as matmulMany's, same rows): gate's out = silu(x · gateᵀ) *
   * (x · upᵀ), up's out = x · upᵀ, bit for bit matmul, matmul, swiglu. Absent from addons built before it.
   */
  matmulSwiglu?(cols: number, x: Float32Array, numTokens: number, ...gateThenUp: MatmulManyArg[]): void;
  embed(type: number, w: Uint8Array, rows: number, cols: number, tokens: Int32Array, out: Float32Array): void;
  rmsNorm(x: Float32Array, weight: Float32Array, numRows: number, dim: number, eps: number, out: Float32Array): void;
  rope(x: Float32Array, positions: Int32Array, numHeads: number, headDim: number, ropeDim: number, neox: boolean, table: NativeRopeTable): void;
  swiglu(gate: Float32Array, up: Float32Array, n: number): void;
  addBias(x: Float32Array, bias: Float32Array, numRows: number): void;
  add(a: Float32Array, b: Float32Array, n: number): void;
  /** Each of numRows rows of n values, in place. */
  softmax(x: Float32Array, numRows: number, n: number): void;
  /** kvLayout: [numLayers, numBlocks, blockSize, numKvHeads, headDim, f16 ? 1 : 0] */
  writeKv(kv: ArrayBuffer, kvLayout: Int32Array, layer: number, k: Float32Array, v: Float32Array, slots: Int32Array): void;
  /** seqs: 5 numbers per sequence: tokenStart, numTokens, numCachedTokens, offset and length of its block table in blockTables. */
  attention(
    kv: ArrayBuffer,
    kvLayout: Int32Array,
    layer: number,
    q: Float32Array,
    numHeads: number,
    seqs: Int32Array,
    blockTables: Int32Array,
    scale: number,
    out: Float32Array,
  ): void;
  /** pairs: [src0, dst0, src1, dst1, ...] block ids */
  copyBlocks(kv: ArrayBuffer, kvLayout: Int32Array, pairs: Int32Array): void;
}

export interface NativeAddon {
  /** Instruction sets this CPU runs that the addon was compiled with, in increasing order. */
  supportedIsas(): NativeIsa[];
  /** `isaCap` "" picks the best supported table; otherwise the best one not above the cap. */
  NativeContext: new (threads: number, isaCap: string) => NativeContext;
  /** The reference quantizer ported to C++ (bit-exact; Q4_K only): dst gets src.length / 256 * 144 bytes. */
  quantize(type: number, src: Float32Array, dst: Uint8Array): void;
  /** Per-frequency inverse wavelengths (ropeDim / 2 of them); cos/sin are cached per position. */
  RopeTable: new (invFreq: Float64Array) => NativeRopeTable;
  PackedWeight: abstract new () => NativePackedWeight;
  /** Memory for weights: 2 MiB aligned and advised for transparent huge pages (contents undefined). */
  allocStreamed(bytes: number): ArrayBuffer;
}

export type AddonLoad = { readonly ok: true; readonly addon: NativeAddon } | { readonly ok: false; readonly reason: string };

/** build/Release next to package.json: four levels above this file in src/ and in dist/. */
export const ADDON_PATH = fileURLToPath(new URL("../../../../build/Release/flotilla_native.node", import.meta.url));

let cached: AddonLoad | undefined;

/** Loads the addon once; a missing or unloadable binary is a reason, not an exception. */
export function loadAddon(): AddonLoad {
  if (cached) return cached;
  try {
    const addon = createRequire(import.meta.url)(ADDON_PATH) as NativeAddon;
    cached = { ok: true, addon };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const reason =
      e.code === "MODULE_NOT_FOUND"
        ? `native addon not built (${ADDON_PATH} is missing; run \`npm run build:native\`, which needs g++, make and python3)`
        : `native addon failed to load: ${e.message}`;
    cached = { ok: false, reason };
  }
  return cached;
}
