import { createHash } from 'node:crypto';
import { listValue, type DuckDBValue } from '@duckdb/node-api';
import { FailureType, RetrainError } from '../../errors.js';
import type { SegmentDriftEvidence } from '../../policy/trigger-policy.js';
import { isNumeric, logicalType, type LogicalType } from '../column-types.js';
import { ident, type DataEngine } from '../engine.js';
import { describe } from '../fingerprint.js';
import { categoricalStats, DEFAULT_THRESHOLD, defaultTest, nestedType, numericRecord, testVerdict, type ColumnDrift, type DriftOptions, type DriftTest } from './detect.js';
import { addCategory } from './categorical.js';
import { categoricalHistogram, numericHistogram, type DriftHistogram } from './histogram.js';
import { columnsPerSort, finitePart, rowCount, statsFromSorted, type Side, type SortedSide } from './numeric.js';

/**
 * Drift per segment (issue 15 §2): the dataset-level tests of detect.ts, run on the rows of each value of a segment
 * column (e.g. each region), so a shift confined to one region shows even when the whole dataset looks quiet.
 *
 * DuckDB passes, whatever the number of segments (never one query per segment × column):
 *   1 query over both sides: rows per segment value (GROUP BY), which picks the segments;
 *   numeric columns, per batch of columnsPerSort(rows of the picked segments) columns and per side: 1 count query
 *     and 1 sort ordered by (segment, column, value), cut into one sorted array per segment and column;
 *   text columns: 1 approximate distinct count per side (keeps ids and free text out of the grouping), then per batch
 *     of 500 columns 1 query over both sides grouped by (segment, column, value).
 * With 20 numeric columns and 1M rows that is 1 + 3 × 2 × 2 = 13 queries for 20 segments or for 100.
 *
 * Segment values are untrusted data: they reach DuckDB only as one bound VARCHAR[] parameter (list_position), never
 * as SQL text; column names go through ident(). A NULL segment value is not a segment (its rows are counted in
 * `nullRows` and tested nowhere but at dataset level): NULL usually means "unknown", not a region of its own.
 */

export interface SegmentSpec {
  column: string;
  /** A value is a segment only with at least this many rows on both sides. */
  minRows: number;
  /** At most this many segments: the largest by reference + current rows (ties by value). */
  top: number;
}

export interface SegmentResult {
  column: string;
  value: string;
  refRows: number;
  curRows: number;
  columns: ColumnDrift[];
  driftedShare: number;
  datasetDrift: boolean;
  driftedColumns: string[];
}

export interface SegmentNotTested {
  value: string;
  refRows: number;
  curRows: number;
  why: string;
}

export interface SegmentColumnReport {
  column: string;
  minRows: number;
  top: number;
  /** The tested segments, most drifted share first (then larger first). */
  segments: SegmentResult[];
  /** Values with at least minRows on one side that were not tested, and why (at most NOT_TESTED_KEPT). */
  notTested: SegmentNotTested[];
  /** Rows whose segment value is NULL on each side: not a segment. */
  nullRows: { reference: number; current: number };
  /** DuckDB queries this column's segments took. */
  passes: number;
}

export interface SegmentDriftReport {
  reference: string;
  current: string;
  datasetShareThreshold: number;
  columns: SegmentColumnReport[];
}

/** Counts per segment value on both sides; values with at least `minRows` on either side (or NULL). */
export interface SegmentCount {
  value: string | null;
  refRows: number;
  curRows: number;
}

const MAX_CATEGORIES = 10_000; // as detect.ts: more distinct values than this is an id or free text, not categories
const COUNT_BATCH_COLUMNS = 500;
/** Values kept by the segment count query: bounds what JS receives when an id column is named as segment column. */
const MAX_SEGMENT_VALUES = 10_000;
export const NOT_TESTED_KEPT = 50;
/**
 * Segment × column tests a check runs at most, over all segment columns: each is kept in memory and in segments.json
 * (10 segment columns × 100 segments × 10,000 columns, which the config allows, would be 10M: gigabytes).
 */
