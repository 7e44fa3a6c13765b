import { FailureType, RetrainError } from '../../errors.js';
import { ident, type DataEngine, type DataFormat } from '../engine.js';
import { needsCalibration } from './calibration-check.js';
import { fitIsotonic, type IsotonicFit } from './isotonic.js';
import { fromConfusion, METRICS, realizedMetrics, type EstimateMetric, type MetricValues } from './realized.js';
import { samplingComponents, samplingError, type SamplingComponents } from './sampling-error.js';

/**
 * Confidence-based performance estimation (NannyML's CBPE) for binary classifiers: calibrate the reference's
 * scores against its labels, then read the expected confusion matrix of unlabelled data off its calibrated scores.
 * Per-row work runs in DuckDB (calibration by ASOF join against the isotonic knots, one sort for ROC AUC);
 * JS sees the reference as typed arrays and the current data only as per-chunk aggregates.
 */
export interface DatasetSide {
  location: string;
  format?: DataFormat;
}

export interface ScoreColumns {
  /** Predicted probability of the positive class (1). */
  proba: string;
  /** Predicted class (0/1); default: proba >= threshold. */
  pred?: string;
}

export interface EstimateOptions {
  /** Label column of the reference (0/1). */
  target: string;
  reference: ScoreColumns;
  /** Column names on the current data; default: the reference's. */
  current?: ScoreColumns;
  threshold?: number;
  /** Equal-size chunks of the current data in file order (the last one takes the remainder). */
  chunks?: number;
  /** Or chunks by time: `every` (e.g. 1w, 1d, 6h) of the timestamp column `by`; weeks start on Monday (00:00 UTC). */
  period?: { by: string; every: string };
}

const PERIOD_UNITS: Record<string, string> = { h: 'hours', d: 'days', w: 'weeks' };

function periodInterval(every: string): string {
  const m = /^([1-9]\d{0,3})(h|d|w)$/.exec(every);
  if (!m) throw new RetrainError(FailureType.Config, `every: expected a whole number of hours, days or weeks such as 1w, 1d, 6h; got ${JSON.stringify(every)}`, { field: 'every', value: every });
  return `INTERVAL ${m[1]} ${PERIOD_UNITS[m[2]!]}`;
}

export interface MetricEstimate {
  value: number;
  samplingError: number;
  lower: number;
  upper: number;
}

export interface ChunkEstimate {
  /** Row range in file order, end exclusive (time chunks: 0 and the chunk's row count). */
  start: number;
  end: number;
  /** For time chunks: the period [from, to). */
  period?: { from: string; to: string };
  metrics: Record<EstimateMetric, MetricEstimate>;
}

export interface EstimateReport {
  reference: { location: string; rows: number; calibrated: boolean; realized: MetricValues };
  current: { location: string; rows: number };
  whole: ChunkEstimate;
  chunks: ChunkEstimate[];
}

/** Band half-width in sampling errors, as NannyML's SAMPLING_ERROR_RANGE. */
export const BAND_SAMPLING_ERRORS = 3;

const fail = (location: string, message: string, details: Record<string, unknown>) =>
  new RetrainError(FailureType.DataValidation, `${location}: ${message}`, { file: location, ...details });

const predExpr = (c: ScoreColumns, threshold: number) =>
  c.pred ? `CAST(${ident(c.pred)} AS DOUBLE)` : `CASE WHEN CAST(${ident(c.proba)} AS DOUBLE) >= ${threshold} THEN 1.0 ELSE 0.0 END`;

