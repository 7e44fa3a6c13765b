import type { ValidationConfig } from '../config/model-schema.js';

type ColumnRule = Partial<ValidationConfig['columns'][string]> & { required: boolean; severity: 'error' | 'warn' };
import { parseDurationMs } from '../duration.js';
import { logicalType, satisfies, isNumeric } from './column-types.js';
import type { DuckDBValue } from '@duckdb/node-api';
import { CSV_SAMPLE_ROWS, ident, readerFor, type DataEngine, type DataFormat } from './engine.js';
import { describe, type ColumnSchema } from './fingerprint.js';

export interface Violation {
  rule: string;
  column: string | null;
  expected: string;
  observed: string;
  samples: unknown[];
  severity: 'error' | 'warn';
}

export interface ValidationReport {
  location: string;
  rows: number;
  violations: Violation[];
  passed: boolean;
}

interface Target {
  data: { target: string; format: DataFormat };
  validation: ValidationConfig;
}

const SAMPLES = 5;

const CAST_FOR: Record<string, string> = { numeric: 'DOUBLE', integer: 'BIGINT', boolean: 'BOOLEAN', timestamp: 'TIMESTAMP' };

/** NaN and ±Infinity become readable strings: JSON would turn them into null. */
const shownValue = (v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v);

/**
 * Compares a dataset's schema with the one the production model was trained on: a column the model
 * was trained with that is now missing, or whose type changed, is an error; a new column is
 * reported with the configured severity.
 */
export function compareSchemas(
  current: { name: string; type: string }[],
  trained: { name: string; type: string }[],
  newColumns: 'allow' | 'warn' | 'error',
): Violation[] {
  const now = new Map(current.map((c) => [c.name, c.type]));
  const before = new Map(trained.map((c) => [c.name, c.type]));
  const out: Violation[] = [];
  for (const [name, type] of before) {
    const t = now.get(name);
    if (t === undefined) out.push({ rule: 'schema', column: name, expected: `present (trained with ${type})`, observed: 'missing', samples: [], severity: 'error' });
    else if (logicalType(t) !== logicalType(type)) out.push({ rule: 'schema', column: name, expected: `${logicalType(type)} (${type}) as in training`, observed: `${logicalType(t)} (${t})`, samples: [], severity: 'error' });
  }
  if (newColumns !== 'allow') {
    for (const [name, type] of now) {
      if (!before.has(name)) out.push({ rule: 'schema', column: name, expected: 'only columns the production model was trained with', observed: `new column (${type})`, samples: [], severity: newColumns });
    }
  }
  return out;
}

/** Columns per query: wide data is checked in a bounded number of passes, never one per column. */
export const COLUMNS_PER_QUERY = 500;

/** One column's aggregates in a batched query; `param` binds a value and returns its placeholder. */
type Aggregates = (param: (v: DuckDBValue) => string) => string[];

/**
 * Runs each column's aggregates over `from`, COLUMNS_PER_QUERY columns per query (one scan of the
 * data each), and returns each column's values in the order its aggregates were listed.
 */
async function batched(engine: DataEngine, location: string, from: string, perColumn: Aggregates[]): Promise<unknown[][]> {
  const out: unknown[][] = perColumn.map(() => []);
  for (let start = 0; start < perColumn.length; start += COLUMNS_PER_QUERY) {
    const params: DuckDBValue[] = [location];
    const param = (v: DuckDBValue) => `$${params.push(v)}`;
    const select: string[] = [];
    const slots: [number, number][] = [];
    perColumn.slice(start, start + COLUMNS_PER_QUERY).forEach((agg, i) =>
      agg(param).forEach((expr, k) => {
        select.push(`${expr} AS "a${select.length}"`);
        slots.push([start + i, k]);
      }),
    );
    if (select.length === 0) continue;
    const [row] = await engine.rows(`SELECT ${select.join(', ')} FROM ${from}`, params, location);
    slots.forEach(([c, k], j) => (out[c]![k] = row?.[`a${j}`] ?? null));
  }
  return out;
}