export const SEGMENT_TESTS_MAX = 200_000;
/** Up to this many tests a check, every segment column keeps its statistics and histogram in segments.json. */
export const SEGMENT_DETAIL_MAX = 20_000;
/** Segment values longer than this are cut in reports and evidence (they are untrusted and travel in history). */
export const MAX_VALUE_CHARS = 200;
const INDEX = '__retrain_segment_index';

/**
 * A value as reports and evidence show it: whole up to MAX_VALUE_CHARS; longer, its start, "…" and 8 hex characters of
 * the whole value's sha256, so long values that share their start stay distinct segments (and a rule can name one).
 * The cut never splits a surrogate pair: a lone half would become U+FFFD on its way through history.
 */
export function segmentLabel(v: string): string {
  if (v.length <= MAX_VALUE_CHARS) return v;
  const tag = createHash('sha256').update(v).digest('hex').slice(0, 8);
  let cut = MAX_VALUE_CHARS - 1 - tag.length;
  if (/[\uD800-\uDBFF]/.test(v[cut - 1]!)) cut--;
  return `${v.slice(0, cut)}…${tag}`;
}

/**
 * The SQL of a segment column's value as text, given its type on that side. Floating-point values are written as the
 * integers they are when whole: an integer column that arrives as DOUBLE on one side (pandas makes int64 float64 as
 * soon as a NULL appears) gives "1" on both sides, never "1" against "1.0". Integers stay exact (no DOUBLE round trip).
 */
export function segmentKey(column: string, type: string | undefined): string {
  const c = ident(column);
  if (type === undefined || logicalType(type) !== 'numeric') return `${c}::VARCHAR`;
  const d = `${c}::DOUBLE`;
  return `(CASE WHEN ${d} = trunc(${d}) AND abs(${d}) < 9007199254740992 THEN ${d}::BIGINT::VARCHAR ELSE ${d}::VARCHAR END)`;
}

/** Pass 1: rows per segment value on both sides, in one query. */
export async function segmentCounts(engine: DataEngine, ref: Side, cur: Side, column: string, minRows: number, keys: Keys = [segmentKey(column, undefined), segmentKey(column, undefined)]): Promise<SegmentCount[]> {
  const rows = await engine.rows(
    `SELECT v, a, b FROM (
       SELECT v, count(*) FILTER (WHERE s = 0)::BIGINT AS a, count(*) FILTER (WHERE s = 1)::BIGINT AS b FROM (
         SELECT 0 AS s, ${keys[0]} AS v FROM ${await engine.reader(ref.location, ref.format, 1)}
         UNION ALL SELECT 1 AS s, ${keys[1]} AS v FROM ${await engine.reader(cur.location, cur.format, 2)})
       GROUP BY v)
     WHERE a >= $3 OR b >= $3 OR v IS NULL ORDER BY a + b DESC, v LIMIT ${MAX_SEGMENT_VALUES}`,
    [ref.location, cur.location, minRows],
    `${ref.location} vs ${cur.location}`,
  );
  return rows.map((r) => ({ value: r.v === null || r.v === undefined ? null : String(r.v), refRows: Number(r.a), curRows: Number(r.b) }));
}

/** The segments to test: at least minRows on both sides, the `top` largest; and why the others are not tested. */
export function pickSegments(counts: SegmentCount[], spec: SegmentSpec): { picked: SegmentCount[]; notTested: SegmentNotTested[] } {
  const picked: SegmentCount[] = [];
  const notTested: SegmentNotTested[] = [];
  for (const c of counts) {
    if (c.value === null) continue;
    const why = c.refRows < spec.minRows || c.curRows < spec.minRows ? `fewer than ${spec.minRows} rows on one side` : picked.length >= spec.top ? `beyond the top ${spec.top} segments` : null;
    if (why === null) picked.push(c);
    else if (notTested.length < NOT_TESTED_KEPT) notTested.push({ value: segmentLabel(c.value), refRows: c.refRows, curRows: c.curRows, why });
  }
  return { picked, notTested };
}

