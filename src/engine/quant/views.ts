/**
 * Whole-buffer typed views, cached per ArrayBuffer so hot loops can read 16-bit words or write
 * 32-bit patterns without allocating a view per call. Index with (byteOffset >> shift); only valid
 * when that byte offset is a multiple of the element size (callers check and fall back to bytes).
 */

let u16Buf: ArrayBufferLike | null = null;
let u16: Uint16Array = new Uint16Array(0);
let u32Buf: ArrayBufferLike | null = null;
let u32: Uint32Array = new Uint32Array(0);

/** Uint16Array over all of `buffer` (cached for the most recent buffer). */
export function u16ViewOf(buffer: ArrayBufferLike): Uint16Array {
  if (u16Buf !== buffer || u16.length !== buffer.byteLength >>> 1) {
    u16Buf = buffer;
    u16 = new Uint16Array(buffer, 0, buffer.byteLength >>> 1);
  }
  return u16;
}

/** Uint32Array over all of `buffer` (cached for the most recent buffer). */
export function u32ViewOf(buffer: ArrayBufferLike): Uint32Array {
  if (u32Buf !== buffer || u32.length !== buffer.byteLength >>> 2) {
    u32Buf = buffer;
    u32 = new Uint32Array(buffer, 0, buffer.byteLength >>> 2);
  }
  return u32;
}

let f32Buf: ArrayBufferLike | null = null;
let f32: Float32Array = new Float32Array(0);

/** Float32Array over all of `buffer` (cached for the most recent buffer). */
export function f32ViewOf(buffer: ArrayBufferLike): Float32Array {
  if (f32Buf !== buffer || f32.length !== buffer.byteLength >>> 2) {
    f32Buf = buffer;
    f32 = new Float32Array(buffer, 0, buffer.byteLength >>> 2);
  }
  return f32;
}
