import { existsSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import path from 'node:path';
import { withOwnTemp } from '../registry/temp-files.js';
import type { DataEngine, DataFormat } from './engine.js';

/**
 * Keeps the exact data a model version was trained on as Parquet, addressed by its sha256, so a
 * later drift check compares against it even after the source files were overwritten. `location`
 * is the run's immutable data snapshot, so the rows here are the rows the trainer read. The temp
 * file belongs to `owner` (the run): a retry after a kill removes its own half-written copy.
 */
export async function snapshotDataset(engine: DataEngine, location: string, format: DataFormat, dir: string, sha256: string, owner: string): Promise<string> {
  const dest = path.join(dir, `${sha256}.parquet`);
  if (existsSync(dest)) return dest;
  return withOwnTemp(dest, owner, async (tmp) => {
    if (existsSync(dest)) return dest;
    // COPY's target cannot be a bound parameter; it is our own generated path, quoted.
    // The reader sniffed once per file state (validation read this snapshot already), not a second sniff here.
    await engine.rows(`COPY (SELECT * FROM ${await engine.reader(location, format)}) TO '${tmp.replaceAll("'", "''")}' (FORMAT parquet)`, [location], location);
    await rename(tmp, dest);
    return dest;
  });
}