interface Tested {
  name: string;
  type: LogicalType;
  override: { test?: DriftTest | undefined; threshold?: number | undefined };
}

/** Per-segment drift for every configured segment column. */
export async function detectSegmentDrift(engine: DataEngine, refSide: Side, curSide: Side, specs: SegmentSpec[], opts: DriftOptions = {}): Promise<SegmentDriftReport> {
  const ref = { ...refSide, rows: await rowCount(engine, refSide) };
  const cur = { ...curSide, rows: await rowCount(engine, curSide) };
  const refSchema = await describe(engine, ref.location, ref.format);
  const curTypes = new Map((await describe(engine, cur.location, cur.format)).map((c) => [c.name, c.type]));
  const datasetShareThreshold = opts.datasetShare ?? 0.5;
  const columns: SegmentColumnReport[] = [];
  let testsLeft = SEGMENT_TESTS_MAX;
  let detailed = 0;
  for (const spec of specs) {
    const segType = refSchema.find((c) => c.name === spec.column)?.type;
    const shown = JSON.stringify(segmentLabel(spec.column));
    if (segType === undefined || !curTypes.has(spec.column)) {
      const where = segType === undefined ? ref.location : cur.location;
      throw new RetrainError(FailureType.DataValidation, `${where}: drift.segments column ${shown} is not a column of this dataset`, { file: where, field: 'drift.segments.column', value: segmentLabel(spec.column) });
    }
    if (nestedType(segType)) {
      throw new RetrainError(FailureType.DataValidation, `${ref.location}: drift.segments column ${shown} has nested type ${nestedType(segType)}; a segment column must be a plain column`, { file: ref.location, field: 'drift.segments.column', value: segmentLabel(spec.column) });
    }
    const keys: Keys = [segmentKey(spec.column, segType), segmentKey(spec.column, curTypes.get(spec.column))];
    const counts = await segmentCounts(engine, ref, cur, spec.column, spec.minRows, keys);
    const nulls = counts.find((c) => c.value === null);
    const { picked, notTested } = pickSegments(counts, spec);
    // The columns tested, as detect.ts chooses them; the segment column is constant within a segment, so never tested.
    const typeChanged: ColumnDrift[] = [];
    const tested: Tested[] = [];
    for (const c of refSchema) {
      const curType = curTypes.get(c.name);
      if (curType === undefined || c.name === spec.column || (opts.exclude ?? []).includes(c.name) || (opts.columns && !opts.columns.includes(c.name))) continue;
      // Row identifiers and nested columns are reported as skipped at dataset level; per segment they are left out.
      if (opts.skip?.[c.name] || nestedType(c.type) || nestedType(curType)) continue;
      const kind = isNumeric(logicalType(c.type)) ? 'numeric' : 'categorical';
      const override = opts.overrides?.[c.name] ?? opts.allColumns ?? {};
      if (isNumeric(logicalType(curType)) !== (kind === 'numeric')) {
        const test = override.test ?? (kind === 'numeric' ? 'ks' : 'chisquare');
        const note = `type changed: ${logicalType(c.type)} (${c.type}) → ${logicalType(curType)} (${curType})`;
        typeChanged.push({ column: c.name, kind, test, statistic: NaN, pValue: null, threshold: override.threshold ?? DEFAULT_THRESHOLD[test], drifted: true, stats: {}, note });
        continue;
      }
      tested.push({ name: c.name, type: logicalType(c.type), override });
    }
    // Bounded work and report: at most SEGMENT_TESTS_MAX segment × column tests per check, the largest segments first.
    const width = Math.max(1, tested.length + typeChanged.length);
    const fit = Math.floor(testsLeft / width);
    for (const p of picked.splice(fit)) {
      if (notTested.length < NOT_TESTED_KEPT) notTested.push({ value: segmentLabel(p.value!), refRows: p.refRows, curRows: p.curRows, why: `over the budget of ${SEGMENT_TESTS_MAX.toLocaleString('en')} segment × column tests a check (${width} columns a segment)` });
    }
    testsLeft -= picked.length * width;
    detailed += picked.length * width;
    const values = picked.map((p) => p.value!);
    const passes = { n: 1 };
    const smallRows = opts.smallReferenceRows ?? 1000;
    const byName = new Map(tested.map((t) => [t.name, t]));
    const numericNames = tested.filter((t) => isNumeric(t.type)).map((t) => t.name);
    const numeric = picked.length ? await segmentSorted(engine, ref, cur, keys, values, numericNames, picked, passes, (c, a, b) => numericColumn(byName.get(c)!, a, b, smallRows)) : new Map<string, ColumnDrift[]>();
    const text = picked.length ? await segmentCategoryCounts(engine, ref, cur, keys, values, tested.filter((t) => !isNumeric(t.type)).map((t) => t.name), passes) : new Map<string, SegmentCategories>();
    const segments = picked.map((p, g): SegmentResult => {
      const cols: ColumnDrift[] = [...typeChanged];
      for (const t of tested) {
        const n = numeric.get(t.name);
        if (n) cols.push(n[g]!);
        else {
          const k = text.get(t.name);
          cols.push(k === 'too many' || k === undefined ? untested(t, 'categorical', `more than ${MAX_CATEGORIES} categories (an id?); not tested`) : categoricalColumn(t, k[g]!, smallRows));
        }
      }
      const order = new Map(refSchema.map((c, i) => [c.name, i]));
      cols.sort((x, y) => order.get(x.column)! - order.get(y.column)!);
      // Past SEGMENT_DETAIL_MAX tests a quiet column keeps its verdict, not its statistics and histogram (the report and
      // the rule read the drifted ones), so a wide check's segments.json stays tens of MB, not gigabytes.
      if (detailed > SEGMENT_DETAIL_MAX) {
        for (const [i, c] of cols.entries()) {
          if (c.drifted) continue;
          const verdictOnly: ColumnDrift = { ...c, stats: {} };
          delete verdictOnly.histogram;
          cols[i] = verdictOnly;
        }
      }
      const drifted = cols.filter((c) => c.drifted).map((c) => c.column);
      const driftedShare = cols.length ? drifted.length / cols.length : 0;
      return { column: spec.column, value: segmentLabel(p.value!), refRows: p.refRows, curRows: p.curRows, columns: cols, driftedShare, datasetDrift: cols.length > 0 && driftedShare >= datasetShareThreshold, driftedColumns: drifted };
    });
    segments.sort((a, b) => b.driftedShare - a.driftedShare || b.refRows + b.curRows - (a.refRows + a.curRows) || (a.value < b.value ? -1 : 1));
    columns.push({ column: spec.column, minRows: spec.minRows, top: spec.top, segments, notTested, nullRows: { reference: nulls?.refRows ?? 0, current: nulls?.curRows ?? 0 }, passes: passes.n });
  }
  return { reference: ref.location, current: cur.location, datasetShareThreshold, columns };
}

