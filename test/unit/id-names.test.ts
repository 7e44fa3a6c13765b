import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { currentInput } from '../../src/activities/wire-names.js';
import { LocalRegistry } from '../../src/registry/local.js';
import { withRunIdAlias } from '../../src/registry/registry.js';

// Issue 16 item 2: `runId` named the pipeline's workflow id, Temporal's run id and the registry's key.
// Now: pipelineId, temporalRunId, recordId (and mlflowRunId inside the MLflow backends).

const SRC = path.resolve('src');
/** Modules that read the pre-0.3 name on purpose (old histories, carried state, stored registries, a deprecated alias). */
const READS_OLD_NAME = ['activities/wire-names.ts', 'registry/registry.ts', 'registry/local.ts', 'registry/mlflow.ts', 'workflows/retrain-controller.ts', 'client/controller.ts'];

describe('one name per id', () => {
  it('src says runId only for Temporal SDK fields and where old names are read', () => {
    const offenders: string[] = [];
    for (const rel of readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'))) {
      if (READS_OLD_NAME.includes(rel.split(path.sep).join('/'))) continue;
      readFileSync(path.join(SRC, rel), 'utf8')
        .split('\n')
        .forEach((line, i) => {
          // info.runId / w.runId: the Temporal SDK's own property names, read into temporalRunId.
          const stripped = line.replace(/\b(info|w)\.runId\b/g, '');
          if (/\brunId\b/.test(stripped)) offenders.push(`${rel}:${i + 1}: ${line.trim()}`);
        });
    }
    assert.deepEqual(offenders, []);
  });

  it('activity inputs scheduled by pre-0.3 workflows arrive with the current names', () => {
    assert.deepEqual(currentInput('trainCandidate', { plan: 1, runId: 'retrain/m/t' }), { plan: 1, pipelineId: 'retrain/m/t' });
    assert.deepEqual(currentInput('promoteVersion', { runId: 'rollback/m/a/1->2', version: 2 }), { recordId: 'rollback/m/a/1->2', version: 2 });
    assert.deepEqual(currentInput('describePipeline', { workflowId: 'retrain/m/t', runId: 'uuid' }), { workflowId: 'retrain/m/t', temporalRunId: 'uuid' });
    assert.deepEqual(currentInput('markRolledBack', { version: 3, mark: { at: 'x', by: 'y', reason: 'z', runId: 'retrain/m/t' } }), {
      version: 3,
      mark: { at: 'x', by: 'y', reason: 'z', recordId: 'retrain/m/t' },
    });
    // Current inputs, and activities without a renamed field, pass through untouched.
    const current = { plan: 1, pipelineId: 'retrain/m/t' };
    assert.equal(currentInput('trainCandidate', current), current);
    assert.deepEqual(currentInput('recordRun', { runId: 'kept' }), { runId: 'kept' });
  });

  it('a local registry written before 0.3 (runId) reads as recordId, and a retried register finds its version', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'ids-'));
    mkdirSync(path.join(root, 'm'), { recursive: true });
    const fp = { sha256: 'ab'.repeat(32), files: 1, bytes: 1, rows: 1, schema: [] };
    const old = {
      model: 'm', version: 1, runId: 'retrain/m/2026-01-01T00:00:00.000Z', workflowId: 'retrain/m/2026-01-01T00:00:00.000Z',
      artifact: { sha256: 'cd'.repeat(32), uri: 'x' }, dataFingerprint: fp, params: {}, metrics: {}, triggers: [], createdAt: '2026-01-01T00:00:00.000Z',
      rolledBack: { at: '2026-01-02T00:00:00.000Z', by: 'ops', reason: 'bad', runId: 'rollback/m/ops/1->0' },
    };
    const move = { model: 'm', alias: 'production', from: null, to: 1, at: '2026-01-01T00:00:00.000Z', actor: 'pipeline', reason: 'r', runId: old.runId };
    writeFileSync(path.join(root, 'm', 'index.json'), JSON.stringify({ versions: [old], aliases: { production: 1 }, aliasHistory: [move] }));
    const registry = new LocalRegistry(root);
    const v = await registry.findByRecordId('m', old.runId);
    assert.equal(v?.version, 1);
    assert.equal(v?.recordId, old.runId);
    assert.equal('runId' in v!, false);
    assert.equal(v?.rolledBack?.recordId, 'rollback/m/ops/1->0');
    const [history] = await registry.aliasHistory('m');
    assert.equal(history?.recordId, old.runId);
    // The same move retried (same record key and reason) is recognised, not recorded twice.
    const again = await registry.setAlias({ model: 'm', alias: 'production', version: 1, expected: 1, actor: 'pipeline', reason: 'r', recordId: old.runId });
    assert.equal(again.moved, true);
    assert.equal((await registry.aliasHistory('m')).length, 1);
    // `retrain versions --json` keeps the old key for scripts that read it.
    const json = withRunIdAlias(v!);
    assert.equal(json.runId, old.runId);
    assert.equal(json.recordId, old.runId);
    assert.equal((json.rolledBack as { runId?: string }).runId, 'rollback/m/ops/1->0');
  });
});
