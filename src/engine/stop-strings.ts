/**
 * Finds stop strings in streamed text. Text that could still become the start of a stop string is
 * held back, so a stop string is never emitted (OpenAI semantics: the output ends just before it).
 */
export class StopStringMatcher {
  private held = "";
  private readonly maxLen: number;

  constructor(private readonly stops: readonly string[]) {
    this.maxLen = stops.reduce((m, s) => Math.max(m, s.length), 0);
  }

  /** Adds new text; returns what may be emitted now and whether a stop string was found. */
  push(text: string): { text: string; stopped: boolean } {
    if (this.stops.length === 0) return { text, stopped: false };
    this.held += text;
    let cut = -1;
    for (const s of this.stops) {
      const i = this.held.indexOf(s);
      if (i >= 0 && (cut < 0 || i < cut)) cut = i;
    }
    if (cut >= 0) {
      const out = this.held.slice(0, cut);
      this.held = "";
      return { text: out, stopped: true };
    }
    // Keep the longest tail that is a proper prefix of some stop string.
    let keep = 0;
    for (let k = Math.min(this.maxLen - 1, this.held.length); k > 0; k--) {
      const tail = this.held.slice(this.held.length - k);
      if (this.stops.some((s) => s.startsWith(tail))) {
        keep = k;
        break;
      }
    }
    const out = this.held.slice(0, this.held.length - keep);
    this.held = this.held.slice(this.held.length - keep);
    return { text: out, stopped: false };
  }

  /** The end of the stream: whatever was held is ordinary text. */
  flush(): string {
    const out = this.held;
    this.held = "";
    return out;
  }
}