/** `list_position` of the row's segment value in the bound list: its segment's index + 1, NULL outside the picked ones. */
const segmentIndex = (key: string, slot: number) => `list_position($${slot}::VARCHAR[], ${key})`;
/** segmentKey() of the segment column on the reference side and on the current side. */
type Keys = [string, string];

/**
 * Each numeric column's verdict per segment, from its sorted finite values per segment and side. Per batch of columns
 * and side, one count query and one sort by (segment, column, value); a batch's sorted values are turned into verdicts
 * by `verdictOf` before the next batch is sorted, so memory holds one batch (both sides), never every column's values
 * (1,000 columns × 50,000 rows took 1.5 GB when all were kept; 10,000 would not fit).
 */
async function segmentSorted(
  engine: DataEngine,
  ref: Side & { rows: number },
  cur: Side & { rows: number },
  keys: Keys,
  values: string[],
  columns: string[],
  picked: SegmentCount[],
  passes: { n: number },
  verdictOf: (column: string, ref: SortedSide, cur: SortedSide) => ColumnDrift,
): Promise<Map<string, ColumnDrift[]>> {
  const out = new Map<string, ColumnDrift[]>();
  if (!columns.length) return out;
  const rowsIn = (side: 0 | 1) => picked.reduce((s, p) => s + (side === 0 ? p.refRows : p.curRows), 0);
  const per = Math.min(columnsPerSort(rowsIn(0)), columnsPerSort(rowsIn(1)));
  const list: DuckDBValue = listValue(values);
  for (let i = 0; i < columns.length; i += per) {
    const batch = columns.slice(i, i + per);
    // sides[column][segment]: [reference, current], for this batch only.
    const sides = new Map(batch.map((c) => [c, values.map(() => [] as SortedSide[])]));
    for (const [s, side] of [ref, cur].entries()) {
      const from = await engine.reader(side.location, side.format, 1);
      const idx = segmentIndex(keys[s]!, 2);
      const counts = await engine.rows(
        `SELECT ${idx} AS ${INDEX}, ${batch.map((c, k) => `count(${ident(c)})::BIGINT AS "n${k}"`).join(', ')} FROM ${from} WHERE ${idx} IS NOT NULL GROUP BY ${INDEX}`,
        [side.location, list],
        side.location,
      );
      // n[segment][column]: the non-null values of each, which is where the sorted stream is cut.
      const n = values.map(() => batch.map(() => 0));
      for (const r of counts) batch.forEach((_, k) => (n[Number(r[INDEX]) - 1]![k] = Number(r[`n${k}`] ?? 0)));
      const total = n.flat().reduce((s, x) => s + x, 0);
      const all = await engine.doubles(
        `SELECT v FROM (SELECT ${idx} AS g, unnest(range(${batch.length})) AS k, unnest([${batch.map((c) => `${ident(c)}::DOUBLE`).join(', ')}]) AS v FROM ${from} WHERE ${idx} IS NOT NULL) WHERE v IS NOT NULL ORDER BY g, k, v`,
        [side.location, list],
        total,
        side.location,
      );
      passes.n += 2;
      let offset = 0;
      values.forEach((_, g) =>
        batch.forEach((c, k) => {
          const count = n[g]![k]!;
          sides.get(c)![g]!.push(finitePart(all.subarray(offset, offset + count)));
          offset += count;
        }),
      );
    }
    for (const c of batch) out.set(c, sides.get(c)!.map(([a, b]) => verdictOf(c, a!, b!)));
  }
  return out;
}

