/** Minimal self-contained SVG line charts for the HTML report (no scripts, no external assets). */

export interface Series {
  readonly name: string;
  readonly xs: ArrayLike<number>;
  readonly ys: ArrayLike<number>;
}

export interface ChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly width?: number;
  readonly height?: number;
  /** Fixed y range top (e.g. 1 for fractions); default: the data's maximum. */
  readonly yMax?: number;
  readonly logX?: boolean;
  readonly logY?: boolean;
  /** Draw a dot at every point (discrete samples, e.g. simulated fleets). */
  readonly markers?: boolean;
  /** Horizontal reference lines (e.g. an SLO). */
  readonly hLines?: ReadonlyArray<{ readonly y: number; readonly label: string }>;
}

const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A short label for an axis tick. */
function tick(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toPrecision(3)}k`;
  return `${+v.toPrecision(3)}`;
}

export function lineChart(series: readonly Series[], o: ChartOptions): string {
  const width = o.width ?? 640;
  const height = o.height ?? 300;
  const m = { left: 60, right: 150, top: 30, bottom: 45 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const fx = (x: number) => (o.logX ? Math.log10(Math.max(x, 1e-9)) : x);
  const fy = (y: number) => (o.logY ? Math.log10(Math.max(y, 1e-9)) : y);
  let xMin = Infinity;
  let xMax = -Infinity;
  let yMin = o.logY ? Infinity : 0;
  let yMax = o.yMax !== undefined ? fy(o.yMax) : -Infinity;
  for (const s of series) {
    for (let i = 0; i < s.xs.length; i++) {
      const x = fx(s.xs[i]!);
      const y = fy(s.ys[i]!);
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      xMin = Math.min(xMin, x);
      xMax = Math.max(xMax, x);
      if (o.logY) yMin = Math.min(yMin, y);
      if (o.yMax === undefined) yMax = Math.max(yMax, y);
    }
  }
  for (const h of o.hLines ?? []) {
    if (o.logY) yMin = Math.min(yMin, fy(h.y));
    if (o.yMax === undefined) yMax = Math.max(yMax, fy(h.y));
  }
  if (!Number.isFinite(xMin)) return `<p>${escapeHtml(o.title)}: no data</p>`;
  if (xMax === xMin) xMax = xMin + 1;
  if (!(yMax > yMin)) yMax = yMin + 1;
  const px = (x: number) => m.left + ((fx(x) - xMin) / (xMax - xMin)) * plotW;
  const py = (y: number) => m.top + plotH - ((Math.min(fy(y), yMax) - yMin) / (yMax - yMin)) * plotH;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`);
  parts.push(`<text x="${m.left}" y="18" font-size="13" font-weight="bold">${escapeHtml(o.title)}</text>`);
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
  for (let k = 0; k <= 4; k++) {
    const yv = yMin + ((yMax - yMin) * k) / 4;
    const y = o.logY ? 10 ** yv : yv;
    const xv = xMin + ((xMax - xMin) * k) / 4;
    parts.push(`<line x1="${m.left}" x2="${m.left + plotW}" y1="${py(y)}" y2="${py(y)}" stroke="#eee"/>`);
    parts.push(`<text x="${m.left - 5}" y="${py(y) + 4}" text-anchor="end">${tick(y)}</text>`);
    const xLabel = o.logX ? tick(10 ** xv) : tick(xv);
    parts.push(`<text x="${m.left + (plotW * k) / 4}" y="${m.top + plotH + 15}" text-anchor="middle">${xLabel}</text>`);
  }
  parts.push(`<text x="${m.left + plotW / 2}" y="${height - 8}" text-anchor="middle">${escapeHtml(o.xLabel)}</text>`);
  parts.push(`<text x="14" y="${m.top + plotH / 2}" text-anchor="middle" transform="rotate(-90 14 ${m.top + plotH / 2})">${escapeHtml(o.yLabel)}</text>`);
  for (const h of o.hLines ?? []) {
    parts.push(`<line x1="${m.left}" x2="${m.left + plotW}" y1="${py(h.y)}" y2="${py(h.y)}" stroke="#d62728" stroke-dasharray="4 3"/>`);
    parts.push(`<text x="${m.left + plotW - 4}" y="${py(h.y) - 4}" text-anchor="end" fill="#d62728">${escapeHtml(h.label)}</text>`);
  }
  series.forEach((s, si) => {
    const color = PALETTE[si % PALETTE.length]!;
    const points: string[] = [];
    for (let i = 0; i < s.xs.length; i++) {
      const x = s.xs[i]!;
      const y = s.ys[i]!;
      if (Number.isFinite(fx(x)) && Number.isFinite(fy(y))) points.push(`${px(x).toFixed(1)},${py(y).toFixed(1)}`);
    }
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${points.join(" ")}"/>`);
    if (o.markers) for (const p of points) parts.push(`<circle cx="${p.split(",")[0]}" cy="${p.split(",")[1]}" r="2.5" fill="${color}"/>`);
    if (si < 16) {
      const ly = m.top + 10 + si * 14;
      parts.push(`<line x1="${m.left + plotW + 10}" x2="${m.left + plotW + 25}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"/>`);
      parts.push(`<text x="${m.left + plotW + 30}" y="${ly + 4}">${escapeHtml(s.name)}</text>`);
    }
  });
  parts.push("</svg>");
  return parts.join("");
}
