// The reference's sorted columns kept between drift reports (sorted-cache.ts). How it could lie: a report from another
// file's values (the reference changed, a file written just now, two names of one file), a corrupt cache file taken as
// data, an unbounded folder. Each report with the cache is compared with the same report computed without it.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DataEngine } from '../../src/data/engine.js';
import { detectDrift, type DriftReport } from '../../src/data/drift/detect.js';
import { SortedColumnCache } from '../../src/data/drift/sorted-cache.js';

const ROWS = 1_100_000; // over MIN_CACHED_VALUES: smaller references are never cached
let engine: DataEngine;
let dir: string;
/** A clock 10 s ahead: files written by the test are past the granularity window (as a production snapshot is). */
const later = () => BigInt(Date.now() + 10_000) * 1_000_000n;

async function parquet(name: string, shift: number, seed: number): Promise<string> {
  const file = path.join(dir, name);
  await engine.rows(
    `COPY (SELECT (hash(i + ${seed}) % 100000)::DOUBLE / 1000 + ${shift} AS x, (hash(i * 7 + ${seed}) % 1000)::INTEGER AS n, CASE WHEN i % 1000 = 0 THEN NULL ELSE (i % 97)::DOUBLE * 1.5 END AS z
     FROM range(${ROWS}) t(i)) TO '${file}' (FORMAT parquet)`,
    [],
  );
  return file;
}

const side = (location: string) => ({ location, format: 'parquet' as const });
const strip = (r: DriftReport) => ({ ...r, reference: '', current: '' });
const cacheFiles = (c: SortedColumnCache) => readdirSync(c.dir).filter((f) => f.endsWith('.f64'));

