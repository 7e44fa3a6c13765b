import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { hashDirectory } from '../../src/registry/hash-dir.js';
import { LocalRegistry } from '../../src/registry/local.js';
import { tempNameFor } from '../../src/registry/temp-files.js';

function artifact(dir: string) {
  const artifactDir = path.join(dir, 'model');
  mkdirSync(artifactDir, { recursive: true });
  writeFileSync(path.join(artifactDir, 'model.json'), '{"w":[1,2,3]}');
  return artifactDir;
}

const input = (artifactDir: string, recordId = 'retrain/m/2026-01-01T00:00:00.000Z') => ({
  model: 'm',
  recordId,
  workflowId: recordId,
  artifactDir,
  dataFingerprint: { sha256: 'ab'.repeat(32), files: 1, bytes: 1, rows: 1, schema: [] },
  params: {},
  metrics: { auc: 0.8 },
  triggers: ['manual'],
  codeVersion: undefined,
});

/** What a worker killed in the middle of `cp` leaves: a half-copied folder next to the artifact. */
function partialCopy(at: string, ageMs: number) {
  mkdirSync(at, { recursive: true });
  writeFileSync(path.join(at, 'model.json'), '{"w":[1,');
  const then = new Date(Date.now() - ageMs);
  utimesSync(at, then, then);
}

describe('a register killed mid-copy leaves nothing behind on retry', () => {
  it('an old partial .tmp of a killed attempt is swept when register runs again', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'retrain-reg-'));
    const artifactDir = artifact(dir);
    const sha = await hashDirectory(artifactDir);
    const artifacts = path.join(dir, 'registry', 'm', 'artifacts');
    // Today's name for the temp copy, left by a worker killed two hours ago.
    partialCopy(path.join(artifacts, `${sha}.${randomUUID()}.tmp`), 2 * 3600_000);
    const v = await new LocalRegistry(path.join(dir, 'registry')).register(input(artifactDir));
    assert.equal(v.version, 1);
    assert.deepEqual(readdirSync(artifacts), [sha]);
  });

  it("the retry of the same run removes its own fresh partial copy; another run's copy in progress is kept", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'retrain-reg-'));
    const artifactDir = artifact(dir);
    const sha = await hashDirectory(artifactDir);
    const artifacts = path.join(dir, 'registry', 'm', 'artifacts');
    const recordId = 'retrain/m/2026-02-02T00:00:00.000Z';
    partialCopy(tempNameFor(path.join(artifacts, sha), recordId), 1000);
    const other = tempNameFor(path.join(artifacts, 'ff'.repeat(32)), 'retrain/m/other');
    partialCopy(other, 1000);
    await new LocalRegistry(path.join(dir, 'registry')).register(input(artifactDir, recordId));
    assert.deepEqual(readdirSync(artifacts).sort(), [sha, path.basename(other)].sort());
  });

  it('two attempts of the same run at once (a retry while a timed-out attempt still copies) both succeed', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'retrain-reg-'));
    const artifactDir = artifact(dir);
    const registry = new LocalRegistry(path.join(dir, 'registry'));
    const [a, b] = await Promise.all([registry.register(input(artifactDir)), registry.register(input(artifactDir))]);
    assert.equal(a.version, 1);
    assert.equal(b.version, 1);
    assert.deepEqual(readdirSync(path.join(dir, 'registry', 'm', 'artifacts')), [await hashDirectory(artifactDir)]);
  });
});
