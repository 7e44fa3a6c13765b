import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { linkSync, realpathSync, mkdirSync, symlinkSync, mkdtempSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { snapshotData } from '../../src/data/content-snapshot.js';
import { DataEngine } from '../../src/data/engine.js';
import { fingerprint } from '../../src/data/fingerprint.js';
import { StatCache, trusted, type BigStat } from '../../src/data/stat-cache.js';

const engine = await DataEngine.open({ threads: 1 });
after(() => engine.close());
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const SECOND = 1_000_000_000n;
const HOUR_AGO = new Date(Date.now() - 3600_000);

/** Same-size CSVs that differ in content: `tag` is one digit. */
const body = (tag: number, rows = 50) => ['id,x', ...Array.from({ length: rows }, (_, i) => `${i},${tag}`)].join('\n') + '\n';

function dir(): string {
  return mkdtempSync(path.join(tmpdir(), 'retrain-statcache-'));
}

/** A cache whose clock runs a minute ahead: files written by the test look settled, as on a later scheduled check. */
function settledCache(root: string, opts: { maxEntries?: number; statFile?: (f: string) => Promise<BigStat> } = {}) {
  return new StatCache(path.join(root, 'state', 'cache', 'fingerprints.jsonl'), { nowNs: () => BigInt(Date.now() + 60_000) * 1_000_000n, ...opts });
}

describe('stat cache for fingerprints', () => {
  it('answers an unchanged file from the cache: same sha256 and rows, no re-hash', async () => {
    const root = dir();
    const file = path.join(root, 'a.csv');
    writeFileSync(file, body(1));
    const cache = settledCache(root);
    const first = await fingerprint(engine, file, 'auto', undefined, { cache });
    const second = await fingerprint(engine, file, 'auto', undefined, { cache });
    assert.deepEqual(second, first);
    assert.equal(first.sha256, sha(body(1)));
    assert.equal(cache.stats.datasetHits, 1, 'second fingerprint came from the cache');
    // A new process reads the same file back.
    const fresh = settledCache(root);
    assert.deepEqual(await fingerprint(engine, file, 'auto', undefined, { cache: fresh }), first);
    assert.equal(fresh.stats.datasetHits, 1);
  });

  it('keeps the schema with the dataset: a hit reads no schema again, unless another DuckDB version wrote it; a malformed one is dropped', async () => {
    const root = dir();
    const file = path.join(root, 'a.csv');
    writeFileSync(file, body(1));
    const first = await fingerprint(engine, file, 'auto', undefined, { cache: settledCache(root) });
    assert.deepEqual(first.schema.map((c) => c.name), ['id', 'x']);
    const cacheFile = path.join(root, 'state', 'cache', 'fingerprints.jsonl');
    const lines = readFileSync(cacheFile, 'utf8').trim().split('\n');
    /** The cache file as written, with `change` applied to its dataset entry. */
    const rewrite = (change: (e: Record<string, unknown>) => void) => {
      const edited = lines.map((line, i) => {
        if (i === 0) return line;
        const e = JSON.parse(line) as Record<string, unknown>;
        if (e.t === 'd') change(e);
        return JSON.stringify(e);
      });
      writeFileSync(cacheFile, `${edited.join('\n')}\n`);
    };
    // A planted schema comes back: proof that the hit did not ask DuckDB.
    rewrite((e) => (e.schema = [{ name: 'planted', type: 'VARCHAR' }]));
    assert.deepEqual((await fingerprint(engine, file, 'auto', undefined, { cache: settledCache(root) })).schema, [{ name: 'planted', type: 'VARCHAR' }]);
    // Written by another DuckDB: read again.
    rewrite((e) => ((e.schema = [{ name: 'planted', type: 'VARCHAR' }]), (e.schemaBy = 'v0.0.0-other')));
    const other = settledCache(root);
    const again = await fingerprint(engine, file, 'auto', undefined, { cache: other });
    assert.deepEqual(again.schema, first.schema);
    assert.equal(other.stats.datasetHits, 1, 'still a hit for the hash and rows');
    // Not a schema at all: the entry is ignored and the file hashed again.
    rewrite((e) => (e.schema = 'DROP TABLE x'));
    const broken = settledCache(root);
    assert.deepEqual(await fingerprint(engine, file, 'auto', undefined, { cache: broken }), first);
    assert.equal(broken.stats.datasetHits, 0);
  });

  it('names a plain file without a glob query, and still refuses a link out of the data roots', async () => {
    const root = dir();
    const inside = path.join(root, 'data');
    mkdirSync(inside);
    const outside = path.join(dir(), 'secret.csv');
    writeFileSync(outside, body(2));
    const link = path.join(inside, 'd.csv');
    symlinkSync(outside, link);
    assert.deepEqual(await engine.files(link), [link]);
    await assert.rejects(fingerprint(engine, link, 'auto', [inside], { cache: settledCache(root) }), /outside the data roots/);
    // A folder or a glob still goes through DuckDB's glob, sorted.
    writeFileSync(path.join(inside, 'b.csv'), body(3));
    assert.deepEqual(await engine.files(path.join(inside, '*.csv')), [path.join(inside, 'b.csv'), link]);
  });

  it('re-hashes a file modified within the same second, same size, different content (coarse timestamps)', async () => {
    const root = dir();
    const file = path.join(root, 'a.csv');
    writeFileSync(file, body(1));
    // A file system with 1-second timestamps: the rewrite below leaves every stamp field equal.
    const frozen = await stat(file, { bigint: true });
    const coarse = async (f: string): Promise<BigStat> => {
      const s = await stat(f, { bigint: true });
      return { dev: s.dev, ino: s.ino, size: s.size, mtimeNs: (frozen.mtimeNs / SECOND) * SECOND, ctimeNs: (frozen.ctimeNs / SECOND) * SECOND };
    };
    // Hashed in the same second the file was written (the real clock).
    const cache = new StatCache(path.join(root, 'cache.jsonl'), { statFile: coarse });
    assert.equal((await fingerprint(engine, file, 'auto', undefined, { cache })).sha256, sha(body(1)));
    writeFileSync(file, body(2));
    assert.equal(statSync(file).size, Buffer.byteLength(body(1)), 'same size');
    const again = await fingerprint(engine, file, 'auto', undefined, { cache });
    assert.equal(again.sha256, sha(body(2)), 'the stamp is equal, but it was within the granularity window of hashing');
    assert.equal(cache.stats.fileHits, 0);
  });

  it('the race rule itself: an entry is trusted only when the file was written more than 2 s before hashing began', () => {
    const stamp = { path: '/d/a.csv', dev: '1', ino: '2', size: '3', mtimeNs: String(100n * SECOND), ctimeNs: String(100n * SECOND) };
    assert.equal(trusted({ ...stamp, hashedAtNs: String(101n * SECOND) }, stamp), false);
    assert.equal(trusted({ ...stamp, hashedAtNs: String(102n * SECOND) }, stamp), false);
    assert.equal(trusted({ ...stamp, hashedAtNs: String(103n * SECOND) }, stamp), true);
    // mtime set back with utimes does not help: ctime counts too.
    assert.equal(trusted({ ...stamp, mtimeNs: '0', hashedAtNs: String(101n * SECOND) }, { ...stamp, mtimeNs: '0' }), false);
    for (const field of ['dev', 'ino', 'size', 'mtimeNs', 'ctimeNs', 'path'] as const) {
      assert.equal(trusted({ ...stamp, hashedAtNs: String(200n * SECOND) }, { ...stamp, [field]: field === 'path' ? '/d/b.csv' : '7' }), false, field);
    }
  });

  it('re-hashes a file replaced by rename with the same size and the same mtime (utimes)', async () => {
    const root = dir();
    const file = path.join(root, 'a.csv');
    writeFileSync(file, body(1));
    utimesSync(file, HOUR_AGO, HOUR_AGO);
    const cache = settledCache(root);
    await fingerprint(engine, file, 'auto', undefined, { cache });
    assert.equal((await fingerprint(engine, file, 'auto', undefined, { cache })).sha256, sha(body(1)));
    const tmp = path.join(root, 'a.csv.new');
    writeFileSync(tmp, body(2));
    utimesSync(tmp, HOUR_AGO, HOUR_AGO);
    renameSync(tmp, file);
    assert.equal(Math.round(statSync(file).mtimeMs), HOUR_AGO.getTime());
    assert.equal((await fingerprint(engine, file, 'auto', undefined, { cache })).sha256, sha(body(2)));
  });

  it('hard links: a write through one name is seen through the other, even with mtime set back', async () => {
    const root = dir();
    const a = path.join(root, 'a.csv');
    const b = path.join(root, 'b.csv');
    writeFileSync(a, body(1));
    linkSync(a, b);
    utimesSync(a, HOUR_AGO, HOUR_AGO);
    const cache = settledCache(root);
    assert.equal((await fingerprint(engine, a, 'auto', undefined, { cache })).sha256, sha(body(1)));
    assert.equal((await fingerprint(engine, b, 'auto', undefined, { cache })).sha256, sha(body(1)));
    assert.equal((await fingerprint(engine, a, 'auto', undefined, { cache })).sha256, sha(body(1)));
    assert.equal(cache.stats.datasetHits, 1);
    writeFileSync(b, body(2));
    utimesSync(b, HOUR_AGO, HOUR_AGO);
    assert.equal((await fingerprint(engine, a, 'auto', undefined, { cache })).sha256, sha(body(2)));
    assert.equal((await fingerprint(engine, b, 'auto', undefined, { cache })).sha256, sha(body(2)));
  });

  it('a glob: the file that changed is re-hashed, the others come from the cache, and the result equals an uncached fingerprint', async () => {
    const root = dir();
    const data = path.join(root, 'parts');
    mkdirSync(data);
    for (const n of [1, 2, 3]) writeFileSync(path.join(data, `part-${n}.csv`), body(n, 20 * n));
    for (const n of [1, 2, 3]) utimesSync(path.join(data, `part-${n}.csv`), HOUR_AGO, HOUR_AGO);
    const glob = path.join(data, '*.csv');
    const cache = settledCache(root);
    const first = await fingerprint(engine, glob, 'auto', undefined, { cache });
    assert.deepEqual(first, await fingerprint(engine, glob));
    assert.equal(first.rows, 120);
    assert.deepEqual(await fingerprint(engine, glob, 'auto', undefined, { cache }), first);
    assert.equal(cache.stats.datasetHits, 1);
    // part-2 changes, same size, mtime set back.
    writeFileSync(path.join(data, 'part-2.csv'), body(7, 40));
    utimesSync(path.join(data, 'part-2.csv'), HOUR_AGO, HOUR_AGO);
    const hitsBefore = cache.stats.fileHits;
    const changed = await fingerprint(engine, glob, 'auto', undefined, { cache });
    assert.equal(cache.stats.fileHits - hitsBefore, 2, 'part-1 and part-3 from the cache');
    assert.deepEqual(changed, await fingerprint(engine, glob), 'same as hashing every byte');
    assert.equal(changed.sha256, sha(body(1, 20) + body(7, 40) + body(3, 60)));
    assert.notEqual(changed.sha256, first.sha256);
    assert.deepEqual(await fingerprint(engine, glob, 'auto', undefined, { cache }), changed);
  });

  it('a corrupt cache file is ignored and rebuilt, never an error', async () => {
    const root = dir();
    const file = path.join(root, 'a.csv');
    writeFileSync(file, body(1));
    utimesSync(file, HOUR_AGO, HOUR_AGO);
    const cacheFile = path.join(root, 'state', 'cache', 'fingerprints.jsonl');
    mkdirSync(path.dirname(cacheFile), { recursive: true });
    for (const garbage of ['\u0000\u0001 not json at all', '{"format":"temporal-retrain stat cache","version":1}\n{"t":"f","path":"relative","sha256":"zz"}\n{broken', '[]']) {
      writeFileSync(cacheFile, garbage);
      const cache = settledCache(root);
      const fp = await fingerprint(engine, file, 'auto', undefined, { cache });
      assert.equal(fp.sha256, sha(body(1)));
      assert.equal(fp.rows, 50);
      const lines = readFileSync(cacheFile, 'utf8').trim().split('\n');
      assert.doesNotThrow(() => lines.map((l) => JSON.parse(l) as unknown), 'rewritten as valid JSON lines');
      assert.equal(lines.length, 3, 'header, file entry, dataset entry');
    }
    // A directory where the cache file should be: cannot be read or written, fingerprints still work.
    const blocked = new StatCache(path.join(root, 'state'), { nowNs: () => BigInt(Date.now() + 60_000) * 1_000_000n });
    assert.equal((await fingerprint(engine, file, 'auto', undefined, { cache: blocked })).sha256, sha(body(1)));
  });

  it('is bounded: the least recently used entries go first', async () => {
    const root = dir();
    const cache = settledCache(root, { maxEntries: 4 });
    const files = [1, 2, 3, 4].map((n) => path.join(root, `f${n}.csv`));
    for (const [i, f] of files.entries()) {
      writeFileSync(f, body(i));
      utimesSync(f, HOUR_AGO, HOUR_AGO);
      await fingerprint(engine, f, 'auto', undefined, { cache });
    }
    const lines = readFileSync(cache.file, 'utf8').trim().split('\n');
    assert.equal(lines.length, 1 + 4);
    const paths = lines.slice(1).map((l) => (JSON.parse(l) as { path?: string }).path).filter(Boolean);
    assert.deepEqual(paths.sort(), [files[2]!, files[3]!].map((f) => realpathSync(f)).sort(), 'the two newest files stay');
  });

  it('the snapshot never takes its hash from the cache: it hashes the bytes it copies', async () => {
    const root = dir();
    const file = path.join(root, 'a.csv');
    writeFileSync(file, body(1));
    utimesSync(file, HOUR_AGO, HOUR_AGO);
    const cache = settledCache(root);
    await fingerprint(engine, file, 'auto', undefined, { cache });
    // Poison the cache: the dataset's entry now claims another hash.
    const poisoned = readFileSync(cache.file, 'utf8')
      .split('\n')
      .map((l) => (l.includes('"t":"d"') ? JSON.stringify({ ...(JSON.parse(l) as object), sha256: sha('something else') }) : l))
      .join('\n');
    writeFileSync(cache.file, poisoned);
    const reader = settledCache(root);
    assert.equal((await fingerprint(engine, file, 'auto', undefined, { cache: reader })).sha256, sha('something else'), 'the check trusts its cache');
    const snap = await snapshotData(engine, { source: file, format: 'auto', root: path.join(root, 'snapshots'), owner: 'run-1' });
    assert.equal(snap.fingerprint.sha256, sha(body(1)));
  });

  it('the snapshot takes rows and schema from the cache only when it vouches for the bytes copied', async () => {
    const root = dir();
    const file = path.join(root, 'a.csv');
    writeFileSync(file, body(1));
    utimesSync(file, HOUR_AGO, HOUR_AGO);
    await fingerprint(engine, file, 'auto', undefined, { cache: settledCache(root) });
    /** The cache file with its dataset entry's row count planted (proof the answer came from it), and maybe its hash. */
    const plant = (rows: number, sha256?: string) =>
      writeFileSync(
        settledCache(root).file,
        readFileSync(settledCache(root).file, 'utf8')
          .split('\n')
          .map((l) => (l.includes('"t":"d"') ? JSON.stringify({ ...(JSON.parse(l) as object), rows, ...(sha256 ? { sha256 } : {}) }) : l))
          .join('\n'),
      );
    plant(7);
    const snapshots = path.join(root, 'snapshots');
    const vouched = await snapshotData(engine, { source: file, format: 'auto', root: snapshots, owner: 'run-1', cache: settledCache(root) });
    assert.equal(vouched.fingerprint.sha256, sha(body(1)));
    assert.equal(vouched.fingerprint.rows, 7, 'the cache vouched for these bytes: no scan of the copy');
    assert.deepEqual(vouched.fingerprint.schema.map((c) => c.name), ['id', 'x']);
    // The cache names other bytes than those copied: the copy is counted and described.
    plant(7, sha('something else'));
    const scanned = await snapshotData(engine, { source: file, format: 'auto', root: snapshots, owner: 'run-2', cache: settledCache(root) });
    assert.equal(scanned.fingerprint.rows, 50);
    // Rewritten since it was hashed (same size, new content): the stamps differ, so the cache vouches for nothing.
    plant(7);
    writeFileSync(file, body(2));
    const changed = await snapshotData(engine, { source: file, format: 'auto', root: snapshots, owner: 'run-3', cache: settledCache(root) });
    assert.equal(changed.fingerprint.sha256, sha(body(2)));
    assert.equal(changed.fingerprint.rows, 50);
  });
});
