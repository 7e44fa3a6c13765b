import type { CategoryCounts } from './categorical.js';
import type { NumericStats } from './numeric.js';

/**
 * The binned counts a drift test compared, kept in the drift report so the HTML report can draw
 * reference vs current without reading a row again. Labels are text: a bin range or a category.
 */
export interface DriftHistogram {
  labels: string[];
  ref: number[];
  cur: number[];
  /** Categories beyond the ones kept, summed into the last bar ("other"). */
  otherCategories?: number;
}

/** Bars a categorical chart keeps: the most frequent over both sides; the rest are summed as "other". */
export const MAX_BARS = 30;

const short = (x: number) => (Number.isInteger(x) ? String(x) : Number(x.toPrecision(4)).toString());

/** The bins of a numeric column's PSI and Jensen-Shannon, labelled by their range (or value). */
export function numericHistogram(s: NumericStats): DriftHistogram | undefined {
  if (!s.refBins.length) return undefined;
  const labels = s.binValues
    ? s.binValues.map(short)
    : s.binEdges
      ? s.refBins.map((_, k) => `${short(s.binEdges![k]!)} – ${short(s.binEdges![k + 1]!)}`)
      : s.refBins.map((_, k) => `bin ${k + 1}`);
  return { labels, ref: s.refBins, cur: s.curBins };
}

/** Counts per category on both sides, the MAX_BARS most frequent first; the others summed. */
export function categoricalHistogram(k: CategoryCounts): DriftHistogram {
  const order = k.categories.map((_, i) => i).sort((a, b) => k.ref[b]! + k.cur[b]! - (k.ref[a]! + k.cur[a]!) || a - b);
  const kept = order.slice(0, MAX_BARS);
  const rest = order.slice(MAX_BARS);
  const h: DriftHistogram = { labels: kept.map((i) => k.categories[i]!), ref: kept.map((i) => k.ref[i]!), cur: kept.map((i) => k.cur[i]!) };
  if (rest.length) {
    h.labels.push(`other (${rest.length})`);
    h.ref.push(rest.reduce((s, i) => s + k.ref[i]!, 0));
    h.cur.push(rest.reduce((s, i) => s + k.cur[i]!, 0));
    h.otherCategories = rest.length;
  }
  return h;
}
