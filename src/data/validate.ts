import type { ValidationConfig } from '../config/model-schema.js';

type ColumnRule = Partial<ValidationConfig['columns'][string]> & { required: boolean; severity: 'error' | 'warn' };
import { parseDurationMs } from '../duration.js';
import { logicalType, satisfies, isNumeric } from './column-types.js';
import { ident, readerFor, type DataEngine, type DataFormat } from './engine.js';
import { describe } from './fingerprint.js';

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

/** Runs every configured rule in DuckDB and lists every violation, not just the first. */
export async function validateDataset(engine: DataEngine, location: string, model: Target, now = new Date()): Promise<ValidationReport> {
  const rules = model.validation;
  const from = readerFor(location, model.data.format);
  const q = (sql: string, params: unknown[] = []) => engine.rows(sql, [location, ...(params as never[])], location);
  const schema = new Map((await describe(engine, location, model.data.format)).map((c) => [c.name, c.type]));
  const [countRow] = await q(`SELECT count(*)::BIGINT AS n FROM ${from}`);
  const rows = Number(countRow?.n ?? 0);
  const out: Violation[] = [];
  const add = (v: Omit<Violation, 'samples' | 'severity'> & Partial<Violation>) =>
    out.push({ samples: [], severity: 'error', ...v });

  if (rows < rules.minRows) add({ rule: 'minRows', column: null, expected: `>= ${rules.minRows}`, observed: String(rows) });
  if (rules.maxRows !== undefined && rows > rules.maxRows) add({ rule: 'maxRows', column: null, expected: `<= ${rules.maxRows}`, observed: String(rows) });

  const columns: Record<string, ColumnRule> = { [model.data.target]: { required: true, severity: 'error' }, ...rules.columns };
  for (const [name, rule] of Object.entries(columns)) {
    const duckType = schema.get(name);
    const severity = rule.severity;
    if (!duckType) {
      if (rule.required) add({ rule: 'required', column: name, expected: 'column present', observed: 'missing', severity });
      continue;
    }
    const type = logicalType(duckType);
    if (rule.type && !satisfies(type, rule.type)) {
      // The values that made DuckDB infer another type are the ones a person needs to see.
      const cast = CAST_FOR[rule.type];
      const samples = cast
        ? (await q(`SELECT DISTINCT ${ident(name)}::VARCHAR AS v FROM ${from} WHERE ${ident(name)} IS NOT NULL AND TRY_CAST(${ident(name)}::VARCHAR AS ${cast}) IS NULL LIMIT ${SAMPLES}`)).map((r) => r.v)
        : [];
      add({ rule: 'type', column: name, expected: rule.type, observed: `${type} (${duckType})`, samples, severity });
      continue;
    }
    const col = ident(name);
    const maxNull = rule.maxNullRatio ?? rules.maxNullRatio;
    if (maxNull !== undefined && rows > 0) {
      const [r] = await q(`SELECT count(*) FILTER (WHERE ${col} IS NULL)::BIGINT AS nulls FROM ${from}`);
      const ratio = Number(r?.nulls ?? 0) / rows;
      if (ratio > maxNull) add({ rule: 'maxNullRatio', column: name, expected: `<= ${maxNull}`, observed: ratio.toFixed(4), severity });
    }
    if ((rule.min !== undefined || rule.max !== undefined) && isNumeric(type)) {
      const lo = rule.min ?? -Infinity;
      const hi = rule.max ?? Infinity;
      const cond = `${col} IS NOT NULL AND (${col}::DOUBLE < $2::DOUBLE OR ${col}::DOUBLE > $3::DOUBLE OR isnan(${col}::DOUBLE))`;
      const bad = await q(`SELECT ${col} AS v FROM ${from} WHERE ${cond} LIMIT ${SAMPLES}`, [lo, hi]);
      if (bad.length > 0) {
        const [c] = await q(`SELECT count(*)::BIGINT AS n FROM ${from} WHERE ${cond}`, [lo, hi]);
        add({ rule: 'range', column: name, expected: `[${lo}, ${hi}]`, observed: `${c?.n} value(s) outside`, samples: bad.map((b) => shownValue(b.v)), severity });
      }
    }
    if (rule.allowed) {
      const allowed = rule.allowed.map(String);
      const slots = allowed.map((_, i) => `$${i + 2}::VARCHAR`).join(', ');
      const cond = `${col} IS NOT NULL AND ${col}::VARCHAR NOT IN (${slots})`;
      const bad = await q(`SELECT DISTINCT ${col}::VARCHAR AS v FROM ${from} WHERE ${cond} LIMIT ${SAMPLES}`, allowed);
      if (bad.length > 0) add({ rule: 'allowed', column: name, expected: allowed.join('|'), observed: 'unknown categories', samples: bad.map((b) => b.v), severity });
    }
  }

  // NaN and ±Infinity poison most training code; refuse them in every floating-point column unless allowed.
  if (!rules.allowNonFinite) {
    for (const [name, duckType] of schema) {
      if (!/^(FLOAT|DOUBLE|REAL)$/.test(duckType)) continue;
      const col = ident(name);
      const [r] = await q(`SELECT count(*) FILTER (WHERE isnan(${col}) OR isinf(${col}))::BIGINT AS n FROM ${from}`);
      if (Number(r?.n ?? 0) > 0) {
        const bad = await q(`SELECT ${col}::VARCHAR AS v FROM ${from} WHERE isnan(${col}) OR isinf(${col}) LIMIT ${SAMPLES}`);
        add({ rule: 'finite', column: name, expected: 'finite numbers (no NaN or ±Infinity)', observed: `${r?.n} non-finite value(s)`, samples: bad.map((b) => b.v) });
      }
    }
  }

  if (rules.uniqueKey?.length) {
    const missing = rules.uniqueKey.filter((k) => !schema.has(k));
    if (missing.length === 0) {
      const key = rules.uniqueKey.map(ident).join(', ');
      const dup = await q(`SELECT ${key}, count(*)::BIGINT AS n FROM ${from} GROUP BY ALL HAVING count(*) > 1 LIMIT ${SAMPLES}`);
      if (dup.length > 0) add({ rule: 'uniqueKey', column: rules.uniqueKey.join(','), expected: 'unique', observed: 'duplicates', samples: dup });
    } else add({ rule: 'uniqueKey', column: missing.join(','), expected: 'column present', observed: 'missing' });
  }

  if (rules.classBalance && schema.has(model.data.target) && rows > 0) {
    const t = ident(model.data.target);
    const shares = await q(`SELECT ${t}::VARCHAR AS class, count(*)::DOUBLE / ${rows} AS share FROM ${from} GROUP BY 1 ORDER BY 1`);
    for (const s of shares) {
      const share = Number(s.share);
      const { min, max } = rules.classBalance;
      if (share < min || (max !== undefined && share > max)) {
        add({ rule: 'classBalance', column: model.data.target, expected: `[${min}, ${max ?? 1}]`, observed: `class ${s.class}: ${share.toFixed(4)}` });
      }
    }
  }

  if (rules.freshness) {
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