/**
 * batched() in two rounds, for aggregates whose first is a count of bad values and the rest describe
 * them (samples, first row): the descriptions are computed only for the columns with a count above
 * zero, since a filtered min() over text costs several times a count on wide data. A column's
 * `probe`, when given, replaces its count in the first round: a cheaper aggregate that is above zero
 * exactly when the count is (min and max of a column show whether any value is out of range or
 * non-finite, without a filter per column); the count itself then comes with the details.
 */
async function countsThenDetails(engine: DataEngine, location: string, from: string, perColumn: Aggregates[], probes: (Aggregates | undefined)[] = []): Promise<unknown[][]> {
  const counts = await batched(engine, location, from, perColumn.map((agg, i) => probes[i] ?? ((param) => agg(param).slice(0, 1))));
  const wanted = perColumn.map((agg, i) => Number(counts[i]![0] ?? 0) > 0 && (agg(() => '$1').length > 1 || probes[i] !== undefined));
  const details = await batched(engine, location, from, perColumn.filter((_, i) => wanted[i]));
  let k = 0;
  return perColumn.map((_, i) => (wanted[i] ? details[k++]! : probes[i] ? [0] : counts[i]!));
}

/**
 * The condition "this text value is not a valid `cast`". An integer must also be whole: DuckDB's
 * TRY_CAST('1.5' AS BIGINT) rounds to 2.
 */
function notCastable(v: string, cast: string): string {
  const bad = `TRY_CAST(${v} AS ${cast}) IS NULL`;
  return INTEGER_CAST.test(cast) ? `(${bad} OR TRY_CAST(${v} AS DOUBLE) <> TRY_CAST(${v} AS ${cast})::DOUBLE)` : bad;
}
const INTEGER_CAST = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/;
/** Sniffed types worth checking row by row; VARCHAR holds anything, nested types never come from a CSV. */
const CHECKABLE = /^(BOOLEAN|TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|DOUBLE|FLOAT|REAL|DECIMAL\(\d+,\s*\d+\)|DATE|TIME|TIMESTAMP|TIMESTAMP WITH TIME ZONE)$/;

interface TypeFailure {
  count: number;
  firstRow: number;
  first: unknown;
  last: unknown;
}

/**
 * DuckDB guesses a CSV's column types from its first CSV_SAMPLE_ROWS rows; a bad value after them
 * passes the typed checks and fails whoever reads the file next. So every row of a CSV is read as
 * text once, and each column checked against the type the config declares (or else the one DuckDB
 * guessed): how many values do not fit, the first with its row number (1 = the first data row).
 */
async function typeFailures(engine: DataEngine, location: string, format: DataFormat, targets: Map<string, string>): Promise<Map<string, TypeFailure>> {
  const out = new Map<string, TypeFailure>();
  if (!readerFor(location, format).startsWith('read_csv') || targets.size === 0) return out;
  const from = `(SELECT row_number() OVER () AS "__retrain_row", * FROM ${await engine.reader(location, format, 1, { allVarchar: true })})`;
  const names = [...targets.keys()];
  const results = await countsThenDetails(engine, location, from, names.map((name) => () => {
    const col = ident(name);
    const bad = `${col} IS NOT NULL AND ${notCastable(col, targets.get(name)!)}`;
    return [
      `count(*) FILTER (WHERE ${bad})::BIGINT`,
      `min("__retrain_row") FILTER (WHERE ${bad})::BIGINT`,
      `arg_min(${col}, "__retrain_row") FILTER (WHERE ${bad})`,
      `arg_max(${col}, "__retrain_row") FILTER (WHERE ${bad})`,
    ];
    // (the count first: countsThenDetails reads the rest only for columns with bad values)
  }));
  names.forEach((name, i) => {
    const [count, firstRow, first, last] = results[i]!;
    if (Number(count) > 0) out.set(name, { count: Number(count), firstRow: Number(firstRow), first, last });
  });
  return out;
}