/** Refuses what the estimate cannot use: missing columns, NULL or out-of-range scores, classes other than 0/1. */
async function checkColumns(engine: DataEngine, side: DatasetSide, cols: ScoreColumns, target?: string): Promise<number> {
  const reader = await engine.reader(side.location, side.format ?? 'auto');
  const names = (await engine.rows(`SELECT column_name FROM (DESCRIBE SELECT * FROM ${reader})`, [side.location], side.location)).map((r) => String(r.column_name));
  for (const [field, col] of [['proba', cols.proba], ['pred', cols.pred], ['target', target]] as const) {
    if (col !== undefined && !names.includes(col)) throw fail(side.location, `${field} column "${col}" not found (columns: ${names.slice(0, 20).join(', ')})`, { field, value: col });
  }
  const p = `TRY_CAST(${ident(cols.proba)} AS DOUBLE)`;
  const checks = [
    `count(*) AS n`,
    `count(*) FILTER (WHERE ${p} IS NULL OR NOT (${p} BETWEEN 0 AND 1)) AS bad_proba`,
    `any_value(${ident(cols.proba)}::VARCHAR) FILTER (WHERE ${p} IS NULL OR NOT (${p} BETWEEN 0 AND 1)) AS bad_proba_sample`,
    ...(cols.pred ? [`count(*) FILTER (WHERE ${ident(cols.pred)} IS NULL OR ${ident(cols.pred)}::VARCHAR NOT IN ('0', '1', '0.0', '1.0')) AS bad_pred`] : []),
    ...(target ? [`count(*) FILTER (WHERE ${ident(target)} IS NULL OR ${ident(target)}::VARCHAR NOT IN ('0', '1', '0.0', '1.0')) AS bad_target`] : []),
  ];
  const [r] = await engine.rows(`SELECT ${checks.join(', ')} FROM ${reader}`, [side.location], side.location);
  const n = Number(r!.n);
  if (n === 0) throw fail(side.location, 'no rows to estimate on', { field: 'rows', value: 0 });
  if (Number(r!.bad_proba)) throw fail(side.location, `${r!.bad_proba} row(s) of "${cols.proba}" are not probabilities in [0, 1] (e.g. ${JSON.stringify(r!.bad_proba_sample)})`, { field: cols.proba, value: r!.bad_proba_sample });
  if (Number(r!.bad_pred ?? 0)) throw fail(side.location, `${r!.bad_pred} row(s) of "${cols.pred}" are not a class 0 or 1`, { field: cols.pred });
  if (Number(r!.bad_target ?? 0)) throw fail(side.location, `${r!.bad_target} row(s) of "${target}" are not a label 0 or 1 (binary classification only)`, { field: target });
  return n;
}

interface ReferenceFit {
  rows: number;
  calibration: IsotonicFit | null;
  components: SamplingComponents;
  realized: MetricValues;
}

async function fitReference(engine: DataEngine, side: DatasetSide, opts: EstimateOptions, threshold: number): Promise<ReferenceFit> {
  const rows = await checkColumns(engine, side, opts.reference, opts.target);
  const reader = await engine.reader(side.location, side.format ?? 'auto');
  const p = `CAST(${ident(opts.reference.proba)} AS DOUBLE)`;
  const code = `(CAST(${ident(opts.target)} AS DOUBLE) * 2 + ${predExpr(opts.reference, threshold)})`;
  // Two typed columns in one order: sorted by score, ties by (label, pred), so the arrays line up row by row.
  const order = `ORDER BY ${p}, ${code}`;
  const score = await engine.doubles(`SELECT ${p} FROM ${reader} ${order}`, [side.location], rows, side.location);
  const codes = await engine.doubles(`SELECT ${code} FROM ${reader} ${order}`, [side.location], rows, side.location);
  const label = new Float64Array(rows);
  const pred = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    label[i] = codes[i]! >= 2 ? 1 : 0;
    pred[i] = codes[i]! % 2;
  }
  const calibration = needsCalibration(score, label) ? fitIsotonic(score, label) : null;
  return { rows, calibration, components: samplingComponents(score, label, pred), realized: realizedMetrics(score, label, pred) };
}

/** The calibrated score as SQL: an ASOF join finds the knot at or below the score; linear in between, clipped. */
function calibratedSql(fit: IsotonicFit | null): { knots: string; join: string; value: string } {
  if (!fit) return { knots: '', join: '', value: 's.p' };
  const rows: string[] = [];
  for (let i = 0; i < fit.x.length; i++) {
    const slope = i + 1 < fit.x.length ? (fit.y[i + 1]! - fit.y[i]!) / (fit.x[i + 1]! - fit.x[i]!) : 0;
    rows.push(`(${fit.x[i]!}::DOUBLE, ${fit.y[i]!}::DOUBLE, ${slope}::DOUBLE)`);
  }
  return {
    knots: `knots(x0, y0, slope) AS (VALUES ${rows.join(', ')}),`,
    join: 'ASOF LEFT JOIN knots k ON s.p >= k.x0',
    value: `CASE WHEN k.x0 IS NULL THEN ${fit.y[0]!}::DOUBLE ELSE LEAST(1.0, GREATEST(0.0, k.y0 + k.slope * (s.p - k.x0))) END`,
  };
}

