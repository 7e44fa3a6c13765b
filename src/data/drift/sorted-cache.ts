import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { realPath } from '../../config/paths.js';
import { GRANULARITY_NS } from '../stat-cache.js';
import { giveBuffer, MIN_POOLED_BYTES, takeBuffer } from './column-buffers.js';
import { sideFacts, type SortedSide } from './numeric.js';

/**
 * A reference side's numeric columns, kept sorted between drift reports. The reference (production's
 * training snapshot) is the same file for every check until the next promotion, so sorting it on each
 * check is the same work again: half of an exact report's sorts. Each column is one file of its sorted
 * finite values, keyed by the side's file stamps (path, device, inode, size, mtime, ctime: the stat
 * cache's trust, with its race rule: a file written within the timestamp granularity is never cached),
 * DuckDB's version and the column. Only large sides are kept (small ones sort in no time), and the
 * folder is bounded in bytes, least recently used first out. A cache only: a missing, short, unsorted
 * or otherwise corrupt file is a miss (and removed), never an answer or an error.
 */
export const MIN_CACHED_VALUES = 1_000_000;
export const DEFAULT_MAX_BYTES = 4 * 1024 ** 3;

const MAGIC = 'RTSORT02';
/**
 * Magic (8 bytes), then as doubles: values, non-finite count, the sum of the values in order (a cheap integrity
 * check), and the side's own facts a report needs (population std, distinct values), so a hit computes neither again.
 */
const HEADER_BYTES = 48;

/** What identifies a side's bytes for the cache, or null when they cannot be vouched for (a file written just now). */
export interface SideKey {
  key: string;
}

export class SortedColumnCache {
  readonly stats = { hits: 0, misses: 0, writes: 0, evicted: 0 };
  constructor(
    readonly dir: string,
    readonly maxBytes = DEFAULT_MAX_BYTES,
    private readonly nowNs: () => bigint = () => BigInt(Date.now()) * 1_000_000n,
  ) {}

  /** The side's key from its files' stamps, or null when one was written within the granularity window (or vanished). */
  async sideKey(files: string[], duckdbVersion: string): Promise<SideKey | null> {
    if (files.length === 0) return null;
    const stamps: string[][] = [];
    const limit = this.nowNs() - GRANULARITY_NS;
    for (const f of files) {
      try {
        const real = realPath(f);
        const s = await stat(real, { bigint: true });
        const written = s.mtimeNs > s.ctimeNs ? s.mtimeNs : s.ctimeNs;
        if (!s.isFile() || written >= limit) return null;
        stamps.push([real, String(s.dev), String(s.ino), String(s.size), String(s.mtimeNs), String(s.ctimeNs)]);
      } catch {
        return null;
      }
    }
    return { key: createHash('sha256').update(JSON.stringify({ v: 1, duckdb: duckdbVersion, stamps })).digest('hex') };
  }

  private file(side: SideKey, column: string): string {
    return path.join(this.dir, `${createHash('sha256').update(`${side.key}\0${column}`).digest('hex')}.f64`);
  }

  /** Whether a side of `rows` rows and `columns` numeric columns fits whole: one that does not would evict itself on every check. */
  fits(rows: number, columns: number): boolean {
    return columns * (HEADER_BYTES + 8 * rows) <= this.maxBytes;
  }

  /** Whether every column has a cache file (not yet checked: `get` does that). */
  async hasAll(side: SideKey, columns: string[]): Promise<boolean> {
    for (const c of columns) if (!(await stat(this.file(side, c)).then((s) => s.isFile(), () => false))) return false;
    return true;
  }

  /** The column's sorted finite values as cached, or null (a miss). */
  async get(side: SideKey, column: string): Promise<SortedSide | null> {
    const file = this.file(side, column);
    let buf: Buffer;
    try {
      buf = await readWhole(file);
    } catch {
      this.stats.misses++;
      return null;
    }
    const parsed = parse(buf);
    if (!parsed) {
      giveBuffer(buf.buffer);
      this.stats.misses++;
      await rm(file, { force: true });
      return null;
    }
    this.stats.hits++;
    const now = new Date();
    await utimes(file, now, now).catch(() => {}); // recency, for eviction
    return parsed;
  }

