import { esc, num } from './html.js';

/**
 * Inline SVG charts, drawn from counts the check already stored: no chart library, no script.
 * Every label and tooltip is escaped; every number is a coordinate the code computed.
 */
export interface Paired {
  labels: string[];
  ref: number[];
  cur: number[];
}

const W = 320;
const round = (x: number) => Math.round(x * 10) / 10;
const shares = (xs: number[]) => {
  const total = xs.reduce((s, x) => s + x, 0);
  return xs.map((x) => (total > 0 ? x / total : 0));
};
const pct = (x: number) => `${num(x * 100, 3)}%`;
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function rect(x: number, y: number, w: number, h: number, fill: string, title: string): string {
  return `<rect x="${round(x)}" y="${round(y)}" width="${round(Math.max(w, 0))}" height="${round(Math.max(h, 0))}" fill="${fill}"><title>${esc(title)}</title></rect>`;
}

function tip(h: Paired, i: number, r: number[], c: number[]) {
  return `${h.labels[i]}: reference ${pct(r[i]!)} (${h.ref[i]}), current ${pct(c[i]!)} (${h.cur[i]})`;
}

/** A numeric column's bins: reference and current side by side, as shares of each side's rows. */
export function histogramChart(h: Paired): string {
  const height = 150;
  const plot = { left: 34, top: 8, width: W - 42, height: height - 34 };
  const r = shares(h.ref);
  const c = shares(h.cur);
  const max = Math.max(...r, ...c, 1e-12);
  const slot = plot.width / Math.max(h.labels.length, 1);
  const bars: string[] = [];
  h.labels.forEach((_, i) => {
    const x = plot.left + i * slot;
    const bw = Math.max(slot / 2 - 0.5, 0.5);
    const hr = (r[i]! / max) * plot.height;
    const hc = (c[i]! / max) * plot.height;
    const t = tip(h, i, r, c);
    bars.push(rect(x, plot.top + plot.height - hr, bw, hr, 'var(--ref)', t), rect(x + bw, plot.top + plot.height - hc, bw, hc, 'var(--cur)', t));
  });
  const base = plot.top + plot.height;
  const first = h.labels[0]?.split(' – ')[0] ?? '';
  const last = h.labels[h.labels.length - 1]?.split(' – ').pop() ?? '';
  return `<svg viewBox="0 0 ${W} ${height}" width="${W}" height="${height}" role="img" class="chart histogram">
<line x1="${plot.left}" y1="${base}" x2="${plot.left + plot.width}" y2="${base}" stroke="#999"/>
<text x="${plot.left - 4}" y="${plot.top + 8}" font-size="9" text-anchor="end">${esc(pct(max))}</text>
<text x="${plot.left - 4}" y="${base}" font-size="9" text-anchor="end">0</text>
${bars.join('')}
<text x="${plot.left}" y="${base + 12}" font-size="9">${esc(clip(first, 16))}</text>
<text x="${plot.left + plot.width}" y="${base + 12}" font-size="9" text-anchor="end">${esc(clip(last, 16))}</text>
</svg>`;
}

/** A categorical column's frequencies: one row per category, reference above current. */
export function frequencyChart(h: Paired): string {
  const row = 18;
  const labelW = 110;
  const barW = W - labelW - 48;
  const height = h.labels.length * row + 6;
  const r = shares(h.ref);
  const c = shares(h.cur);
  const max = Math.max(...r, ...c, 1e-12);
  const rows = h.labels.map((label, i) => {
    const y = 3 + i * row;
    const t = tip(h, i, r, c);
    return `<text x="${labelW - 4}" y="${y + 12}" font-size="10" text-anchor="end">${esc(clip(label, 20))}<title>${esc(label)}</title></text>`
      + rect(labelW, y + 1, (r[i]! / max) * barW, 7, 'var(--ref)', t)
      + rect(labelW, y + 8, (c[i]! / max) * barW, 7, 'var(--cur)', t)
      + `<text x="${labelW + barW + 4}" y="${y + 12}" font-size="9">${esc(pct(c[i]!))}</text>`;
  });
  return `<svg viewBox="0 0 ${W} ${height}" width="${W}" height="${height}" role="img" class="chart frequency">${rows.join('')}</svg>`;
}

export const LEGEND = `<div class="legend muted"><span style="background:var(--ref)"></span>reference<span style="background:var(--cur)"></span>current</div>`;

export interface TimePoint {
  at: number;
  value: number;
}