before(async () => {
  engine = await DataEngine.open();
  dir = mkdtempSync(path.join(tmpdir(), 'sorted-cache-'));
});
after(() => {
  engine.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the reference side sorted once, kept between drift reports', () => {
  it('a second report reads the reference from the cache and equals the report computed without it', async () => {
    const ref = await parquet('ref.parquet', 0, 1);
    const cur = await parquet('cur.parquet', 3, 2);
    const plain = await detectDrift(engine, side(ref), side(cur), { exact: true });
    const cache = new SortedColumnCache(path.join(dir, 'c1'), undefined, later);
    const first = await detectDrift(engine, side(ref), side(cur), { exact: true, referenceCache: cache });
    assert.deepEqual(cache.stats, { hits: 0, misses: 3, writes: 3, evicted: 0 });
    assert.equal(cacheFiles(cache).length, 3);
    const second = await detectDrift(engine, side(ref), side(cur), { exact: true, referenceCache: cache });
    assert.equal(cache.stats.hits, 3);
    assert.equal(cache.stats.writes, 3, 'nothing written again');
    assert.deepEqual(first, plain);
    assert.deepEqual(second, plain);
    assert.ok(plain.columns.find((c) => c.column === 'x')!.drifted, 'the shifted column drifted');
  });

  it('a changed reference (same size, other values) is a miss, and the report follows the new values', async () => {
    const ref = await parquet('ref2.parquet', 0, 1);
    const cur = await parquet('cur2.parquet', 0, 2);
    const cache = new SortedColumnCache(path.join(dir, 'c2'), undefined, later);
    await detectDrift(engine, side(ref), side(cur), { exact: true, referenceCache: cache });
    // Rewritten in place with shifted values; its mtime set back to the old one (only ctime tells).
    const { atime, mtime } = statSync(ref);
    await parquet('shifted.parquet', 5, 1);
    writeFileSync(ref, readFileSync(path.join(dir, 'shifted.parquet')));
    utimesSync(ref, atime, mtime);
    const plain = await detectDrift(engine, side(ref), side(cur), { exact: true });
    const cached = await detectDrift(engine, side(ref), side(cur), { exact: true, referenceCache: cache });
    assert.equal(cache.stats.hits, 0);
    assert.deepEqual(cached, plain);
    assert.ok(cached.columns.find((c) => c.column === 'x')!.drifted);
  });

  it('a reference written within the timestamp granularity is never cached', async () => {
    const ref = await parquet('fresh.parquet', 0, 1);
    const cur = await parquet('fresh-cur.parquet', 0, 2);
    const cache = new SortedColumnCache(path.join(dir, 'c3')); // the real clock: the file was written just now
    await detectDrift(engine, side(ref), side(cur), { exact: true, referenceCache: cache });
    assert.deepEqual(cache.stats, { hits: 0, misses: 0, writes: 0, evicted: 0 });
  });

  it('a corrupt, truncated or reordered cache file is a miss, removed, and the report is still right', async () => {
    const ref = await parquet('ref4.parquet', 0, 1);
    const cur = await parquet('cur4.parquet', 1, 2);
    const plain = await detectDrift(engine, side(ref), side(cur), { exact: true });
    const cache = new SortedColumnCache(path.join(dir, 'c4'), undefined, later);
    await detectDrift(engine, side(ref), side(cur), { exact: true, referenceCache: cache });
    const [a, b, c] = cacheFiles(cache).map((f) => path.join(cache.dir, f));
    const bytes = readFileSync(a!);
    bytes.writeDoubleLE(bytes.readDoubleLE(48 + 8 * 500_000) + 1e-9, 48 + 8 * 500_000); // still sorted, another value
    writeFileSync(a!, bytes);
    writeFileSync(b!, readFileSync(b!).subarray(0, 1000)); // cut short
    const swapped = readFileSync(c!);
    swapped.writeDoubleLE(1e300, 48); // out of order
    writeFileSync(c!, swapped);
    const again = await detectDrift(engine, side(ref), side(cur), { exact: true, referenceCache: cache });
    assert.equal(cache.stats.hits, 0, 'no corrupt file was taken as data');
    assert.deepEqual(again, plain);
    assert.equal(cacheFiles(cache).length, 3, 'rewritten from a fresh sort');
  });

  it('a cache file holding a NaN or an infinity, with a header sum to match, is a miss (the sum alone would pass the NaN)', async () => {
    const ref = await parquet('ref4b.parquet', 0, 3);
    const cur = await parquet('cur4b.parquet', 1, 4);
    const plain = await detectDrift(engine, side(ref), side(cur), { exact: true });
    const cache = new SortedColumnCache(path.join(dir, 'c4b'), undefined, later);
    await detectDrift(engine, side(ref), side(cur), { exact: true, referenceCache: cache });
    const files = cacheFiles(cache).map((f) => path.join(cache.dir, f));
    const [a, b] = files;
    const withNaN = readFileSync(a!);
    withNaN.writeDoubleLE(NaN, 48 + 8 * 1000);
    withNaN.writeDoubleLE(NaN, 24); // Object.is(NaN, NaN): the recorded sum agrees
    writeFileSync(a!, withNaN);
    const withInfinity = readFileSync(b!);
    withInfinity.writeDoubleLE(Infinity, withInfinity.length - 8); // the last value: still in order
    withInfinity.writeDoubleLE(Infinity, 24);
    writeFileSync(b!, withInfinity);
    const again = await detectDrift(engine, side(ref), side(cur), { exact: true, referenceCache: cache });
    assert.equal(cache.stats.hits, files.length - 2, 'neither file was taken as data; the other columns were');
    assert.deepEqual(strip(again), strip(plain));
  });

  it('two names of one file (a symbolic link) share entries; a sampled reference is not cached', async () => {
    const ref = await parquet('ref5.parquet', 0, 1);
    const cur = await parquet('cur5.parquet', 0, 2);
    const link = path.join(dir, 'link5.parquet');
    symlinkSync(ref, link);
    const cache = new SortedColumnCache(path.join(dir, 'c5'), undefined, later);
    const viaFile = await detectDrift(engine, side(ref), side(cur), { exact: true, referenceCache: cache });
    const viaLink = await detectDrift(engine, side(link), side(cur), { exact: true, referenceCache: cache });
    assert.equal(cache.stats.hits, 3);
    assert.deepEqual(strip(viaLink), strip(viaFile));
    const before = { ...cache.stats };
    await detectDrift(engine, side(ref), side(cur), { valueBudget: 500_000, referenceCache: cache });
    assert.deepEqual(cache.stats, before, 'a row sample of the reference neither reads nor writes the cache');
  });

  it('the folder stays within its byte bound, least recently used out first', async () => {
    const cur = await parquet('cur6.parquet', 0, 2);
    const one = 48 + 8 * ROWS; // one full column's file
    const cache = new SortedColumnCache(path.join(dir, 'c6'), 4 * one, later);
    const r1 = await parquet('r1.parquet', 0, 11);
    await detectDrift(engine, side(r1), side(cur), { exact: true, referenceCache: cache });
    const r2 = await parquet('r2.parquet', 0, 12);
    await detectDrift(engine, side(r2), side(cur), { exact: true, referenceCache: cache });
    const files = cacheFiles(cache);
    const total = files.reduce((a, f) => a + statSync(path.join(cache.dir, f)).size, 0);
    assert.ok(total <= 4 * one, `${total} bytes kept, bound ${4 * one}`);
    assert.ok(cache.stats.evicted >= 2, `evicted ${cache.stats.evicted}`);
    // The newest reference's columns are the ones kept: a third report on r2 hits.
    const hitsBefore = cache.stats.hits;
    await detectDrift(engine, side(r2), side(cur), { exact: true, referenceCache: cache });
    assert.ok(cache.stats.hits - hitsBefore >= 2);
  });

  it('a cache folder that cannot be written (here: under a regular file) costs nothing but the cache', async () => {
    const ref = await parquet('ro.parquet', 0, 31);
    const cur = await parquet('ro-cur.parquet', 2, 32);
    const plain = await detectDrift(engine, side(ref), side(cur), { exact: true });
    const blocker = path.join(dir, 'not-a-folder');
    writeFileSync(blocker, 'x');
    const cache = new SortedColumnCache(path.join(blocker, 'cache'), undefined, later); // mkdir fails: ENOTDIR
    const report = await detectDrift(engine, side(ref), side(cur), { exact: true, referenceCache: cache });
    assert.deepEqual(report, plain);
    assert.equal(cache.stats.writes, 0);
  });

  it('a reference larger than the whole bound is not cached at all (it would evict itself on every check)', async () => {
    const ref = await parquet('big.parquet', 0, 21);
    const cur = await parquet('big-cur.parquet', 0, 22);
    const one = 48 + 8 * ROWS;
    const cache = new SortedColumnCache(path.join(dir, 'c7'), 2 * one, later); // one column fits, three do not
    await detectDrift(engine, side(ref), side(cur), { exact: true, referenceCache: cache });
    await detectDrift(engine, side(ref), side(cur), { exact: true, referenceCache: cache });
    assert.deepEqual(cache.stats, { hits: 0, misses: 0, writes: 0, evicted: 0 });
  });
});