type Counts = { categories: string[]; ref: number[]; cur: number[]; nRef: number; nCur: number };
/** Per segment, a column's category counts; 'too many' when the column has far more distinct values than categories. */
type SegmentCategories = Counts[] | 'too many';

async function segmentCategoryCounts(
  engine: DataEngine,
  ref: Side,
  cur: Side,
  keys: Keys,
  values: string[],
  columns: string[],
  passes: { n: number },
): Promise<Map<string, SegmentCategories>> {
  const out = new Map<string, SegmentCategories>();
  if (!columns.length) return out;
  const list: DuckDBValue = listValue(values);
  const label = `${ref.location} vs ${cur.location}`;
  // HyperLogLog per side over the picked segments' rows: a column past the limit stays out of the grouping.
  const distinct = await Promise.all(
    [ref, cur].map(async (side, s) => {
      const idx = segmentIndex(keys[s]!, 2);
      const [r] = await engine.rows(
        `SELECT ${columns.map((c, k) => `approx_count_distinct(${ident(c)})::BIGINT AS "d${k}"`).join(', ')} FROM ${await engine.reader(side.location, side.format, 1)} WHERE ${idx} IS NOT NULL`,
        [side.location, list],
        side.location,
      );
      return columns.map((_, k) => Number(r?.[`d${k}`] ?? 0));
    }),
  );
  passes.n += 2;
  const counted = columns.filter((c, k) => {
    const many = Math.max(distinct[0]![k]!, distinct[1]![k]!) > MAX_CATEGORIES * 1.2;
    if (many) out.set(c, 'too many');
    return !many;
  });
  const from = [await engine.reader(ref.location, ref.format, 1), await engine.reader(cur.location, cur.format, 2)];
  for (let i = 0; i < counted.length; i += COUNT_BATCH_COLUMNS) {
    const batch = counted.slice(i, i + COUNT_BATCH_COLUMNS);
    const unpivot = from
      .map((f, s) => `SELECT ${s} AS s, ${segmentIndex(keys[s]!, 3)} AS g, unnest(range(${batch.length})) AS k, unnest([${batch.map((c) => `${ident(c)}::VARCHAR`).join(', ')}]) AS v FROM ${f} WHERE ${segmentIndex(keys[s]!, 3)} IS NOT NULL`)
      .join(' UNION ALL ');
    const rows = await engine.rows(
      `SELECT g, k, v, count(*) FILTER (WHERE s = 0)::BIGINT AS a, count(*) FILTER (WHERE s = 1)::BIGINT AS b FROM (${unpivot}) WHERE v IS NOT NULL GROUP BY g, k, v ORDER BY g, k, v`,
      [ref.location, cur.location, list],
      label,
    );
    passes.n += 1;
    const per = batch.map(() => values.map((): Counts => ({ categories: [], ref: [], cur: [], nRef: 0, nCur: 0 })));
    for (const r of rows) {
      addCategory(per[Number(r.k)]![Number(r.g) - 1]!, String(r.v), Number(r.a), Number(r.b));
    }
    batch.forEach((name, k) => out.set(name, per[k]!));
  }
  return out;
}

