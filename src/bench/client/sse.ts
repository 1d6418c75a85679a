/**
 * Incremental Server-Sent Events parser (the subset OpenAI-style streams use): text is pushed as
 * it arrives, in pieces cut anywhere; each complete event's `data` (its data lines joined by
 * "\n") comes out. Comments (":" lines) and other fields are ignored. Pure.
 */
export class SseParser {
  private buffer = "";
  private data: string[] = [];

  push(text: string): string[] {
    this.buffer += text;
    const events: string[] = [];
    let nl: number;
    while ((nl = this.buffer.indexOf("\n")) >= 0) {
      let line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      if (line.endsWith("\r")) line = line.slice(0, -1);
      this.line(line, events);
    }
    return events;
  }

  /** Ends the stream: a last event without its blank line still counts. */
  end(): string[] {
    const events: string[] = [];
    if (this.buffer !== "") this.line(this.buffer, events);
    this.buffer = "";
    this.line("", events);
    return events;
  }

  private line(line: string, events: string[]): void {
    if (line === "") {
      if (this.data.length > 0) events.push(this.data.join("\n"));
      this.data = [];
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    if (field !== "data") return;
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    this.data.push(value);
  }
}
