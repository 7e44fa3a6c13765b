import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { codeVersion, gitState } from '../../src/lineage/git.js';

const git = (cwd: string, ...args: string[]) => execa('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd });

/** A fresh repository with train.py committed. */
async function repoWithOneCommit(): Promise<string> {
  const repo = mkdtempSync(path.join(tmpdir(), 'retrain-git-'));
  await git(repo, 'init', '-q');
  writeFileSync(path.join(repo, 'train.py'), 'print(1)\n');
  await git(repo, 'add', '.');
  await git(repo, 'commit', '-qm', 'one');
  return repo;
}

describe('code version from git, read per run', () => {
  it('follows new commits, marks a dirty tree, ignores untracked files, and lets RETRAIN_CODE_VERSION override', async () => {
    const repo = await repoWithOneCommit();
    const first = (await git(repo, 'rev-parse', 'HEAD')).stdout;
    mkdirSync(path.join(repo, 'model'));
    assert.deepEqual(await codeVersion([repo, path.join(repo, 'model')], {}), { label: first, repos: [{ repo, commit: first, dirty: false }] });

    writeFileSync(path.join(repo, 'untracked.csv'), 'a\n1\n');
    assert.equal((await gitState(repo))!.dirty, false, 'untracked data does not make the code dirty');
    writeFileSync(path.join(repo, 'train.py'), 'print(2)\n');
    assert.equal((await codeVersion([repo], {})).label, `${first}-dirty`);
    await git(repo, 'commit', '-qam', 'two');
    const second = (await git(repo, 'rev-parse', 'HEAD')).stdout;
    assert.notEqual(second, first);
    assert.equal((await codeVersion([repo], {})).label, second, 'a later commit is seen by the next run, without a restart');
    assert.equal((await codeVersion([repo], { RETRAIN_CODE_VERSION: 'build-42' })).label, 'build-42');
  });

  it('finds a linked worktree (a .git file), and concurrent reads of one folder share one answer', async () => {
    const repo = await repoWithOneCommit();
    const head = (await git(repo, 'rev-parse', 'HEAD')).stdout;
    const tree = path.join(mkdtempSync(path.join(tmpdir(), 'retrain-wt-')), 'wt');
    await git(repo, 'worktree', 'add', '-q', tree);
    const [a, b] = await Promise.all([gitState(path.join(tree)), gitState(tree)]);
    assert.equal(a, b, 'one read for both callers');
    assert.deepEqual(a, { repo: realpathSync(tree), commit: head, dirty: false });
    const later = await gitState(tree);
    assert.notEqual(later, a, 'a call after the first finished reads again');
  });

  it('is null outside a repository', async () => {
    assert.deepEqual(await codeVersion([mkdtempSync(path.join(tmpdir(), 'retrain-nogit-'))], {}), { label: null, repos: [] });
  });
});
