export type LogicalType = 'numeric' | 'integer' | 'string' | 'boolean' | 'timestamp' | 'other';

const INTEGER = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/;
const FLOAT = /^(FLOAT|DOUBLE|REAL|DECIMAL.*)$/;

/** DuckDB's physical type name → the types a config speaks of. */
export function logicalType(duckType: string): LogicalType {
  if (INTEGER.test(duckType)) return 'integer';
  if (FLOAT.test(duckType)) return 'numeric';
  if (duckType === 'VARCHAR') return 'string';
  if (duckType === 'BOOLEAN') return 'boolean';
  if (/^(DATE|TIMESTAMP.*|TIME)$/.test(duckType)) return 'timestamp';
  return 'other';
}

/** An integer column satisfies "numeric"; nothing else widens. */
export function satisfies(actual: LogicalType, wanted: string): boolean {
  return actual === wanted || (wanted === 'numeric' && actual === 'integer');
}

export const isNumeric = (t: LogicalType) => t === 'numeric' || t === 'integer';
