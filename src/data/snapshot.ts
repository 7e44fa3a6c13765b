import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { readerFor, type DataEngine, type DataFormat } from './engine.js';

/**
 * Keeps the exact data a model version was trained on as Parquet, addressed by its sha256, so a
 * later drift check compares against it even after the source files were overwritten.
 */
export async function snapshotDataset(engine: DataEngine, location: string, format: DataFormat, dir: string, sha256: string): Promise<string> {
  const dest = path.join(dir, `${sha256}.parquet`);
  if (existsSync(dest)) return dest;
  mkdirSync(dir, { recursive: true });
  const tmp = `${dest}.${randomUUID()}.tmp`;
  // COPY's target cannot be a bound parameter; it is our own generated path, quoted.
  await engine.rows(`COPY (SELECT * FROM ${readerFor(location, format)}) TO '${tmp.replaceAll("'", "''")}' (FORMAT parquet)`, [location], location);
  renameSync(tmp, dest);
  return dest;
}
