import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { FailureType, RetrainError } from '../errors.js';
import { readerFor, type DataEngine, type DataFormat } from './engine.js';
import { diagnoseCsv } from './csv-diagnose.js';

export interface ColumnSchema {
  name: string;
  type: string;
}

export interface DataFingerprint {
  sha256: string;
  files: number;
  bytes: number;
  rows: number;
  schema: ColumnSchema[];
}

/** The files a path or glob names, sorted, so the hash does not depend on directory order. */
export async function datasetFiles(engine: DataEngine, location: string): Promise<string[]> {
  const rows = await engine.rows('SELECT file FROM glob($1) ORDER BY file', [location], location);
  const files = rows.map((r) => String(r.file));
  if (files.length === 0) throw new RetrainError(FailureType.DataSource, `${location}: no such file`, { file: location });
  return files;
}

/** sha256 over every file's bytes in sorted order, streamed; plus row count and schema from DuckDB, read meanwhile. */
export async function fingerprint(engine: DataEngine, location: string, format: DataFormat = 'auto'): Promise<DataFingerprint> {
  const files = await datasetFiles(engine, location);
  const [{ sha256, bytes }, schema, [count]] = await Promise.all([
    hashFiles(files),
    describe(engine, location, format),
    engine.rows(`SELECT count(*)::BIGINT AS n FROM ${readerFor(location, format)}`, [location], location),
  ]);
  return { sha256, files: files.length, bytes, rows: Number(count?.n ?? 0), schema };
}

async function hashFiles(files: string[]): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for (const file of files) {
    bytes += (await stat(file)).size;
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  }
  return { sha256: hash.digest('hex'), bytes };
}

export async function describe(engine: DataEngine, location: string, format: DataFormat = 'auto'): Promise<ColumnSchema[]> {
  const rows = await engine.rows(`DESCRIBE SELECT * FROM ${readerFor(location, format)}`, [location], location);
  const schema = rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  // DuckDB's sniffer falls back to one column per line when rows disagree; that is a malformed file, not data.
  if (schema.length === 1 && /[,;\t|]/.test(schema[0]!.name) && readerFor(location, format).startsWith('read_csv')) {
    const files = await datasetFiles(engine, location);
    for (const file of files) {
      const why = await diagnoseCsv(file);
      if (why) throw new RetrainError(FailureType.DataSource, `${file}: malformed CSV: ${why}`, { file });
    }
    throw new RetrainError(FailureType.DataSource, `${location}: malformed CSV: could not split the header ${JSON.stringify(schema[0]!.name.slice(0, 80))} into columns`, { file: location });
  }
  return schema;
}
