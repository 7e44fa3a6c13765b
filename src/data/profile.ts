import type { DataEngine, DataFormat } from './engine.js';

export interface ColumnProfile {
  column: string;
  type: string;
  count: number;
  nullPercentage: number;
  approxDistinct: number;
  min: string | null;
  max: string | null;
  mean: number | null;
  std: number | null;
  q25: number | null;
  q50: number | null;
  q75: number | null;
}

const num = (v: unknown) => (v === null || v === undefined || v === '' ? null : Number(v));

/** One pass of DuckDB's SUMMARIZE: type, count, nulls, distinct, min, max, mean, std, quartiles. */
export async function profile(engine: DataEngine, location: string, format: DataFormat = 'auto'): Promise<ColumnProfile[]> {
  const rows = await engine.rows(`SUMMARIZE SELECT * FROM ${await engine.reader(location, format)}`, [location], location);
  return rows.map((r) => ({
    column: String(r.column_name),
    type: String(r.column_type),
    count: Number(r.count),
    nullPercentage: Number(r.null_percentage),
    approxDistinct: Number(r.approx_unique),
    min: r.min === null ? null : String(r.min),
    max: r.max === null ? null : String(r.max),
    mean: num(r.avg),
    std: num(r.std),
    q25: num(r.q25),
    q50: num(r.q50),
    q75: num(r.q75),
  }));
}
