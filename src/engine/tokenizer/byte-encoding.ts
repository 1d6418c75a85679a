/**
 * GPT-2's reversible byte <-> character mapping: byte-level BPE vocabularies spell every byte as
 * one printable character, so token texts never hold raw control bytes or spaces. Printable
 * Latin-1 bytes (`!`..`~`, `¡`..`¬`, `®`..`ÿ`) stand for themselves; the other 68 bytes are
 * numbered in order from U+0100 upwards (space 0x20 becomes `Ġ` U+0120).
 */

function buildByteToChar(): string[] {
  const map = new Array<string>(256);
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let next = 256;
  for (let b = 0; b < 256; b++) map[b] = String.fromCharCode(printable(b) ? b : next++);
  return map;
}

/** Byte -> its one-character spelling (always a single UTF-16 code unit). */
export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

const CHAR_TO_BYTE: ReadonlyMap<number, number> = new Map(BYTE_TO_CHAR.map((ch, b) => [ch.charCodeAt(0), b]));

/** The byte a character stands for, or undefined for characters outside the mapping. */
export function charToByte(code: number): number | undefined {
  return CHAR_TO_BYTE.get(code);
}

/** The byte-level spelling of UTF-8 bytes: one character per byte. */
export function bytesToChars(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += BYTE_TO_CHAR[bytes[i]!];
  return s;
}
