import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { pruneSnapshots, snapshotData, snapshotData as snapshot } from '../../src/data/content-snapshot.js';
import { DataEngine, readerFor } from '../../src/data/engine.js';
import { StatCache } from '../../src/data/stat-cache.js';
import { fingerprint } from '../../src/data/fingerprint.js';
import { snapshotDataset } from '../../src/data/snapshot.js';
import { tempNameFor } from '../../src/registry/temp-files.js';

const engine = await DataEngine.open({ threads: 1 });
after(() => engine.close());
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

function csv(dir: string, name: string, rows: number, offset = 0) {
  mkdirSync(dir, { recursive: true });
  const body = ['id,x', ...Array.from({ length: rows }, (_, i) => `${i + offset},${(i * 7) % 13}`)].join('\n') + '\n';
  writeFileSync(path.join(dir, name), body);
  return path.join(dir, name);
}

describe('data snapshot: one immutable, content-addressed copy of a run\'s data', () => {
  it('copies byte for byte under its sha256, keeps the file name, read-only, and agrees with the check\'s fingerprint', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'retrain-snap-'));
    const source = csv(path.join(dir, 'data'), 'current.csv', 500);
    const root = path.join(dir, 'snapshots', 'm');
    const snap = await snapshotData(engine, { source, format: 'auto', root, owner: 'run-1' });
    const bytes = readFileSync(source);
    assert.equal(snap.fingerprint.sha256, sha(bytes));
    assert.equal(snap.location, path.join(root, sha(bytes), 'current.csv'));
    assert.deepEqual(readFileSync(snap.location), bytes);
    assert.equal(snap.fingerprint.rows, 500);
    assert.equal(snap.fingerprint.bytes, bytes.length);
    assert.equal(statSync(snap.location).mode & 0o222, 0, 'read-only');
    const checked = await fingerprint(engine, source);
    assert.equal(checked.sha256, snap.fingerprint.sha256, 'same data, same hash as the check step');
    assert.deepEqual(checked.schema, snap.fingerprint.schema);
    assert.equal(snap.reused, false);
    // The same content again: the existing folder is reused, nothing else is left.
    const again = await snapshotData(engine, { source, format: 'auto', root, owner: 'run-2' });
    assert.equal(again.reused, true);
    assert.equal(again.location, snap.location);
    assert.deepEqual(readdirSync(root), [sha(bytes)]);
  });

  it('a copy of an unchanged CSV takes the dialect sniffed for its source; a source changed since, during the copy, or written within the timestamp granularity of its sniff does not lend it', async () => {
    const sniffs: string[] = [];
    const rows = engine.rows.bind(engine);
    engine.rows = (sql, params, location) => {
      if (sql.includes('sniff_csv')) sniffs.push(String(params?.[0]));
      return rows(sql, params, location);
    };
    // Last written more than the 2 s granularity before its sniff, as a dataset is when a check reads it.
    const settle = () => new Promise((r) => setTimeout(r, 2_100));
    try {
      const dir = mkdtempSync(path.join(tmpdir(), 'retrain-snap-'));
      // The stat cache vouches for the bytes the copy took (a snapshot lends only to those, see the symlink test).
      const cache = new StatCache(path.join(dir, 'state', 'fingerprints.jsonl'));
      const snapshotData = (opts: Parameters<typeof snapshot>[1]) => snapshot(engine, { ...opts, cache });
      const source = path.join(dir, 'current.csv');
      writeFileSync(source, 'id;x\n1;"a;b"\n2;c\n');
      await settle();
      await engine.reader(source); // the check's sniff
      await fingerprint(engine, source, 'auto', undefined, { cache }); // and its fingerprint, into the stat cache
      assert.equal(sniffs.length, 1);
      const snap = await snapshotData({ source, format: 'auto', root: path.join(dir, 's1'), owner: 'run-1' });
      assert.deepEqual(sniffs, [source], 'the copy was not sniffed again');
      assert.deepEqual(await engine.rows(`SELECT * FROM ${await engine.reader(snap.location)}`, [snap.location]), [{ id: 1, x: 'a;b' }, { id: 2, x: 'c' }]);

      // Rewritten after its sniff (another delimiter, another column): the copy sniffs its own bytes.
      writeFileSync(source, 'id,x,y\n1,2,3\n');
      const later = await snapshotData({ source, format: 'auto', root: path.join(dir, 's2'), owner: 'run-2' });
      assert.deepEqual(sniffs.slice(1), [later.location]);
      assert.deepEqual(later.fingerprint.schema.map((c) => c.name), ['id', 'x', 'y']);

      // Sniffed within the granularity of its last write (on a coarse clock a same-size rewrite in that tick would
      // keep its state): not lent.
      writeFileSync(source, 'id,x,z\n1,2,3\n');
      await engine.reader(source);
      sniffs.length = 0;
      const fresh = await snapshotData({ source, format: 'auto', root: path.join(dir, 's3'), owner: 'run-3' });
      assert.deepEqual(sniffs, [fresh.location], 'the copy of a just-written source was sniffed on its own');

      // Settled and sniffed, then rewritten while it is being copied: not lent either.
      writeFileSync(source, 'id,x,ww\n1,2,3\n'); // another size: in one kernel tick a same-size rewrite keeps its stat
      await settle();
      sniffs.length = 0;
      await engine.reader(source);
      await fingerprint(engine, source, 'auto', undefined, { cache }); // vouched for: only the state check stops the lending
      const racing = await snapshotData({ source, format: 'auto', root: path.join(dir, 's4'), owner: 'run-4', onProgress: () => writeFileSync(source, 'a;b\n1;2\n') });
      assert.deepEqual(sniffs, [source, racing.location], 'the settled source was sniffed anew, and the copy on its own');
      assert.deepEqual(racing.fingerprint.schema.map((c) => c.name), ['id', 'x', 'ww'], 'the copy holds the bytes before the rewrite');
    } finally {
      engine.rows = rows;
    }
  });

  it('a glob keeps the files\' layout under the snapshot, and the same glob reads them there', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'retrain-snap-'));
    csv(path.join(dir, 'data', 'a'), 'part.csv', 10);
    csv(path.join(dir, 'data', 'b'), 'part.csv', 20, 10);
    const snap = await snapshotData(engine, { source: path.join(dir, 'data', '*', 'part.csv'), format: 'auto', root: path.join(dir, 's'), owner: 'r' });
    assert.equal(snap.fingerprint.rows, 30);
    assert.equal(snap.fingerprint.files, 2);
    assert.equal(snap.location, path.join(dir, 's', snap.fingerprint.sha256, '*', 'part.csv'));
    assert.deepEqual(readdirSync(path.join(dir, 's', snap.fingerprint.sha256)).sort(), ['a', 'b']);
  });

  it('a glob whose files list their columns in other orders is read by header, in its snapshot\'s lineage Parquet copy too', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'retrain-snap-'));
    mkdirSync(path.join(dir, 'data'));
    writeFileSync(path.join(dir, 'data', 'a.csv'), 'city,label\nparis,north\nrome,south\n');
    writeFileSync(path.join(dir, 'data', 'b.csv'), 'label,city\nnorth,oslo\n');
    const snap = await snapshotData(engine, { source: path.join(dir, 'data', '*.csv'), format: 'csv', root: path.join(dir, 's'), owner: 'r' });
    const expected = [{ city: 'oslo', label: 'north' }, { city: 'paris', label: 'north' }, { city: 'rome', label: 'south' }];
    assert.deepEqual(await engine.rows(`SELECT city, label FROM ${readerFor(snap.location, 'csv')} ORDER BY city`, [snap.location]), expected, 'DuckDB reads each file by its header');
    assert.deepEqual(await engine.rows(`SELECT city, label FROM ${await engine.reader(snap.location, 'csv')} ORDER BY city`, [snap.location]), expected, 'and so does the engine\'s reader');
    const parquet = await snapshotDataset(engine, snap.location, 'csv', path.join(dir, 'lineage'), snap.fingerprint.sha256, 'r');
    assert.deepEqual(await engine.rows('SELECT city, label FROM read_parquet($1) ORDER BY city', [parquet]), expected, 'the lineage copy holds the values trained on');
  });

  it('a glob read again after a file other than its first changed reads the change', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'retrain-snap-'));
    writeFileSync(path.join(dir, 'a.csv'), 'id,name\n1,alice\n2,bob\n');
    writeFileSync(path.join(dir, 'b.csv'), 'id,name\n3,carol\n');
    const glob = path.join(dir, '*.csv');
    const read = async () => engine.rows(`SELECT id::VARCHAR AS id, name FROM ${await engine.reader(glob, 'csv')} ORDER BY name`, [glob]);
    assert.equal((await read()).length, 3);
    writeFileSync(path.join(dir, 'b.csv'), 'name,id\ncarol,3\ndave,4\n');
    assert.deepEqual(await read(), [{ id: '1', name: 'alice' }, { id: '2', name: 'bob' }, { id: '3', name: 'carol' }, { id: '4', name: 'dave' }]);
  });

  it('a symlinked source pointed at another file while it is copied, and back, lends the copy nothing: it is read from its own bytes', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'retrain-snap-'));
    const a = path.join(dir, 'a.csv');
    const b = path.join(dir, 'b.csv');
    writeFileSync(a, 'id,city,label\n1,paris,north\n2,rome,south\n');
    writeFileSync(b, 'id,label,city\n1,north,oslo\n2,south,lima\n3,east,kiev\n');
    await new Promise((r) => setTimeout(r, 2_100)); // written (mtime and ctime) past the granularity: lendable
    const source = path.join(dir, 'current.csv');
    symlinkSync(a, source);
    const cache = new StatCache(path.join(dir, 'state', 'fingerprints.jsonl'));
    await engine.reader(source, 'csv'); // the check's sniff, of a.csv
    const point = (target: string) => {
      const tmp = path.join(dir, `link-${Math.random()}`);
      symlinkSync(target, tmp);
      renameSync(tmp, source);
    };
    // The link is swapped to b.csv as the copy begins and back to a.csv before its state is taken again.
    const fileState = engine.fileState.bind(engine);
    let calls = 0;
    engine.fileState = async (file: string) => {
      if (file !== source) return fileState(file);
      calls += 1;
      if (calls === 2) point(a);
      const state = await fileState(file);
      if (calls === 1) point(b);
      return state;
    };
    try {
      const snap = await snapshotData(engine, { source, format: 'csv', root: path.join(dir, 's'), owner: 'r', cache });
      assert.equal(snap.fingerprint.sha256, sha(readFileSync(b)), 'the copy holds b.csv');
      assert.deepEqual(snap.fingerprint.schema.map((c) => c.name), ['id', 'label', 'city']);
      assert.deepEqual(
        await engine.rows(`SELECT * FROM ${await engine.reader(snap.location, 'csv')} ORDER BY id`, [snap.location]),
        await engine.rows(`SELECT * FROM ${readerFor(snap.location, 'csv')} ORDER BY id`, [snap.location]),
      );
    } finally {
      engine.fileState = fileState;
    }
  });

  it("a retry removes the partial copy its killed attempt left; another run's fresh copy stays; old ones are swept", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'retrain-snap-'));
    const source = csv(path.join(dir, 'data'), 'current.csv', 50);
    const root = path.join(dir, 'snapshots', 'm');
    const own = tempNameFor(path.join(root, 'incoming'), 'run-1');
    const other = tempNameFor(path.join(root, 'incoming'), 'run-2');
    const old = path.join(root, 'incoming.0123456789abcdef.tmp');
    for (const d of [own, other, old]) csv(d, 'current.csv', 3);
    const then = new Date(Date.now() - 2 * 3600_000);
    utimesSync(old, then, then);
    const snap = await snapshotData(engine, { source, format: 'auto', root, owner: 'run-1' });
    assert.deepEqual(readdirSync(root).sort(), [snap.fingerprint.sha256, path.basename(other)].sort());
  });

  it('the Parquet lineage copy: a killed attempt\'s temp file is gone after the retry', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'retrain-snap-'));
    const source = csv(path.join(dir, 'data'), 'current.csv', 50);
    const dataDir = path.join(dir, 'lineage');
    const s = sha(readFileSync(source));
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(tempNameFor(path.join(dataDir, `${s}.parquet`), 'run-1'), 'PAR1 half');
    await snapshotDataset(engine, source, 'auto', dataDir, s, 'run-1');
    assert.deepEqual(readdirSync(dataDir), [`${s}.parquet`]);
  });

  it('retention: snapshots referenced by a version stay; old unreferenced ones go; young ones stay', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'retrain-snap-'));
    const root = path.join(dir, 's');
    const [kept, gone, young] = ['a', 'b', 'c'].map((c) => c.repeat(64));
    for (const name of [kept!, gone!, young!]) csv(path.join(root, name), 'x.csv', 1);
    const then = new Date(Date.now() - 10 * 24 * 3600_000);
    for (const name of [kept!, gone!]) utimesSync(path.join(root, name), then, then);
    const removed = await pruneSnapshots(root, new Set([kept!]), 7 * 24 * 3600_000);
    assert.deepEqual(removed, [gone]);
    assert.deepEqual(readdirSync(root).sort(), [kept, young].sort());
  });
});
