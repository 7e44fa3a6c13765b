import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { realPath } from '../config/paths.js';

/**
 * A file's identity and state as the file system reports it. Equal stamps are taken to mean equal
 * bytes, as DVC's state database does; the race that makes this unsafe is handled by `trusted`.
 * Numbers are decimal strings of the bigint stat fields (nanosecond times).
 */
export interface FileStamp {
  /** The path with every symbolic link resolved: two names of one file share nothing else. */
  path: string;
  dev: string;
  ino: string;
  size: string;
  mtimeNs: string;
  ctimeNs: string;
}

/** What `fs.stat(p, { bigint: true })` gives; a test may supply a coarser clock's view. */
export interface BigStat {
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

interface FileEntry extends FileStamp {
  t: 'f';
  sha256: string;
  /** Wall clock, in ns, when hashing began. */
  hashedAtNs: string;
  used: number;
}

interface DatasetEntry extends DatasetFacts {
  t: 'd';
  key: string;
  used: number;
}

/** What the cache keeps of a dataset: its hash and row count, and the schema DuckDB (version `schemaBy`) read. */
export interface DatasetFacts {
  sha256: string;
  rows: number;
  schema?: { name: string; type: string }[];
  schemaBy?: string;
}

type Entry = FileEntry | DatasetEntry;

/**
 * Timestamp granularity to allow for: 2 s covers FAT and SMB; ext4, xfs and btrfs are finer.
 * A file written within this window of the moment it was hashed may have changed in the same
 * tick after the hash was taken, with an unchanged stamp, so such an entry is never trusted.
 */
export const GRANULARITY_NS = 2_000_000_000n;
/** Enough for a fleet's datasets (a few hundred bytes each), small enough to rewrite on a miss. */
export const DEFAULT_MAX_ENTRIES = 10_000;
const HEADER = { format: 'temporal-retrain stat cache', version: 1 };

const SHA = /^[0-9a-f]{64}$/;
const DIGITS = /^\d+$/;

/** A dataset entry's schema, when it has one: column names and types as DuckDB gave them, and which DuckDB. */
function validSchema(x: Record<string, unknown>): boolean {
  if (x.schema === undefined) return x.schemaBy === undefined;
  return typeof x.schemaBy === 'string' && Array.isArray(x.schema) && x.schema.every((c: unknown) => !!c && typeof c === 'object' && typeof (c as Record<string, unknown>).name === 'string' && typeof (c as Record<string, unknown>).type === 'string');
}

function validEntry(e: unknown): e is Entry {
  if (!e || typeof e !== 'object') return false;
  const x = e as Record<string, unknown>;
  if (typeof x.sha256 !== 'string' || !SHA.test(x.sha256) || typeof x.used !== 'number' || !Number.isFinite(x.used)) return false;
  if (x.t === 'd') return typeof x.key === 'string' && SHA.test(x.key) && typeof x.rows === 'number' && Number.isSafeInteger(x.rows) && x.rows >= 0 && validSchema(x);
  if (x.t !== 'f' || typeof x.path !== 'string' || !path.isAbsolute(x.path)) return false;
  return ['dev', 'ino', 'size', 'mtimeNs', 'ctimeNs', 'hashedAtNs'].every((k) => typeof x[k] === 'string' && DIGITS.test(x[k] as string));
}

const fileKey = (p: string) => `f\0${p}`;
const setKey = (k: string) => `d\0${k}`;
export const sameStamp = (a: FileStamp, b: FileStamp): boolean =>
  a.path === b.path && a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;

/**
 * Whether a cached hash may stand for the file's bytes now: same path, device, inode, size, mtime
 * and ctime, and the file had last been written (mtime or ctime, whichever is later: utimes can
 * set mtime back, never ctime) more than the granularity window before hashing began.
 */
export function trusted(entry: FileStamp & { hashedAtNs: string }, now: FileStamp): boolean {
  if (!sameStamp(entry, now)) return false;
  const written = BigInt(entry.mtimeNs) > BigInt(entry.ctimeNs) ? BigInt(entry.mtimeNs) : BigInt(entry.ctimeNs);
  return written < BigInt(entry.hashedAtNs) - GRANULARITY_NS;
}

export interface StatCacheOptions {
  maxEntries?: number;
  /** Tests simulate coarse timestamps or a later clock; production uses the real ones. */
  statFile?: (file: string) => Promise<BigStat>;
  nowNs?: () => bigint;
}

/**
 * Per-file sha256 (and per-dataset sha256 + row count) keyed by file stamps, in one JSON-lines
 * file in the state folder. A cache only: an unreadable, corrupt or unwritable file means a
 * re-hash, never an error. Rewritten whole (temp file, then rename) when an entry is added,
 * keeping the `maxEntries` most recently used; another process's additions are merged first.
 */
export class StatCache {
  private entries = new Map<string, Entry>();
  private loaded: Promise<void> | undefined;
  /** The cache file's stamp when last read or written by us: a change means another writer. */
  private seen: string | null = null;
  private dirty = false;
  private writing: Promise<void> = Promise.resolve();
  readonly stats = { fileHits: 0, fileMisses: 0, datasetHits: 0, datasetMisses: 0 };
  private readonly maxEntries: number;
  private readonly statFile: (file: string) => Promise<BigStat>;
  readonly nowNs: () => bigint;
  private lastUsed = 0;

