/** Token attribute bits, as llama.cpp's `llama_token_attr`. */
export const ATTR_UNDEFINED = 0;
export const ATTR_UNKNOWN = 1 << 0;
export const ATTR_UNUSED = 1 << 1;
export const ATTR_NORMAL = 1 << 2;
export const ATTR_CONTROL = 1 << 3;
export const ATTR_USER_DEFINED = 1 << 4;
export const ATTR_BYTE = 1 << 5;
/** Strip whitespace to the left of the token when it is split out of text. */
export const ATTR_LSTRIP = 1 << 7;
/** Strip whitespace to the right of the token when it is split out of text. */
export const ATTR_RSTRIP = 1 << 8;

/** Control and unknown tokens: hidden when decoding without special tokens, kept in text unless parsing special. */
export const ATTR_SPECIAL = ATTR_UNKNOWN | ATTR_CONTROL;

/** `tokenizer.ggml.token_type` value (gguf `llama_token_type`) -> attribute. */
export function attrFromTokenType(type: number): number {
  switch (type) {
    case 1:
      return ATTR_NORMAL;
    case 2:
      return ATTR_UNKNOWN;
    case 3:
      return ATTR_CONTROL;
    case 4:
      return ATTR_USER_DEFINED;
    case 5:
      return ATTR_UNUSED;
    case 6:
      return ATTR_BYTE;
    default:
      return ATTR_UNDEFINED;
  }
}
