/** Texts that exercise the corners of tokenizers: whitespace, scripts, byte fallback, special tokens. */
export const TRICKY_TEXTS: readonly string[] = [
  "",
  " ",
  "  ",
  "   leading spaces",
  "trailing spaces   ",
  "a  b   c    d     e",
  "\n",
  "\n\n\n",
  "\t",
  "tab\tseparated\t\tvalues\t",
  "line one\nline two\r\nline three\rend",
  " \n \n \t \n",
  "    Hello\n    Hello",
  "12345678901234567890",
  "3.14159 1,000,000 007 42nd 1st 0x1F",
  "🦙 llamas 🚀 (normal) 😶‍🌫️ (multiple emojis concatenated) ✅ 👍🏽",
  "flags 🇺🇸🇯🇵 and keycaps 1️⃣",
  "我想在apple工作1314151天～",
  "日本語のテキストとカタカナ",
  "한국어 텍스트입니다",
  "Ünïcödé façade naïve café crème brûlée Ærøskøbing",
  "e\u0301 combining a\u0308 marks n\u0303",
  "Привет, мир! Как дела?",
  "مرحبا بالعالم",
  "שלום עולם",
  "नमस्ते दुनिया",
  "สวัสดีชาวโลก",
  "function foo(x) {\n  return x * 2; // double\n}\n",
  'if (a != b && c <= d) { print("hi\\n"); }',
  "def f(*args, **kwargs):\n\treturn [i**2 for i in range(10)]  # squares",
  "<s>Hello</s>",
  "a <s> b </s> c <unk> d",
  "<|begin_of_text|>Hi<|eot_id|><|end_of_text|>",
  "<|im_start|>user\nhi there<|im_end|>\n<|im_start|>assistant\n",
  "</s> at start and <|endoftext|> inside",
  "[PAD151650] and [PAD151651]x",
  "I've been 'told he's there, 'RE you sure? 'M not sure I'll make it, 'D you like some tea? We'Ve a'lL",
  "Hello , world ! Is it ok ? yes . I 'm here , you 're there ' quoted ' ok it 's",
  "\u00a0nbsp\u2003em space\u3000ideographic\u2028line sep",
  "\u0085next line \ufeffbom a\u200bzero-width",
  "\u0001\u0002\u001f control \u007f del",
  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "============================== ------ ......",
  "''''''```````\"\"\"\"......!!!!!!??????",
  "https://example.com/path?q=1&r=two#frag user@example.org",
  "Mixed: The 3 quick 🦊 jumped 2x over 日本 dogs... naïve?!",
  "▁ already escaped ▁▁ spaces",
  "\u00ff\u0100 latin ext \u0120G",
];

/** Characters the random texts are drawn from (single code points and a few clusters). */
const POOL: readonly string[] = [
  ..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
  ..."      \t\n\r",
  ..."'\"`.,;:!?-_()[]{}<>/\\|@#$%^&*+=~",
  ..."éüñçøßÆœ",
  ..."日本語中文字한국",
  ..."Приветمرحباשלוםनमस्ते",
  "\u0301", "\u0308", "\u00a0", "\u2003", "\u3000", "\u0085", "\u200b", "\ufeff", "\u2581",
  "🦙", "🚀", "😶‍🌫️", "👍🏽", "🇺🇸", "𝔘",
  "'s", "'RE", "'ll", "'d", " '", "' ",
  "<s>", "</s>", "<|eot_id|>", "<|im_end|>", "<unk>",
];

/** Deterministic pseudo-random texts (mulberry32), so failures reproduce. */
export function randomTexts(count: number, seed: number, maxLength = 24): string[] {
  let s = seed >>> 0;
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const n = 1 + Math.floor(rand() * maxLength);
    let t = "";
    for (let k = 0; k < n; k++) t += POOL[Math.floor(rand() * POOL.length)];
    out.push(t);
  }
  return out;
}
