const MACROS = /^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/;
const EVERY = /^@every \d+(\.\d+)?(ms|s|m|h|d)$/;
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const FIELDS: { name: string; min: number; max: number; names?: string[] }[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day of week', min: 0, max: 7, names: DAYS },
];

function checkValue(v: string, f: (typeof FIELDS)[number]): string | null {
  const named = f.names?.indexOf(v.toLowerCase()) ?? -1;
  if (named >= 0) return null;
  if (!/^\d+$/.test(v)) return `${f.name}: "${v}" is not a number${f.names ? ' or a name' : ''}`;
  const n = Number(v);
  return n < f.min || n > f.max ? `${f.name}: ${n} is outside ${f.min}-${f.max}` : null;
}

/**
 * Why a cron expression would be refused, or null when it is fine: the standard five fields
 * (lists, ranges, steps, names), a macro such as @daily, or @every 6h. Checked when the config
 * loads, so a typo fails there with its field named instead of at `retrain apply`.
 */
export function cronProblem(expr: string): string | null {
  const e = expr.trim();
  if (MACROS.test(e) || EVERY.test(e)) return null;
  const parts = e.split(/\s+/);
  if (parts.length !== 5) return `expected 5 fields (minute hour day-of-month month day-of-week) or a macro like @daily, got ${parts.length}`;
  for (let i = 0; i < 5; i++) {
    const f = FIELDS[i]!;
    for (const item of parts[i]!.split(',')) {
      const [range, step, extra] = item.split('/');
      if (extra !== undefined || range === undefined || range === '') return `${f.name}: "${item}" is not a valid item`;
      if (step !== undefined && !/^[1-9]\d*$/.test(step)) return `${f.name}: step "${step}" must be a positive number`;
      if (range === '*') continue;
      const [lo, hi, more] = range.split('-');
      if (more !== undefined) return `${f.name}: "${range}" is not a valid range`;
      const problem = checkValue(lo!, f) ?? (hi !== undefined ? checkValue(hi, f) : null);
      if (problem) return problem;
    }
  }
  return null;
}
