import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/errors.js';
import { dvcBinary, dvcLineage, findDvcEntry, parseDvcFile, parseDvcLock, restoreSteps } from '../../src/lineage/dvc.js';

const MD5 = 'a'.repeat(32);

describe('DVC metadata files are read as data, never run', () => {
  it('a .dvc file written by `dvc add`: md5, size and path of its out', () => {
    const outs = parseDvcFile(`outs:\n- md5: ${MD5}\n  size: 1234\n  hash: md5\n  path: current.csv\n`, 'data/current.csv.dvc');
    assert.deepEqual(outs, [{ path: 'current.csv', md5: MD5, size: 1234 }]);
  });

  it('a tracked folder: the .dir md5 and nfiles', () => {
    const outs = parseDvcFile(`outs:\n- md5: ${MD5}.dir\n  size: 99\n  nfiles: 3\n  path: raw\n`, 'data/raw.dvc');
    assert.deepEqual(outs, [{ path: 'raw', md5: `${MD5}.dir`, size: 99, nfiles: 3 }]);
  });

  it('dvc.lock: outs and deps per stage', () => {
    const lock = parseDvcLock(
      `schema: '2.0'\nstages:\n  prepare:\n    cmd: python prep.py\n    deps:\n    - path: raw.csv\n      md5: ${'b'.repeat(32)}\n    outs:\n    - path: data/current.csv\n      md5: ${MD5}\n      size: 10\n`,
      'dvc.lock',
    );
    assert.deepEqual(lock.get('prepare'), { deps: [{ path: 'raw.csv', md5: 'b'.repeat(32) }], outs: [{ path: 'data/current.csv', md5: MD5, size: 10 }] });
  });

  for (const [name, text, field] of [
    ['not YAML', 'outs: [\n  - md5: x', 'not valid YAML'],
    ['a list at the top', '- a\n- b\n', 'expected a YAML map'],
    ['outs missing', 'deps: []\n', 'field outs'],
    ['an out without md5', 'outs:\n- path: current.csv\n', 'field outs[0].md5'],
    ['an md5 that is not one', 'outs:\n- path: current.csv\n  md5: "; rm -rf /"\n', 'field outs[0].md5'],
    ['an out without path', `outs:\n- md5: ${MD5}\n`, 'field outs[0].path'],
  ] as const) {
    it(`a malformed .dvc file (${name}) is a ConfigError naming the file and field`, () => {
      assert.throws(() => parseDvcFile(text, 'data/current.csv.dvc'), (err: unknown) => {
        assert.ok(err instanceof ConfigError, String(err));
        assert.match(err.message, /^data\/current\.csv\.dvc: /);
        assert.ok(err.message.includes(field), err.message);
        return true;
      });
    });
  }

  it('a malformed dvc.lock (stages not a map, outs not a list) is a ConfigError naming it', () => {
    assert.throws(() => parseDvcLock('stages: [1, 2]\n', 'dvc.lock'), /dvc\.lock: field stages: expected a map/);
    assert.throws(() => parseDvcLock('stages:\n  train:\n    outs: model.pkl\n', 'dvc.lock'), /dvc\.lock: field stages\.train\.outs: expected a list/);
  });

  it('finds the entry: a .dvc file next to the data, a folder above a glob, or a dvc.lock out', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'dvc-unit-'));
    mkdirSync(path.join(root, '.dvc'));
    mkdirSync(path.join(root, 'data', 'raw'), { recursive: true });
    writeFileSync(path.join(root, 'data', 'current.csv.dvc'), `outs:\n- md5: ${MD5}\n  path: current.csv\n`);
    writeFileSync(path.join(root, 'data', 'raw.dvc'), `outs:\n- md5: ${MD5}.dir\n  nfiles: 2\n  path: raw\n`);
    writeFileSync(path.join(root, 'dvc.lock'), `stages:\n  prepare:\n    outs:\n    - path: data/prepared.parquet\n      md5: ${'c'.repeat(32)}\n`);
    const next = await findDvcEntry(path.join(root, 'data', 'current.csv'));
    assert.equal(next?.file, path.join('data', 'current.csv.dvc'));
    const glob = await findDvcEntry(path.join(root, 'data', 'raw', '*.csv'));
    assert.equal(glob?.file, path.join('data', 'raw.dvc'));
    assert.equal(glob?.outPath, path.join('data', 'raw'));
    const staged = await findDvcEntry(path.join(root, 'data', 'prepared.parquet'));
    assert.deepEqual([staged?.file, staged?.stage, staged?.out.md5], ['dvc.lock', 'prepare', 'c'.repeat(32)]);
    assert.equal(await findDvcEntry(path.join(root, 'data', 'untracked.csv')), null);
    // Outside any DVC repository: no lineage, no error.
    assert.equal(await dvcLineage(path.join(tmpdir(), 'nowhere', 'x.csv')), null);
  });

  it('the restore steps name the commit and the entry; RETRAIN_DVC_PATH overrides the binary', () => {
    const steps = restoreSteps({ repo: '/repo with space', path: 'data/current.csv', file: 'data/current.csv.dvc', md5: MD5, commit: 'f'.repeat(40) });
    assert.equal(steps[0], `git -C '/repo with space' checkout ${'f'.repeat(40)}`);
    assert.match(steps[1]!, /dvc checkout data\/current\.csv\.dvc/);
    assert.equal(dvcBinary({ RETRAIN_DVC_PATH: '/opt/dvc/bin/dvc' }), '/opt/dvc/bin/dvc');
  });
});