  constructor(
    readonly file: string,
    opts: StatCacheOptions = {},
  ) {
    this.maxEntries = Math.max(1, opts.maxEntries ?? DEFAULT_MAX_ENTRIES);
    this.statFile = opts.statFile ?? ((f) => stat(f, { bigint: true }));
    this.nowNs = opts.nowNs ?? (() => BigInt(Date.now()) * 1_000_000n);
  }

  /** Recency for LRU: wall-clock ms, strictly increasing within this process so ties keep their order. */
  private tick(): number {
    this.lastUsed = Math.max(Date.now(), this.lastUsed + 1);
    return this.lastUsed;
  }

  async stamp(file: string): Promise<FileStamp> {
    const real = realPath(file);
    const s = await this.statFile(real);
    return { path: real, dev: String(s.dev), ino: String(s.ino), size: String(s.size), mtimeNs: String(s.mtimeNs), ctimeNs: String(s.ctimeNs) };
  }

  private async ownStamp(): Promise<string | null> {
    try {
      const s = await stat(this.file, { bigint: true });
      return `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
    } catch {
      return null;
    }
  }

  private async readFromDisk(): Promise<Map<string, Entry>> {
    const out = new Map<string, Entry>();
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch {
      return out;
    }
    const lines = text.split('\n');
    try {
      const head = JSON.parse(lines[0] ?? '') as typeof HEADER;
      if (head.format !== HEADER.format || head.version !== HEADER.version) return out;
    } catch {
      return out;
    }
    for (const line of lines.slice(1)) {
      if (!line) continue;
      let e: unknown;
      try {
        e = JSON.parse(line);
      } catch {
        continue; // one torn or edited line costs its entry only
      }
      if (validEntry(e)) out.set(e.t === 'f' ? fileKey(e.path) : setKey(e.key), e);
    }
    return out;
  }

  private load(): Promise<void> {
    return (this.loaded ??= (async () => {
      this.seen = await this.ownStamp();
      this.entries = await this.readFromDisk();
    })());
  }

  /** The cached sha256 of a file in this state, if it can be trusted. */
  async fileSha(now: FileStamp): Promise<string | undefined> {
    await this.load();
    const e = this.entries.get(fileKey(now.path));
    if (e?.t === 'f' && trusted(e, now)) {
      e.used = this.tick();
      this.stats.fileHits++;
      return e.sha256;
    }
    this.stats.fileMisses++;
    return undefined;
  }

  /** Records a file's hash; `before` and `after` are its stamps around the hashing. */
  async putFile(before: FileStamp, after: FileStamp, sha256: string, hashedAtNs: bigint): Promise<boolean> {
    await this.load();
    const entry: FileEntry = { t: 'f', ...before, sha256, hashedAtNs: String(hashedAtNs), used: this.tick() };
    // Changed while being read, or written too recently to tell a later same-tick write apart: not kept.
    if (!sameStamp(before, after) || !trusted(entry, after)) return false;
    this.entries.set(fileKey(before.path), entry);
    this.dirty = true;
    return true;
  }

  async dataset(key: string): Promise<DatasetFacts | undefined> {
    await this.load();
    const e = this.entries.get(setKey(key));
    if (e?.t === 'd') {
      e.used = this.tick();
      this.stats.datasetHits++;
      return { sha256: e.sha256, rows: e.rows, ...(e.schema ? { schema: e.schema, schemaBy: e.schemaBy ?? '' } : {}) };
    }
    this.stats.datasetMisses++;
    return undefined;
  }

  async putDataset(key: string, value: DatasetFacts): Promise<void> {
    await this.load();
    this.entries.set(setKey(key), { t: 'd', key, ...value, used: this.tick() });
    this.dirty = true;
  }

  /** Writes the cache if anything was added; failures (read-only state, disk full) only cost a re-hash later. */
  flush(): Promise<void> {
    if (!this.dirty) return this.writing;
    this.dirty = false;
    this.writing = this.writing.then(() => this.write()).catch(() => {});
    return this.writing;
  }

  private async write(): Promise<void> {
    const current = await this.ownStamp();
    if (current !== null && current !== this.seen) {
      // Another process wrote it since: keep its entries too (ours win where both have one).
      for (const [k, e] of await this.readFromDisk()) {
        const mine = this.entries.get(k);
        if (!mine) this.entries.set(k, e);
        else mine.used = Math.max(mine.used, e.used);
      }
    }
    const kept = [...this.entries.entries()].sort((a, b) => b[1].used - a[1].used).slice(0, this.maxEntries);
    this.entries = new Map(kept);
    const body = [JSON.stringify(HEADER), ...kept.map(([, e]) => JSON.stringify(e))].join('\n') + '\n';
    await mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${randomUUID()}.tmp`;
    try {
      await writeFile(tmp, body);
      await rename(tmp, this.file);
    } finally {
      await rm(tmp, { force: true });
    }
    this.seen = await this.ownStamp();
  }
}

/** The key of a dataset's entry: its format and, in order, each file's path and content hash. */
export function datasetKey(format: string, files: { path: string; sha256: string }[]): string {
  return createHash('sha256').update(JSON.stringify([format, files.map((f) => [f.path, f.sha256])])).digest('hex');
}

const caches = new Map<string, StatCache>();

/** The cache file of a state folder, one instance per process (a worker shares it across activities). */
export function statCacheFor(stateDir: string): StatCache {
  const file = path.join(path.resolve(stateDir), 'cache', 'fingerprints.jsonl');
  let cache = caches.get(file);
  if (!cache) {
    cache = new StatCache(file);
    caches.set(file, cache);
  }
  return cache;
}
