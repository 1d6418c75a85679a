/**
 * Time series of fixed-width bins that coarsen as the run grows: when a value lands beyond the
 * last bin, pairs of bins merge (the width doubles) until it fits. Memory stays bounded for any
 * run length and each bin holds the integral (or count) over its span, so merging is a sum.
 */
export class BinnedSeries {
  private binWidthMs: number;
  private readonly channels: Float64Array[];

  constructor(
    readonly numChannels: number,
    readonly maxBins = 240,
    initialBinWidthMs = 100,
  ) {
    if (maxBins < 2 || maxBins % 2 !== 0) throw new RangeError("maxBins must be an even number >= 2");
    this.binWidthMs = initialBinWidthMs;
    this.channels = Array.from({ length: numChannels }, () => new Float64Array(maxBins));
  }

  get widthMs(): number {
    return this.binWidthMs;
  }

  /** Adds `amount` at one instant (a count: tokens, arrivals). */
  addAt(timeMs: number, channel: number, amount: number): void {
    this.fit(timeMs);
    const bin = Math.min(this.maxBins - 1, Math.floor(timeMs / this.binWidthMs));
    this.channels[channel]![bin]! += amount;
  }

  /** Adds `value` x (overlap in ms) to every bin [startMs, endMs) covers: the integral of a constant. */
  addInterval(startMs: number, endMs: number, channel: number, value: number): void {
    if (!(endMs > startMs)) return;
    this.fit(endMs);
    const series = this.channels[channel]!;
    const w = this.binWidthMs;
    for (let bin = Math.floor(startMs / w); bin * w < endMs && bin < this.maxBins; bin++) {
      const overlap = Math.min(endMs, (bin + 1) * w) - Math.max(startMs, bin * w);
      if (overlap > 0) series[bin]! += value * overlap;
    }
  }

  /** Bins covering [0, endMs): each channel's values, and the bin width. */
  snapshot(endMs: number): { readonly binWidthMs: number; readonly channels: Float64Array[] } {
    this.fit(endMs);
    const n = Math.max(1, Math.min(this.maxBins, Math.ceil(endMs / this.binWidthMs)));
    return { binWidthMs: this.binWidthMs, channels: this.channels.map((c) => c.slice(0, n)) };
  }

  /** The series as plain data (to send to another thread); `fromState` makes it again. */
  state(): BinnedSeriesState {
    return { binWidthMs: this.binWidthMs, maxBins: this.maxBins, channels: this.channels.map((c) => c.slice()) };
  }

  static fromState(state: BinnedSeriesState): BinnedSeries {
    const series = new BinnedSeries(state.channels.length, state.maxBins, state.binWidthMs);
    state.channels.forEach((c, i) => series.channels[i]!.set(c));
    return series;
  }

  /**
   * Adds another series of the same channels and initial bin width (a part of the same run, from
   * another thread) into this one: the finer of the two is coarsened to the other's width first.
   * Exact for counts (integers); for time integrals the sums may differ in the last bits from
   * adding the values into one series.
   */
  mergeFrom(other: BinnedSeries): void {
    if (other.maxBins !== this.maxBins || other.numChannels !== this.numChannels) throw new Error("merging series of different shapes");
    const o = BinnedSeries.fromState(other.state());
    while (this.binWidthMs < o.binWidthMs) this.coarsen();
    while (o.binWidthMs < this.binWidthMs) o.coarsen();
    if (o.binWidthMs !== this.binWidthMs) throw new Error("merging series of unrelated bin widths");
    this.channels.forEach((c, i) => {
      const add = o.channels[i]!;
      for (let b = 0; b < c.length; b++) c[b]! += add[b]!;
    });
  }

  private fit(timeMs: number): void {
    while (timeMs > this.binWidthMs * this.maxBins) this.coarsen();
  }

  /** Merges pairs of bins: the width doubles. */
  private coarsen(): void {
    for (const c of this.channels) {
      for (let i = 0; i < this.maxBins / 2; i++) c[i] = c[2 * i]! + c[2 * i + 1]!;
      c.fill(0, this.maxBins / 2);
    }
    this.binWidthMs *= 2;
  }
}

/** A `BinnedSeries` as plain data. */
export interface BinnedSeriesState {
  readonly binWidthMs: number;
  readonly maxBins: number;
  readonly channels: readonly Float64Array[];
}