  /** Keeps a sorted column (large ones only); a failure to write (disk full, read-only) is not an error. */
  async put(side: SideKey, column: string, sorted: SortedSide): Promise<void> {
    const bytes = HEADER_BYTES + sorted.values.byteLength;
    if (sorted.values.length < MIN_CACHED_VALUES || bytes > this.maxBytes) return;
    const file = this.file(side, column);
    const tmp = `${file}.${randomUUID()}.tmp`;
    try {
      await mkdir(this.dir, { recursive: true });
      const header = Buffer.alloc(HEADER_BYTES);
      header.write(MAGIC, 0, 'latin1');
      header.writeDoubleLE(sorted.values.length, 8);
      header.writeDoubleLE(sorted.nonFinite, 16);
      header.writeDoubleLE(sum(sorted.values), 24);
      const facts = sorted.std !== undefined && sorted.distinct !== undefined ? { std: sorted.std, distinct: sorted.distinct } : sideFacts(sorted.values);
      header.writeDoubleLE(facts.std, 32);
      header.writeDoubleLE(facts.distinct, 40);
      await writeFile(tmp, [header, new Uint8Array(sorted.values.buffer, sorted.values.byteOffset, sorted.values.byteLength)]);
      await rename(tmp, file);
      this.stats.writes++;
      await this.evict(file);
    } catch {
      await rm(tmp, { force: true }).catch(() => {});
    }
  }

  /** Oldest-used files out until the folder fits maxBytes; `keep` (just written) stays. Stray temp files of a crash go too. */
  private async evict(keep: string): Promise<void> {
    const entries: { file: string; size: number; used: number }[] = [];
    for (const name of await readdir(this.dir)) {
      const file = path.join(this.dir, name);
      const s = await stat(file).catch(() => null);
      if (!s) continue;
      if (name.endsWith('.tmp') && Date.now() - s.mtimeMs > 3_600_000) await rm(file, { force: true });
      else if (name.endsWith('.f64')) entries.push({ file, size: s.size, used: s.mtimeMs });
    }
    let total = entries.reduce((a, e) => a + e.size, 0);
    for (const e of entries.sort((a, b) => a.used - b.used)) {
      if (total <= this.maxBytes) break;
      if (e.file === keep) continue;
      await rm(e.file, { force: true });
      total -= e.size;
      this.stats.evicted++;
    }
  }
}

/** A file's bytes, read into a reused column buffer when large (column-buffers.ts); a file that changes size while read is an error. */
async function readWhole(file: string): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    if (size < MIN_POOLED_BYTES) return await fh.readFile();
    const buf = Buffer.from(takeBuffer(size), 0, size);
    let at = 0;
    while (at < size) {
      const { bytesRead } = await fh.read(buf, at, size - at, at);
      if (bytesRead === 0) throw new Error(`${file} shrank while read`);
      at += bytesRead;
    }
    return buf;
  } finally {
    await fh.close();
  }
}

function sum(values: Float64Array): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return s;
}

/** A cache file's values, or null unless its header, length, order and sum all hold. */
function parse(buf: Buffer): SortedSide | null {
  if (buf.length < HEADER_BYTES || buf.toString('latin1', 0, 8) !== MAGIC) return null;
  const n = buf.readDoubleLE(8);
  const nonFinite = buf.readDoubleLE(16);
  const expectedSum = buf.readDoubleLE(24);
  const std = buf.readDoubleLE(32);
  const distinct = buf.readDoubleLE(40);
  if (!Number.isSafeInteger(n) || n < 0 || !Number.isSafeInteger(nonFinite) || nonFinite < 0 || buf.length !== HEADER_BYTES + n * 8) return null;
  if (!(std >= 0) || !Number.isSafeInteger(distinct) || distinct < 0 || distinct > n) return null;
  const start = buf.byteOffset + HEADER_BYTES;
  // A large file's buffer is its own allocation (aligned); a pooled small one may not be, and is copied.
  const values = start % 8 === 0 ? new Float64Array(buf.buffer, start, n) : new Float64Array(buf.buffer.slice(start, start + n * 8));
  // Ascending (a NaN fails the comparison) and finite (then only the ends can be infinite), with the recorded sum.
  let s = 0;
  let prev = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (!(v >= prev)) return null;
    prev = v;
    s += v;
  }
  if (n > 0 && (values[0] === -Infinity || values[n - 1] === Infinity)) return null;
  if (!Object.is(s, expectedSum)) return null;
  return { values, nonFinite, std, distinct };
}

export function sortedCacheFor(stateDir: string, maxBytes = DEFAULT_MAX_BYTES): SortedColumnCache {
  return new SortedColumnCache(path.join(stateDir, 'cache', 'sorted-reference'), maxBytes);
}
