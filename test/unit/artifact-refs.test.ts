import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { LocalRegistry } from '../../src/registry/local.js';

describe('artifact references of the local registry', () => {
  const modelDir = () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'retrain-ref-')), 'model');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'model.json'), '{"w":[1]}');
    return dir;
  };

  it('a staged artifact is fetched by reference, and a retried stage gives the same reference', async () => {
    const registry = new LocalRegistry(mkdtempSync(path.join(tmpdir(), 'retrain-reg-')));
    const dir = modelDir();
    const ref = await registry.stageArtifact('m', 'run-1', dir);
    assert.deepEqual(await registry.stageArtifact('m', 'run-1', dir), ref, 'idempotent: content-addressed');
    assert.doesNotMatch(ref.uri, /^\//, 'a reference, not a host path');
    assert.equal(readFileSync(path.join(await registry.fetchArtifact('m', ref), 'model.json'), 'utf8'), '{"w":[1]}');
    const version = await registry.register({ model: 'm', recordId: 'run-1', workflowId: 'run-1', artifact: ref, dataFingerprint: { sha256: 'a'.repeat(64), files: 1, bytes: 1, rows: 1, schema: [] }, params: {}, metrics: {}, triggers: [], codeVersion: undefined });
    assert.equal(version.artifact.sha256, ref.sha256);
  });

  it('a worker whose stateDir is not the one that staged the artifact says so instead of reading its own disk', async () => {
    const hostA = new LocalRegistry(mkdtempSync(path.join(tmpdir(), 'retrain-reg-a-')));
    const hostB = new LocalRegistry(mkdtempSync(path.join(tmpdir(), 'retrain-reg-b-')));
    const dir = modelDir();
    const ref = await hostA.stageArtifact('m', 'run-1', dir);
    // Host B even holds the same content: it must still refuse, because its registry is another one.
    await hostB.stageArtifact('m', 'run-0', dir);
    await assert.rejects(hostB.fetchArtifact('m', ref), /is not the one that staged .* need one shared stateDir, or registry.backend: mlflow/);
  });
});