/** Runs every configured rule in DuckDB and lists every violation, not just the first. */
/**
 * `expectedClasses`: the label values the production model was trained with (or the target's `allowed`); a class
 * that disappeared entirely has share 0 and is a classBalance violation, which grouping the current data alone
 * cannot see.
 */
/**
 * `known`: the data's schema (describe()) and row count when the caller has them for these very bytes (a snapshot
 * records both as it is taken), so they are not read twice.
 */
export async function validateDataset(engine: DataEngine, location: string, model: Target, now = new Date(), expectedClasses: readonly string[] = [], known: { schema?: ColumnSchema[]; rows?: number } = {}): Promise<ValidationReport> {
  const rules = model.validation;
  const from = await engine.reader(location, model.data.format);
  const q = (sql: string, params: unknown[] = []) => engine.rows(sql, [location, ...(params as never[])], location);
  const schema = new Map((known.schema ?? (await describe(engine, location, model.data.format))).map((c) => [c.name, c.type]));
  const rows = known.rows ?? Number((await q(`SELECT count(*)::BIGINT AS n FROM ${from}`))[0]?.n ?? 0);
  const out: Violation[] = [];
  const add = (v: Omit<Violation, 'samples' | 'severity'> & Partial<Violation>) =>
    out.push({ samples: [], severity: 'error', ...v });

  if (rows < rules.minRows) add({ rule: 'minRows', column: null, expected: `>= ${rules.minRows}`, observed: String(rows) });
  if (rules.maxRows !== undefined && rows > rules.maxRows) add({ rule: 'maxRows', column: null, expected: `<= ${rules.maxRows}`, observed: String(rows) });

  const columns: Record<string, ColumnRule> = { [model.data.target]: { required: true, severity: 'error' }, ...rules.columns };

  // Pass 1 (CSV): every row, as text, against the declared or the guessed type.
  const castTargets = new Map<string, string>();
  for (const [name, duckType] of schema) {
    const declared = columns[name]?.type;
    const cast = declared ? CAST_FOR[declared] : CHECKABLE.test(duckType) ? duckType : undefined;
    if (cast) castTargets.set(name, cast);
  }
  const failures = await typeFailures(engine, location, model.data.format, castTargets);
  const failureSamples = (f: TypeFailure) => [...new Set([f.first, f.last])];
  const failureText = (f: TypeFailure, wanted: string) =>
    `${f.count} of ${rows} value(s) not ${wanted}, the first ${JSON.stringify(f.first)} at row ${f.firstRow}`;

  // Pass 2: the rules on typed values, every column's aggregates batched into a few scans.
  const checks: { name: string; kind: 'nulls' | 'range' | 'allowed' | 'finite'; agg: Aggregates; probe?: Aggregates; rule?: ColumnRule; limit?: number; bounds?: [number, number] }[] = [];
  for (const [name, rule] of Object.entries(columns)) {
    const duckType = schema.get(name);
    const severity = rule.severity;
    if (!duckType) {
      if (rule.required) add({ rule: 'required', column: name, expected: 'column present', observed: 'missing', severity });
      continue;
    }
    const type = logicalType(duckType);
    const failed = failures.get(name);
    if (rule.type && (!satisfies(type, rule.type) || failed)) {
      // The values that do not fit are the ones a person needs to see.
      const observed = failed ? `${type} (${duckType}): ${failureText(failed, rule.type)}` : `${type} (${duckType})`;
      add({ rule: 'type', column: name, expected: rule.type, observed, samples: failed ? failureSamples(failed) : [], severity });
      continue;
    }
    if (failed) continue; // reported below with the guessed type; its typed values cannot be read
    const col = ident(name);
    const maxNull = rule.maxNullRatio ?? rules.maxNullRatio;
    if (maxNull !== undefined && rows > 0) {
      checks.push({ name, kind: 'nulls', rule, limit: maxNull, agg: () => [`(count(*) - count(${col}))::BIGINT`] });
    }
    if ((rule.min !== undefined || rule.max !== undefined) && isNumeric(type)) {
      const lo = rule.min ?? -Infinity;
      const hi = rule.max ?? Infinity;
      checks.push({
        name,
        kind: 'range',
        rule,
        bounds: [lo, hi],
        agg: (param) => {
          const cond = `${col} IS NOT NULL AND (${col}::DOUBLE < ${param(lo)}::DOUBLE OR ${col}::DOUBLE > ${param(hi)}::DOUBLE OR isnan(${col}::DOUBLE))`;
          return [`count(*) FILTER (WHERE ${cond})::BIGINT`, `min(${col}::DOUBLE) FILTER (WHERE ${cond})`, `max(${col}::DOUBLE) FILTER (WHERE ${cond})`];
        },
        // DuckDB orders NaN above every number, so max() is NaN when any value is.
        probe: (param) => [`coalesce(min(${col}::DOUBLE) < ${param(lo)}::DOUBLE OR max(${col}::DOUBLE) > ${param(hi)}::DOUBLE OR isnan(max(${col}::DOUBLE)), false)::INTEGER`],
      });
    }
    if (rule.allowed) {
      const allowed = rule.allowed.map(String);
      checks.push({
        name,
        kind: 'allowed',
        rule,
        agg: (param) => {
          const cond = `${col} IS NOT NULL AND ${col}::VARCHAR NOT IN (${allowed.map((a) => `${param(a)}::VARCHAR`).join(', ')})`;
          return [`count(DISTINCT ${col}::VARCHAR) FILTER (WHERE ${cond})::BIGINT`, `min(${col}::VARCHAR) FILTER (WHERE ${cond})`, `max(${col}::VARCHAR) FILTER (WHERE ${cond})`];
        },
      });
    }
  }
  // NaN and ±Infinity poison most training code; refuse them in every floating-point column unless allowed.
  if (!rules.allowNonFinite) {
    for (const [name, duckType] of schema) {
      if (!/^(FLOAT|DOUBLE|REAL)$/.test(duckType) || failures.has(name)) continue;
      const col = ident(name);
      const cond = `isnan(${col}) OR isinf(${col})`;
      checks.push({
        name,
        kind: 'finite',
        agg: () => [`count(*) FILTER (WHERE ${cond})::BIGINT`, `min(${col}::VARCHAR) FILTER (WHERE ${cond})`, `max(${col}::VARCHAR) FILTER (WHERE ${cond})`],
        // -Infinity is the smallest value, +Infinity and NaN the largest: min and max show any of them.
        probe: () => [`coalesce(NOT isfinite(min(${col})) OR NOT isfinite(max(${col})), false)::INTEGER`],
      });
    }
  }
  const results = await countsThenDetails(engine, location, from, checks.map((c) => c.agg), checks.map((c) => c.probe));
  checks.forEach((c, i) => {
    const [n, lo, hi] = results[i]!;
    const count = Number(n ?? 0);
    const samples = [...new Set([lo, hi].filter((v) => v !== null && v !== undefined).map(shownValue))];
    const severity = c.rule?.severity ?? 'error';
    if (c.kind === 'nulls') {
      const ratio = count / rows;
      if (ratio > c.limit!) add({ rule: 'maxNullRatio', column: c.name, expected: `<= ${c.limit}`, observed: ratio.toFixed(4), severity });
    } else if (count === 0) return;
    else if (c.kind === 'range') add({ rule: 'range', column: c.name, expected: `[${c.bounds![0]}, ${c.bounds![1]}]`, observed: `${count} value(s) outside`, samples, severity });
    else if (c.kind === 'allowed') add({ rule: 'allowed', column: c.name, expected: c.rule!.allowed!.map(String).join('|'), observed: 'unknown categories', samples, severity });
    else add({ rule: 'finite', column: c.name, expected: 'finite numbers (no NaN or ±Infinity)', observed: `${count} non-finite value(s)`, samples });
  });
  // A column without a declared type whose later rows break the type DuckDB guessed from the first ones.
  for (const [name, f] of failures) {
    if (columns[name]?.type) continue;
    const duckType = schema.get(name)!;
    add({ rule: 'type', column: name, expected: `${duckType}, the type of its first ${CSV_SAMPLE_ROWS} rows`, observed: failureText(f, duckType), samples: failureSamples(f) });
  }

  // Rules over a column whose values do not fit its type would only fail to read it; its type violation says why.
  const unreadable = (name: string) => failures.has(name);
  if (rules.uniqueKey?.length && !rules.uniqueKey.some(unreadable)) {
    const missing = rules.uniqueKey.filter((k) => !schema.has(k));
    if (missing.length === 0) {
      const key = rules.uniqueKey.map(ident).join(', ');
      const dup = await q(`SELECT ${key}, count(*)::BIGINT AS n FROM ${from} GROUP BY ALL HAVING count(*) > 1 LIMIT ${SAMPLES}`);
      if (dup.length > 0) add({ rule: 'uniqueKey', column: rules.uniqueKey.join(','), expected: 'unique', observed: 'duplicates', samples: dup });
    } else add({ rule: 'uniqueKey', column: missing.join(','), expected: 'column present', observed: 'missing' });
  }

  if (rules.classBalance && schema.has(model.data.target) && rows > 0 && !unreadable(model.data.target)) {
    const t = ident(model.data.target);
    const shares = await q(`SELECT ${t}::VARCHAR AS class, count(*)::DOUBLE / ${rows} AS share FROM ${from} GROUP BY 1 ORDER BY 1`);
    for (const s of shares) {
      const share = Number(s.share);
      const { min, max } = rules.classBalance;
      if (share < min || (max !== undefined && share > max)) {
        add({ rule: 'classBalance', column: model.data.target, expected: `[${min}, ${max ?? 1}]`, observed: `class ${s.class}: ${share.toFixed(4)}` });
      }
    }
    const seen = new Set(shares.map((s) => String(s.class)));
    const gone = [...new Set(expectedClasses)].filter((c) => !seen.has(c));
    if (gone.length > 0) {
      add({ rule: 'classBalance', column: model.data.target, expected: `every class present (${expectedClasses.length} expected), share in [${rules.classBalance.min}, ${rules.classBalance.max ?? 1}]`, observed: `class${gone.length > 1 ? 'es' : ''} missing: ${gone.slice(0, SAMPLES).join(', ')}${gone.length > SAMPLES ? ', …' : ''} (share 0)`, samples: gone.slice(0, SAMPLES) });
    }
  }

  if (rules.freshness && !unreadable(rules.freshness.column)) {
    const { column, maxAge } = rules.freshness;
    if (!schema.has(column)) add({ rule: 'freshness', column, expected: 'column present', observed: 'missing' });
    else {
      const [r] = await q(`SELECT max(${ident(column)})::TIMESTAMP::VARCHAR AS newest FROM ${from}`);
      const newest = r?.newest ? new Date(`${String(r.newest).replace(' ', 'T')}Z`) : undefined;
      const age = newest ? now.getTime() - newest.getTime() : Infinity;
      if (age > parseDurationMs(maxAge)) add({ rule: 'freshness', column, expected: `newest within ${maxAge}`, observed: newest ? `newest ${newest.toISOString()}` : 'no timestamps' });
    }
  }

  return { location, rows, violations: out, passed: !out.some((v) => v.severity === 'error') };
}

/** At most this many distinct labels are read as a model's expected classes (a regression target is not a class list). */
export const MAX_EXPECTED_CLASSES = 1000;

/** The distinct values of the target column in a dataset (e.g. the production model's training snapshot). */
export async function classesIn(engine: DataEngine, location: string, format: DataFormat, target: string): Promise<string[]> {
  const from = await engine.reader(location, format);
  const rows = await engine.rows(`SELECT DISTINCT ${ident(target)}::VARCHAR AS class FROM ${from} WHERE ${ident(target)} IS NOT NULL LIMIT ${MAX_EXPECTED_CLASSES + 1}`, [location], location);
  return rows.length > MAX_EXPECTED_CLASSES ? [] : rows.map((r) => String(r.class));
}
