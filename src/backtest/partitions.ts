import { stat } from 'node:fs/promises';
import { FailureType, RetrainError } from '../errors.js';
import { datasetFiles } from '../data/fingerprint.js';
import { ident, type DataEngine, type DataFormat } from '../data/engine.js';
import { parseDurationMs } from '../duration.js';
import type { Partition } from './replay.js';

/** How partitions are put in time order, and what "time" each one gets (the policy's clock). */
export type PartitionOrder = { by: 'name'; step: string } | { by: 'mtime' } | { by: 'column'; column: string };

/** `--order name` times: partition i arrives at this instant plus i steps (default step: 30d, "a month"). */
export const NAME_ORDER_EPOCH = '2000-01-01T00:00:00.000Z';
export const DEFAULT_STEP = '30d';

/** Parses `name`, `mtime` or `column:<col>`; a bad value is a ConfigError naming the flag and value. */
export function parseOrder(text: string, step: string = DEFAULT_STEP): PartitionOrder {
  if (text === 'name') {
    try {
      parseDurationMs(step);
    } catch {
      throw new RetrainError(FailureType.Config, `--step: expected a duration such as 30d or 7d, got ${JSON.stringify(step)}`, { field: '--step', value: step });
    }
    return { by: 'name', step };
  }
  if (text === 'mtime') return { by: 'mtime' };
  const m = /^column:(.+)$/.exec(text);
  if (m) return { by: 'column', column: m[1]! };
  throw new RetrainError(FailureType.Config, `--order: expected name, mtime or column:<col>, got ${JSON.stringify(text)}`, { field: '--order', value: text });
}

/**
 * The files the glob names, in time order, each with its time. Files outside the data roots are
 * refused (as for any data read). Ties in time keep name order, so the result is deterministic.
 */
export async function listPartitions(engine: DataEngine, pattern: string, order: PartitionOrder, format: DataFormat, roots?: readonly string[]): Promise<Partition[]> {
  const files = await datasetFiles(engine, pattern, roots);
  if (files.length < 2) {
    throw new RetrainError(FailureType.DataSource, `${pattern}: a backtest needs at least 2 partitions (the first is the initial training data), found ${files.length}`, { file: pattern, value: files.length });
  }
  const timed: { file: string; ms: number }[] = [];
  for (const [i, file] of files.entries()) {
    if (order.by === 'name') timed.push({ file, ms: Date.parse(NAME_ORDER_EPOCH) + i * parseDurationMs(order.step) });
    else if (order.by === 'mtime') timed.push({ file, ms: (await stat(file)).mtimeMs });
    else timed.push({ file, ms: await maxTime(engine, file, order.column, format) });
  }
  timed.sort((a, b) => a.ms - b.ms || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return timed.map((t, index) => ({ index, file: t.file, at: new Date(Math.round(t.ms)).toISOString() }));
}

/** The partition's latest value of the order column, as a time; a column that is no time is refused, naming it. */
async function maxTime(engine: DataEngine, file: string, column: string, format: DataFormat): Promise<number> {
  let rows: Record<string, unknown>[];
  try {
    rows = await engine.rows(`SELECT epoch_ms(max(CAST(${ident(column)} AS TIMESTAMP))) AS t FROM ${await engine.reader(file, format, 1)}`, [file], file);
  } catch (err) {
    throw new RetrainError(FailureType.DataSource, `${file}: --order column:${column}: ${(err as Error).message.split('\n')[0]}`, { file, field: column });
  }
  const t = rows[0]?.t;
  if (t === null || t === undefined) throw new RetrainError(FailureType.DataSource, `${file}: --order column:${column}: no non-null value`, { file, field: column });
  return Number(t);
}