function untested(t: Tested, kind: 'numeric' | 'categorical', note: string, stats: Record<string, number> = {}): ColumnDrift {
  const test = t.override.test ?? (kind === 'numeric' ? 'ks' : 'chisquare');
  return { column: t.name, kind, test, statistic: NaN, pValue: null, threshold: t.override.threshold ?? DEFAULT_THRESHOLD[test], drifted: false, stats, note };
}

/** The verdict of one test on its statistics, as detect.ts's columnDrift decides it. */
function verdict(t: Tested, kind: 'numeric' | 'categorical', stats: Record<string, number>, refValues: number, distinct: number, smallRows: number, histogram: DriftHistogram | undefined): ColumnDrift {
  return testVerdict(t.name, kind, t.override.test ?? defaultTest(kind, refValues, distinct, smallRows), t.override.threshold, stats, histogram);
}

function numericColumn(t: Tested, a: SortedSide, b: SortedSide, smallRows: number): ColumnDrift {
  const s = statsFromSorted(a, b, t.type === 'integer');
  if (s.nRef === 0 || s.nCur === 0) return untested(t, 'numeric', 'no finite values on one side; not tested');
  if (s.distinct > 5) return verdict(t, 'numeric', numericRecord(s), s.nRef, s.distinct, smallRows, numericHistogram(s));
  // A handful of values: compared as categories, as at dataset level. With at most 5 values over both sides the
  // bins are one per value (evidentlyBins), i.e. exactly the category counts.
  const counts = { categories: s.binValues!.map(String), ref: s.refBins, cur: s.curBins, nRef: s.nRef, nCur: s.nCur };
  return verdict(t, 'numeric', categoricalStats(counts), s.nRef, s.distinct, smallRows, categoricalHistogram(counts));
}