interface ChunkSums {
  n: number;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  auc: number;
  start: number;
  end: number;
}

/** One pass over the current data for the rows [start, end) in file order, or all rows. */
type Range = { start: number; end: number } | { by: string; from: string; interval: string } | null;

async function estimateRange(engine: DataEngine, side: DatasetSide, cols: ScoreColumns, threshold: number, fit: IsotonicFit | null, range: Range): Promise<ChunkSums> {
  const reader = await engine.reader(side.location, side.format ?? 'auto');
  const cal = calibratedSql(fit);
  // File order matters only for row chunks; the whole period and time chunks skip the row numbering.
  const rowChunk = range !== null && 'start' in range;
  const position = rowChunk ? 'row_number() OVER () - 1 AS i' : `${range ? `CAST(${ident(range.by)} AS TIMESTAMP)` : '0'} AS i`;
  const where = !range ? '' : rowChunk ? `WHERE i >= ${range.start} AND i < ${range.end}` : `WHERE i >= TIMESTAMP '${range.from}' AND i < TIMESTAMP '${range.from}' + ${range.interval}`;
  // Expected ROC AUC: rows by score descending, each adds (1 - c) false and c true positives; the area is the sum
  // of trapezoids. Rows with one score lie on one straight segment, so grouping them first changes nothing (and a
  // GROUP BY on the score is 3× faster than sorting every row at 10M rows).
  // Rows are grouped by score first (one hash pass), so calibration joins distinct scores, not rows: every row
  // with one score has the same calibrated probability.
  const sql = `
    WITH ${cal.knots}
    src AS (SELECT * FROM (SELECT CAST(${ident(cols.proba)} AS DOUBLE) AS p, ${predExpr(cols, threshold)} AS pred, ${position}
            FROM ${reader}) ${where}),
    grouped AS (SELECT p, sum(pred) AS npos, count(*) AS n FROM src GROUP BY p),
    cal AS (SELECT s.p, s.npos, s.n, ${cal.value} AS c FROM grouped s ${cal.join}),
    w AS (SELECT *, coalesce(sum(c * n) OVER (ORDER BY p DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before FROM cal)
    SELECT sum(n) AS n, sum(c * npos) AS tp, sum((1 - c) * npos) AS fp, sum(c * (n - npos)) AS fn, sum((1 - c) * (n - npos)) AS tn,
           sum((1 - c) * n * (2 * before + c * n)) / (2 * sum(c * n) * sum((1 - c) * n)) AS auc
    FROM w`;
  const [r] = await engine.rows(sql, [side.location], side.location);
  if (!r || !Number(r.n)) throw new RetrainError(FailureType.DataValidation, `${side.location}: no rows in ${range ? JSON.stringify(range) : 'the file'}`, { file: side.location });
  const start = range && 'start' in range ? range.start : 0;
  return { n: Number(r.n), tp: Number(r.tp), fp: Number(r.fp), fn: Number(r.fn), tn: Number(r.tn), auc: r.auc === null ? NaN : Number(r.auc), start, end: start + Number(r.n) };
}

function toEstimate(s: ChunkSums, components: SamplingComponents): ChunkEstimate {
  const values: MetricValues = { roc_auc: s.auc, ...fromConfusion(s.tp, s.fp, s.fn, s.tn) };
  const metrics = {} as Record<EstimateMetric, MetricEstimate>;
  for (const m of METRICS) {
    const se = samplingError(components[m], s.n);
    const value = values[m];
    metrics[m] = { value, samplingError: se, lower: Math.max(0, value - BAND_SAMPLING_ERRORS * se), upper: Math.min(1, value + BAND_SAMPLING_ERRORS * se) };
  }
  return { start: s.start, end: s.end, metrics };
}

