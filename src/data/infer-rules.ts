import type { ValidationConfig } from '../config/model-schema.js';
import { ident, readerFor, type DataEngine } from './engine.js';
import { profile, type ColumnProfile } from './profile.js';

type ColumnRule = ValidationConfig['columns'][string];
type RuleType = NonNullable<ColumnRule['type']>;

/** Few enough distinct text values to be a category worth listing. */
const MAX_CATEGORIES = 20;
/** Ranges get this share of the observed spread as headroom on each side: new data is rarely at the old extremes. */
const RANGE_HEADROOM = 0.1;
/** Null ratios get this much headroom over what the sample shows. */
const NULL_HEADROOM = 0.05;

function ruleType(duckType: string): RuleType | undefined {
  const t = duckType.toUpperCase();
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT)$/.test(t)) return 'integer';
  if (/^(FLOAT|REAL|DOUBLE|DECIMAL)/.test(t)) return 'numeric';
  if (t === 'BOOLEAN') return 'boolean';
  if (/^(DATE|TIMESTAMP)/.test(t)) return 'timestamp';
  if (t === 'VARCHAR') return 'string';
  return undefined;
}

const tidy = (x: number) => Number(x.toPrecision(6));

function range(p: ColumnProfile, type: RuleType): Pick<ColumnRule, 'min' | 'max'> {
  const lo = Number(p.min);
  const hi = Number(p.max);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return {};
  const pad = (hi - lo) * RANGE_HEADROOM;
  // A column that is never negative (counts, amounts, ages) keeps 0 as its floor.
  let min = lo >= 0 ? Math.max(0, lo - pad) : lo - pad;
  let max = hi + pad;
  if (type === 'integer') [min, max] = [Math.floor(min), Math.ceil(max)];
  return { min: tidy(min), max: tidy(max) };
}

export interface InferredRules {
  rows: number;
  validation: {
    minRows: number;
    columns: Record<string, Partial<ColumnRule>>;
    uniqueKey?: string[];
  };
}

/**
 * Validation rules inferred from one dataset's profile, as TFDV's schema inference does: each
 * column's type, a numeric range with headroom, the allowed values of low-cardinality text
 * columns and of the target, and a null-ratio ceiling. A starting point for people to edit.
 */
export async function inferRules(engine: DataEngine, location: string, target: string): Promise<InferredRules> {
  const columns = await profile(engine, location);
  if (!columns.some((c) => c.column === target)) {
    throw new Error(`${location}: no column "${target}" (columns: ${columns.map((c) => c.column).join(', ')})`);
  }
  const rows = columns[0]?.count ?? 0;
  const reader = readerFor(location);
  const out: InferredRules['validation']['columns'] = {};
  const keys: string[] = [];
  for (const p of columns) {
    const type = ruleType(p.type);
    const rule: Partial<ColumnRule> = type ? { type } : {};
    const nulls = p.nullPercentage / 100;
    rule.maxNullRatio = tidy(Math.min(1, Math.ceil((nulls + NULL_HEADROOM) * 100) / 100));
    const fewValues = p.approxDistinct <= MAX_CATEGORIES + 2;
    if ((type === 'string' || p.column === target) && fewValues) {
      const values = await engine.rows(`SELECT DISTINCT ${ident(p.column)} AS v FROM ${reader} WHERE ${ident(p.column)} IS NOT NULL ORDER BY 1 LIMIT ${MAX_CATEGORIES + 1}`, [location], location);
      if (values.length <= MAX_CATEGORIES) rule.allowed = values.map((r) => r.v as string | number | boolean);
    }
    let isKey = false;
    if (/(^|_)id$/i.test(p.column) && (type === 'integer' || type === 'string') && nulls === 0) {
      const [exact] = await engine.rows(`SELECT count(DISTINCT ${ident(p.column)})::BIGINT AS n FROM ${reader}`, [location], location);
      isKey = Number(exact?.n) === rows;
      if (isKey) keys.push(p.column);
    }
    // An id's range says nothing about the next load's ids.
    if ((type === 'integer' || type === 'numeric') && !rule.allowed && !isKey) Object.assign(rule, range(p, type));
    out[p.column] = rule;
  }
  return {
    rows,
    validation: {
      // Half of today's volume: a drop that large is a broken load, not a quiet day.
      minRows: Math.max(1, Math.floor(rows / 2)),
      columns: out,
      ...(keys.length ? { uniqueKey: keys.slice(0, 1) } : {}),
    },
  };
}
