/**
 * A parser for the Prometheus text exposition format (0.0.4): the `# TYPE` lines and the
 * samples; HELP lines, timestamps and exemplars are skipped. Pure.
 */

export interface PromSample {
  /** Full sample name, e.g. `vllm:time_to_first_token_seconds_bucket`. */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface PromScrape {
  readonly samples: readonly PromSample[];
  /** Metric family name -> type ("counter", "histogram", ...). */
  readonly types: ReadonlyMap<string, string>;
}

export function parsePrometheus(text: string): PromScrape {
  const samples: PromSample[] = [];
  const types = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "") continue;
    if (line.startsWith("#")) {
      const m = /^#\s+TYPE\s+(\S+)\s+(\S+)/.exec(line);
      if (m) types.set(m[1]!, m[2]!);
      continue;
    }
    samples.push(parseSampleLine(line, i + 1));
  }
  return { samples, types };
}

function parseSampleLine(line: string, lineNo: number): PromSample {
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
  if (!nameMatch) throw new Error(`metrics line ${lineNo}: no metric name in ${JSON.stringify(line.slice(0, 80))}`);
  const name = nameMatch[0];
  let pos = name.length;
  const labels: Record<string, string> = {};
  if (line[pos] === "{") {
    pos++;
    for (;;) {
      while (line[pos] === " " || line[pos] === ",") pos++;
      if (line[pos] === "}") {
        pos++;
        break;
      }
      const lm = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(pos));
      if (!lm) throw new Error(`metrics line ${lineNo}: bad label in ${JSON.stringify(line.slice(0, 120))}`);
      pos += lm[0].length;
      while (line[pos] === " ") pos++;
      if (line[pos] !== "=" || line[pos + 1] !== '"') throw new Error(`metrics line ${lineNo}: expected ="..." after label ${lm[0]}`);
      pos += 2;
      let value = "";
      for (;;) {
        const c = line[pos];
        if (c === undefined) throw new Error(`metrics line ${lineNo}: unterminated label value`);
        pos++;
        if (c === '"') break;
        if (c === "\\") {
          const e = line[pos++];
          value += e === "n" ? "\n" : e ?? "";
        } else {
          value += c;
        }
      }
      labels[lm[0]] = value;
    }
  }
  const rest = line.slice(pos).trim().split(/\s+/);
  const value = parseValue(rest[0] ?? "");
  if (Number.isNaN(value) && rest[0] !== "NaN") throw new Error(`metrics line ${lineNo}: bad value ${JSON.stringify(rest[0])}`);
  return { name, labels, value };
}

function parseValue(s: string): number {
  if (s === "+Inf") return Infinity;
  if (s === "-Inf") return -Infinity;
  return s === "" ? NaN : Number(s);
}

/** Sum of a sample name's values over all label sets matching `where`; null when absent. */
export function sumSamples(scrape: PromScrape, name: string, where: (labels: Readonly<Record<string, string>>) => boolean = () => true): number | null {
  let found = false;
  let total = 0;
  for (const s of scrape.samples) {
    if (s.name !== name || !where(s.labels)) continue;
    found = true;
    total += s.value;
  }
  return found ? total : null;
}

/** A histogram summed over its label sets (except `le`): cumulative bucket counts by bound, sum, count. */
export interface Histogram {
  /** Ascending upper bounds (the last is +Inf) with cumulative counts. */
  readonly buckets: ReadonlyArray<{ readonly le: number; readonly count: number }>;
  readonly sum: number;
  readonly count: number;
}

export function histogram(scrape: PromScrape, family: string): Histogram | null {
  const byLe = new Map<number, number>();
  for (const s of scrape.samples) {
    if (s.name !== `${family}_bucket` || s.labels.le === undefined) continue;
    const le = parseValue(s.labels.le);
    byLe.set(le, (byLe.get(le) ?? 0) + s.value);
  }
  const sum = sumSamples(scrape, `${family}_sum`);
  const count = sumSamples(scrape, `${family}_count`);
  if (byLe.size === 0 || sum === null || count === null) return null;
  const buckets = [...byLe.entries()].sort((a, b) => a[0] - b[0]).map(([le, c]) => ({ le, count: c }));
  return { buckets, sum, count };
}

/** after - before, bucket by bucket (the run's own observations); before may be null (fresh server). */
export function histogramDelta(after: Histogram, before: Histogram | null): Histogram {
  if (!before) return after;
  const prev = new Map(before.buckets.map((b) => [b.le, b.count]));
  return {
    buckets: after.buckets.map((b) => ({ le: b.le, count: b.count - (prev.get(b.le) ?? 0) })),
    sum: after.sum - before.sum,
    count: after.count - before.count,
  };
}

/**
 * The q-quantile (0..1) of a histogram as Prometheus' `histogram_quantile` estimates it: linear
 * interpolation inside the bucket holding the rank; the lowest bucket starts at 0, and a rank in
 * the +Inf bucket gives the highest finite bound. Null for an empty histogram.
 */
export function histogramQuantile(h: Histogram, q: number): number | null {
  const total = h.buckets.length > 0 ? h.buckets[h.buckets.length - 1]!.count : 0;
  if (total <= 0) return null;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of h.buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return prevLe;
      const inBucket = b.count - prevCount;
      return inBucket > 0 ? prevLe + ((b.le - prevLe) * (rank - prevCount)) / inBucket : b.le;
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}