/** Estimates ROC AUC, accuracy, precision, recall and F1 of unlabelled `current` from labelled `reference`. */
export async function estimateCbpe(engine: DataEngine, reference: DatasetSide, current: DatasetSide, opts: EstimateOptions): Promise<EstimateReport> {
  const threshold = opts.threshold ?? 0.5;
  const chunks = opts.chunks ?? 1;
  if (!Number.isInteger(chunks) || chunks < 1) throw new RetrainError(FailureType.Config, `chunks: expected a whole number >= 1, got ${chunks}`, { field: 'chunks', value: chunks });
  if (!(threshold > 0 && threshold < 1)) throw new RetrainError(FailureType.Config, `threshold: expected a number between 0 and 1, got ${threshold}`, { field: 'threshold', value: threshold });
  const ref = await fitReference(engine, reference, opts, threshold);
  const cols = opts.current ?? opts.reference;
  const rows = await checkColumns(engine, current, cols);
  if (opts.period && chunks > 1) throw new RetrainError(FailureType.Config, 'chunks: use either a number of chunks or a period (by/every), not both', { field: 'chunks', value: chunks });
  if (rows < chunks) throw new RetrainError(FailureType.Config, `chunks: ${chunks} chunks need at least as many rows; ${current.location} has ${rows}`, { field: 'chunks', value: chunks });
  const whole = await estimateRange(engine, current, cols, threshold, ref.calibration, null);
  // One query per chunk: a GROUP BY (chunk, score) over all chunks at once was 4× slower at 10M rows (one huge hash table).
  const size = Math.floor(rows / chunks);
  const parts: (ChunkSums & { period?: { from: string; to: string } })[] = [];
  for (let k = 0; chunks > 1 && k < chunks; k++) {
    parts.push(await estimateRange(engine, current, cols, threshold, ref.calibration, { start: k * size, end: k === chunks - 1 ? rows : (k + 1) * size }));
  }
  if (opts.period) {
    const interval = periodInterval(opts.period.every);
    const by = opts.period.by;
    const reader = await engine.reader(current.location, current.format ?? 'auto');
    const ts = `TRY_CAST(${ident(by)} AS TIMESTAMP)`;
    const [bad] = await engine.rows(`SELECT count(*) FILTER (WHERE ${ts} IS NULL) AS n, any_value(${ident(by)}::VARCHAR) FILTER (WHERE ${ts} IS NULL) AS sample FROM ${reader}`, [current.location], current.location);
    if (Number(bad!.n)) throw fail(current.location, `${bad!.n} row(s) of "${by}" are not timestamps (e.g. ${JSON.stringify(bad!.sample)})`, { field: by, value: bad!.sample });
    // Buckets aligned as DuckDB's time_bucket does (weeks from Monday 2000-01-03), so a week is an ISO week.
    const buckets = await engine.rows(
      `SELECT strftime(b, '%Y-%m-%d %H:%M:%S') AS b, strftime(b + ${interval}, '%Y-%m-%d %H:%M:%S') AS e FROM (SELECT DISTINCT time_bucket(${interval}, ${ts}) AS b FROM ${reader}) ORDER BY b`,
      [current.location],
      current.location,
    );
    if (buckets.length > 1000) throw new RetrainError(FailureType.Config, `every: ${opts.period.every} gives ${buckets.length} periods (at most 1000)`, { field: 'every', value: opts.period.every });
    for (const b of buckets) {
      const sums = await estimateRange(engine, current, cols, threshold, ref.calibration, { by, from: String(b.b), interval });
      parts.push({ ...sums, period: { from: `${String(b.b).replace(' ', 'T')}Z`, to: `${String(b.e).replace(' ', 'T')}Z` } });
    }
  }
  return {
    reference: { location: reference.location, rows: ref.rows, calibrated: ref.calibration !== null, realized: ref.realized },
    current: { location: current.location, rows },
    whole: toEstimate(whole, ref.components),
    chunks: parts.map((p) => ({ ...toEstimate(p, ref.components), ...(p.period ? { period: p.period } : {}) })),
  };
}
