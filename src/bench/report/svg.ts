/**
 * Line charts as inline SVG strings: no script, no fonts or files to fetch, so a report opens
 * offline and can be mailed as one file. Axes start at 0 unless told otherwise.
 */

export interface Series {
  readonly name: string;
  /** [x, y] in data units, x ascending. */
  readonly points: ReadonlyArray<readonly [number, number]>;
  /** Draw as a step function (CDFs, concurrency), holding y until the next x. */
  readonly step?: boolean;
  readonly dashed?: boolean;
  /** Mark every point (sweep curves have few points, each a run). */
  readonly markers?: boolean;
  /** Index into the palette; series of one run share a colour across charts. */
  readonly colorIndex?: number;
}

export interface ChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  readonly width?: number;
  readonly height?: number;
  readonly yMax?: number;
}

/** Colour-blind-safe (Okabe-Ito) first. */
export const PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442", "#7f7f7f", "#8c564b"];

export function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** About `target` round tick values (1, 2 or 5 x 10^k apart) covering [0, max]. */
export function niceTicks(max: number, target = 5): number[] {
  if (!(max > 0) || !Number.isFinite(max)) return [0, 1];
  const raw = max / target;
  const pow = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
  const ticks: number[] = [];
  for (let v = 0; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1]! < max) ticks.push(Number((ticks[ticks.length - 1]! + step).toPrecision(12)));
  return ticks;
}

/** A short number for axes and tables: 3 significant digits, thousands separated. */
export function fmt(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  if (!Number.isFinite(v)) return v > 0 ? "∞" : "-∞";
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toLocaleString("en-US");
  if (a === 0) return "0";
  return Number(v.toPrecision(digits)).toString();
}

export function lineChart(o: ChartOptions): string {
  const width = o.width ?? 620;
  const height = o.height ?? 320;
  const m = { left: 64, right: 16, top: 30, bottom: 64 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const all = o.series.flatMap((s) => s.points);
  const xMax = Math.max(0, ...all.map((p) => p[0]));
  const yMax = o.yMax ?? Math.max(0, ...all.map((p) => p[1]));
  const xTicks = niceTicks(xMax);
  const yTicks = o.yMax !== undefined ? niceTicks(o.yMax).filter((t) => t <= o.yMax! + 1e-9) : niceTicks(yMax);
  const xTop = xTicks[xTicks.length - 1]!;
  const yTop = yTicks[yTicks.length - 1]!;
  const sx = (x: number): number => m.left + (xTop > 0 ? (x / xTop) * plotW : 0);
  const sy = (y: number): number => m.top + plotH - (yTop > 0 ? (y / yTop) * plotH : 0);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(o.title)}" font-family="system-ui, sans-serif" font-size="11">`);
  parts.push(`<text x="${width / 2}" y="16" text-anchor="middle" font-size="13" font-weight="600">${escapeXml(o.title)}</text>`);
  for (const t of yTicks) {
    const y = sy(t).toFixed(1);
    parts.push(`<line x1="${m.left}" x2="${m.left + plotW}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${m.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${escapeXml(fmt(t))}</text>`);
  }
  for (const t of xTicks) {
    const x = sx(t).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${m.top}" y2="${m.top + plotH}" stroke="#f0f0f0"/>`);
    parts.push(`<text x="${x}" y="${m.top + plotH + 14}" text-anchor="middle">${escapeXml(fmt(t))}</text>`);
  }
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888"/>`);
  parts.push(`<text x="${m.left + plotW / 2}" y="${m.top + plotH + 30}" text-anchor="middle">${escapeXml(o.xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${m.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(o.yLabel)}</text>`);
  o.series.forEach((s, i) => {
    const color = PALETTE[(s.colorIndex ?? i) % PALETTE.length]!;
    if (s.points.length === 0) return;
    const pts: string[] = [];
    s.points.forEach(([x, y], k) => {
      if (s.step && k > 0) pts.push(`${sx(x).toFixed(1)},${sy(s.points[k - 1]![1]).toFixed(1)}`);
      pts.push(`${sx(x).toFixed(1)},${sy(y).toFixed(1)}`);
    });
    const dash = s.dashed ? ` stroke-dasharray="5 3"` : "";
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="1.8"${dash} points="${pts.join(" ")}"><title>${escapeXml(s.name)}</title></polyline>`);
    if (s.markers) {
      for (const [x, y] of s.points) parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${color}"><title>${escapeXml(`${s.name}: (${fmt(x)}, ${fmt(y)})`)}</title></circle>`);
    }
  });
  // Legend under the x label, wrapping by a fixed width per entry.
  const perRow = Math.max(1, Math.floor(plotW / 190));
  o.series.forEach((s, i) => {
    const color = PALETTE[(s.colorIndex ?? i) % PALETTE.length]!;
    const x = m.left + (i % perRow) * 190;
    const y = m.top + plotH + 44 + Math.floor(i / perRow) * 13;
    const dash = s.dashed ? ` stroke-dasharray="5 3"` : "";
    parts.push(`<line x1="${x}" x2="${x + 18}" y1="${y}" y2="${y}" stroke="${color}" stroke-width="2"${dash}/>`);
    parts.push(`<text x="${x + 22}" y="${y}" dominant-baseline="middle">${escapeXml(truncate(s.name, 27))}<title>${escapeXml(s.name)}</title></text>`);
  });
  parts.push("</svg>");
  const legendRows = Math.ceil(o.series.length / perRow);
  if (legendRows > 1) parts[0] = parts[0]!.replace(`0 0 ${width} ${height}" width="${width}" height="${height}"`, `0 0 ${width} ${height + (legendRows - 1) * 13}" width="${width}" height="${height + (legendRows - 1) * 13}"`);
  return parts.join("\n");
}

/** Keeps the end, where names differ (paths, "@ 4 req/s", " p99"). */
function truncate(s: string, n: number): string {
  return s.length <= n ? s : `…${s.slice(s.length - n + 1)}`;
}