function categoricalColumn(t: Tested, k: Counts, smallRows: number): ColumnDrift {
  if (k.nRef === 0 || k.nCur === 0) return untested(t, 'categorical', 'no non-null values on one side; not tested');
  if (k.categories.length > MAX_CATEGORIES) return untested(t, 'categorical', `${k.categories.length} categories (an id?); not tested`);
  return verdict(t, 'categorical', categoricalStats(k), k.nRef, k.categories.length, smallRows, categoricalHistogram(k));
}

/** What the check carries of a segment report (history-sized): per segment its share and drifted columns. */
export type SegmentEvidence = SegmentDriftEvidence;

/** Drifted column names kept per segment in the evidence (each cut to 100 characters); the report file has them all. */
const EVIDENCE_COLUMNS = 20;
/** The evidence travels in workflow history (check result, decision): at most this many bytes in all, as JSON. */
export const EVIDENCE_MAX_BYTES = 96 * 1024;
/** Of which the values not tested may take at most this many: the tested segments are the evidence. */
const NOT_TESTED_MAX_BYTES = 16 * 1024;
/** The envelope around the two lists (share threshold, counts, brackets), kept free in the byte budget. */
const ENVELOPE_BYTES = 512;

/** Entries, in order, while their JSON (with the separating comma) fits in `budget` bytes; and the bytes taken. */
function withinBytes<T>(entries: T[], budget: number): { kept: T[]; bytes: number } {
  const kept: T[] = [];
  let bytes = 0;
  for (const e of entries) {
    const size = Buffer.byteLength(JSON.stringify(e)) + 1;
    if (bytes + size > budget) break;
    bytes += size;
    kept.push(e);
  }
  return { kept, bytes };
}

/**
 * The check's evidence: per segment its rows, share and drifted columns, bounded in bytes (all of it, the values not
 * tested included: a value or column name of 200 control characters is 1,200 bytes of JSON). Segments the rule
 * watches come first, then the most drifted; what does not fit is counted in `omitted` and `notTestedOmitted` (the
 * report file keeps everything).
 */
export function segmentEvidence(r: SegmentDriftReport, watch: { column?: string | undefined; segments?: string[] | undefined } = {}): SegmentEvidence {
  const watched = (s: SegmentResult) => (watch.column === undefined || s.column === watch.column) && (!watch.segments || watch.segments.includes(s.value));
  const all = r.columns.flatMap((c) => c.segments).sort((a, b) => Number(watched(b)) - Number(watched(a)) || b.driftedShare - a.driftedShare);
  const allNotTested = r.columns.flatMap((c) => c.notTested.slice(0, 20).map((n) => ({ column: segmentLabel(c.column), value: n.value, why: n.why })));
  const notTested = withinBytes(allNotTested, NOT_TESTED_MAX_BYTES);
  const entries = all.map((s) => ({ column: segmentLabel(s.column), value: s.value, refRows: s.refRows, curRows: s.curRows, driftedShare: s.driftedShare, datasetDrift: s.datasetDrift, driftedColumns: s.driftedColumns.slice(0, EVIDENCE_COLUMNS).map((c) => c.slice(0, 100)) }));
  const segments = withinBytes(entries, EVIDENCE_MAX_BYTES - ENVELOPE_BYTES - notTested.bytes).kept;
  // Most drifted first, as the rule and the report read them.
  segments.sort((a, b) => b.driftedShare - a.driftedShare || b.refRows + b.curRows - (a.refRows + a.curRows));
  return {
    datasetShareThreshold: r.datasetShareThreshold,
    segments,
    notTested: notTested.kept,
    ...(all.length > segments.length ? { omitted: all.length - segments.length } : {}),
    ...(allNotTested.length > notTested.kept.length ? { notTestedOmitted: allNotTested.length - notTested.kept.length } : {}),
  };
}