export interface TimeMarker {
  at: number;
  /** Where on the line it sits; markers without a value sit on the axis. */
  value: number | null;
  kind: string;
  color: string;
  title: string;
}

export interface TimeAxis {
  from: number;
  to: number;
}

const TW = 960;
const day = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 16);

function timeFrame(axis: TimeAxis, height: number) {
  const plot = { left: 56, top: 10, width: TW - 70, height: height - 36 };
  const span = Math.max(axis.to - axis.from, 1);
  const x = (at: number) => plot.left + ((at - axis.from) / span) * plot.width;
  const base = plot.top + plot.height;
  const frame = `<line x1="${plot.left}" y1="${base}" x2="${plot.left + plot.width}" y2="${base}" stroke="#999"/>
<text x="${plot.left}" y="${base + 14}" font-size="10">${esc(day(axis.from))}</text>
<text x="${plot.left + plot.width}" y="${base + 14}" font-size="10" text-anchor="end">${esc(day(axis.to))}</text>`;
  return { plot, x, base, frame };
}

/** A metric over time (a step line: production keeps its value until the next promotion), with markers. */
export function lineChart(points: TimePoint[], markers: TimeMarker[], axis: TimeAxis, label: string): string {
  const height = 220;
  const { plot, x, base, frame } = timeFrame(axis, height);
  const values = [...points.map((p) => p.value), ...markers.flatMap((m) => (m.value === null ? [] : [m.value]))].filter(Number.isFinite);
  let lo = values.length ? Math.min(...values) : 0;
  let hi = values.length ? Math.max(...values) : 1;
  if (hi - lo < 1e-9) [lo, hi] = [lo - 0.05 * Math.abs(lo || 1), hi + 0.05 * Math.abs(hi || 1)];
  const y = (v: number) => plot.top + plot.height - ((v - lo) / (hi - lo)) * plot.height;
  const steps: string[] = [];
  points.forEach((p, i) => {
    const nx = i + 1 < points.length ? points[i + 1]!.at : axis.to;
    steps.push(`${i === 0 ? 'M' : 'L'}${round(x(p.at))},${round(y(p.value))} L${round(x(nx))},${round(y(p.value))}`);
  });
  const path = steps.length ? `<path d="${steps.join(' ')}" fill="none" stroke="#2d6cdf" stroke-width="2"><title>${esc(label)}</title></path>` : '';
  const dots = markers.map((m) => {
    const cy = m.value === null || !Number.isFinite(m.value) ? base - 4 : y(m.value);
    return `<circle cx="${round(x(m.at))}" cy="${round(cy)}" r="5" fill="${m.color}" stroke="#fff" class="marker ${esc(m.kind)}"><title>${esc(m.title)}</title></circle>`;
  });
  return `<svg viewBox="0 0 ${TW} ${height}" width="${TW}" height="${height}" role="img" class="chart line">
${frame}
<text x="${plot.left - 4}" y="${plot.top + 8}" font-size="10" text-anchor="end">${esc(num(hi))}</text>
<text x="${plot.left - 4}" y="${base}" font-size="10" text-anchor="end">${esc(num(lo))}</text>
<text x="${plot.left + 4}" y="${plot.top + 8}" font-size="10" fill="#2d6cdf">${esc(label)}</text>
${path}${dots.join('')}
</svg>`;
}

/** One bar per event over time (drift share per check, training time per retrain). */
export function timeBars(points: (TimePoint & { title: string; color?: string })[], axis: TimeAxis, label: string, format: (v: number) => string): string {
  const height = 130;
  const { plot, x, base, frame } = timeFrame(axis, height);
  const max = Math.max(...points.map((p) => p.value), 1e-12);
  const bars = points.map((p) => {
    const h = (p.value / max) * plot.height;
    return rect(x(p.at) - 3, base - h, 6, Math.max(h, 1), p.color ?? '#2d6cdf', `${p.title}: ${format(p.value)}`);
  });
  return `<svg viewBox="0 0 ${TW} ${height}" width="${TW}" height="${height}" role="img" class="chart bars">
${frame}
<text x="${plot.left - 4}" y="${plot.top + 8}" font-size="10" text-anchor="end">${esc(format(max))}</text>
<text x="${plot.left - 4}" y="${base}" font-size="10" text-anchor="end">0</text>
<text x="${plot.left + plot.width}" y="${plot.top + 8}" font-size="10" text-anchor="end">${esc(label)}</text>
${bars.join('')}
</svg>`;
}
