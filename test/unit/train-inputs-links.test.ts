import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { changedInputs, inputsDigest } from '../../src/lineage/inputs.js';

/*
 * train.inputs globs and symbolic links. How it could lie: a glob walk that kept regular files only never hashed a
 * symlinked script (src/train.py -> versions/v1.py) or the files of a symlinked folder, so re-pointing the link changed
 * what trains while the check said "unchanged" and skipped (found by a red-team pass).
 */
function project(glob: string) {
  const dir = mkdtempSync(path.join(tmpdir(), 'retrain-inputs-'));
  mkdirSync(path.join(dir, 'src'));
  writeFileSync(path.join(dir, 'src', 'util.py'), 'x = 1\n');
  const plan = { configFile: path.join(dir, 'retrain.config.yaml'), stateDir: path.join(dir, '.retrain'), data: { current: path.join(dir, 'd.csv') }, train: { inputs: [glob] } };
  return { dir, digest: () => inputsDigest(plan) };
}

describe('train.inputs globs follow symbolic links', () => {
  it('a symlinked script is hashed as its target, and re-pointing it is a change', async () => {
    const p = project('src/**/*.py');
    writeFileSync(path.join(p.dir, 'v1.py'), 'print(1)\n');
    writeFileSync(path.join(p.dir, 'v2.py'), 'print(2)\n');
    const link = path.join(p.dir, 'src', 'train.py');
    symlinkSync(path.join(p.dir, 'v1.py'), link);
    const a = (await p.digest())!;
    assert.deepEqual(Object.keys(a.files).sort(), ['src/train.py', 'src/util.py']);
    rmSync(link);
    symlinkSync(path.join(p.dir, 'v2.py'), link);
    assert.deepEqual(changedInputs(a, await p.digest()), ['src/train.py']);
    // Dangling, it is no input any more: that is a change too.
    rmSync(path.join(p.dir, 'v2.py'));
    assert.deepEqual(changedInputs(a, await p.digest()), ['src/train.py']);
  });

  it('a symlinked folder is walked, and a link back up the tree is walked once', async () => {
    const p = project('src/**/*.py');
    mkdirSync(path.join(p.dir, 'shared'));
    writeFileSync(path.join(p.dir, 'shared', 'features.py'), 'f = 1\n');
    symlinkSync(path.join(p.dir, 'shared'), path.join(p.dir, 'src', 'lib'));
    symlinkSync(path.join(p.dir, 'src'), path.join(p.dir, 'shared', 'loop'));
    const files = Object.keys((await p.digest())!.files).sort();
    assert.ok(files.includes('src/lib/features.py'), files.join(', '));
    assert.ok(files.length <= 4, `each file under the loop at most once per path walked: ${files.join(', ')}`);
  });
});
