import { ATTR_LSTRIP, ATTR_RSTRIP, ATTR_SPECIAL } from "./token-attr.js";

/** A piece of input: raw text still to tokenize, or a special token already split out. */
export type Fragment = { readonly text: string } | { readonly token: number };

/** C isspace: what llama.cpp strips next to tokens with the lstrip/rstrip attribute. */
const isSpace = (c: string) => c === " " || c === "\t" || c === "\n" || c === "\v" || c === "\f" || c === "\r";

/**
 * Splits special tokens out of text, as llama.cpp's `tokenizer_st_partition`: each special token,
 * longest first, is cut out of every text fragment still left, left to right. User-defined tokens
 * are always cut out; control and unknown tokens only when `parseSpecial`.
 */
export function partition(
  text: string,
  order: readonly number[],
  texts: readonly string[],
  attrs: Uint16Array,
  parseSpecial: boolean,
): Fragment[] {
  if (text === "") return [];
  let frags: Fragment[] = [{ text }];
  for (const id of order) {
    const attr = attrs[id]!;
    if (!parseSpecial && attr & ATTR_SPECIAL) continue;
    const needle = texts[id]!;
    let next: Fragment[] | null = null;
    for (let f = 0; f < frags.length; f++) {
      const frag = frags[f]!;
      if (!("text" in frag) || !frag.text.includes(needle)) {
        next?.push(frag);
        continue;
      }
      next ??= frags.slice(0, f);
      const s = frag.text;
      let from = 0;
      for (;;) {
        const at = s.indexOf(needle, from);
        if (at === -1) {
          if (from < s.length) next.push({ text: s.slice(from) });
          break;
        }
        let leftEnd = at;
        if (attr & ATTR_LSTRIP) while (leftEnd > from && isSpace(s[leftEnd - 1]!)) leftEnd--;
        if (leftEnd > from) next.push({ text: s.slice(from, leftEnd) });
        next.push({ token: id });
        from = at + needle.length;
        if (attr & ATTR_RSTRIP) while (from < s.length && isSpace(s[from]!)) from++;
      }
    }
    if (next) frags = next;
  }
  return frags;
}
