/**
 * A standalone SVG line chart for BENCHMARKS.md (docs/bench-*.svg): series of (x, y) points on
 * log or linear axes, a legend and the axis labels. Standalone because the report charts
 * (src/report/charts.ts) take their colours from the HTML page's CSS; a committed file has none.
 * Every label is escaped; every number written is a coordinate computed here.
 */
export interface Series {
  name: string;
  color: string;
  points: [number, number][];
  dashed?: boolean;
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  logX?: boolean;
  logY?: boolean;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const r1 = (x: number) => Math.round(x * 10) / 10;

/** Tick label: 1,000 / 10k / 1.5M, short enough for an axis. */
export function shortNumber(v: number): string {
  const a = Math.abs(v);
  const trim = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(2).replace(/\.?0+$/, ''));
  if (a >= 1e6) return `${trim(v / 1e6)}M`;
  if (a >= 1e4) return `${trim(v / 1e3)}k`;
  if (a >= 1) return trim(Number(v.toPrecision(3)));
  return v === 0 ? '0' : v.toPrecision(2);
}

function ticks(lo: number, hi: number, log: boolean): number[] {
  if (log) {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
    return out;
  }
  const step = 10 ** Math.floor(Math.log10((hi - lo) / 4 || 1));
  const nice = [1, 2, 5, 10].map((k) => k * step).find((s) => (hi - lo) / s <= 6) ?? step * 10;
  const out: number[] = [];
  for (let v = Math.floor(lo / nice) * nice; v <= hi + nice / 2; v += nice) out.push(Number(v.toPrecision(12)));
  return out;
}

export function lineChartSvg(spec: ChartSpec): string {
  const W = 640;
  const H = 380;
  const plot = { left: 70, top: 40, right: W - 170, bottom: H - 50 };
  const pts = spec.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!spec.logX || x > 0) && (!spec.logY || y > 0));
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const range = (vs: number[], log: boolean): [number, number] => {
    if (!vs.length) return [1, 10];
    let lo = Math.min(...vs);
    let hi = Math.max(...vs);
    if (log) return [10 ** Math.floor(Math.log10(lo)), 10 ** Math.ceil(Math.log10(hi) + (lo === hi ? 1 : 0))];
    lo = Math.min(lo, 0);
    if (hi === lo) hi = lo + 1;
    return [lo, hi * 1.1];
  };
  const [x0, x1] = range(xs, Boolean(spec.logX));
  const [y0, y1] = range(ys, Boolean(spec.logY));
  const f = (v: number, lo: number, hi: number, log: boolean) => (log ? (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) : (v - lo) / (hi - lo));
  const X = (v: number) => plot.left + f(v, x0, x1, Boolean(spec.logX)) * (plot.right - plot.left);
  const Y = (v: number) => plot.bottom - f(v, y0, y1, Boolean(spec.logY)) * (plot.bottom - plot.top);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${esc(spec.title)}</text>`,
  ];
  for (const t of ticks(x0, x1, Boolean(spec.logX)).filter((t) => t >= x0 && t <= x1)) {
    out.push(`<line x1="${r1(X(t))}" y1="${plot.top}" x2="${r1(X(t))}" y2="${plot.bottom}" stroke="#eee"/>`, `<text x="${r1(X(t))}" y="${plot.bottom + 16}" text-anchor="middle">${esc(shortNumber(t))}</text>`);
  }
  for (const t of ticks(y0, y1, Boolean(spec.logY)).filter((t) => t >= y0 && t <= y1)) {
    out.push(`<line x1="${plot.left}" y1="${r1(Y(t))}" x2="${plot.right}" y2="${r1(Y(t))}" stroke="#eee"/>`, `<text x="${plot.left - 6}" y="${r1(Y(t) + 4)}" text-anchor="end">${esc(shortNumber(t))}</text>`);
  }
  out.push(
    `<rect x="${plot.left}" y="${plot.top}" width="${plot.right - plot.left}" height="${plot.bottom - plot.top}" fill="none" stroke="#888"/>`,
    `<text x="${(plot.left + plot.right) / 2}" y="${H - 12}" text-anchor="middle">${esc(spec.xLabel)}${spec.logX ? ' (log)' : ''}</text>`,
    `<text transform="translate(16 ${(plot.top + plot.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}${spec.logY ? ' (log)' : ''}</text>`,
  );
  spec.series.forEach((s, i) => {
    const ok = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!spec.logX || x > 0) && (!spec.logY || y > 0)).sort((a, b) => a[0] - b[0]);
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    if (ok.length > 1) out.push(`<polyline fill="none" stroke="${esc(s.color)}" stroke-width="2"${dash} points="${ok.map(([x, y]) => `${r1(X(x))},${r1(Y(y))}`).join(' ')}"/>`);
    for (const [x, y] of ok) out.push(`<circle cx="${r1(X(x))}" cy="${r1(Y(y))}" r="3.5" fill="${esc(s.color)}"><title>${esc(`${s.name}: ${shortNumber(x)} → ${shortNumber(y)}`)}</title></circle>`);
    const ly = plot.top + 8 + i * 20;
    out.push(`<line x1="${plot.right + 12}" y1="${ly}" x2="${plot.right + 32}" y2="${ly}" stroke="${esc(s.color)}" stroke-width="2"${dash}/>`, `<text x="${plot.right + 38}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  out.push('</svg>', '');
  return out.join('\n');
}
