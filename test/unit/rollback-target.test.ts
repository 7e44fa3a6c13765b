import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AliasMove, ModelVersion } from '../../src/registry/registry.js';
import { rollbackTarget } from '../../src/registry/rollback-target.js';

const move = (from: number | null, to: number | null, alias = 'champion'): AliasMove => ({ model: 'm', alias, from, to, at: '2026-01-01T00:00:00Z', actor: 'a', reason: 'r' });
const version = (n: number, bad = false): ModelVersion => ({
  model: 'm',
  version: n,
  recordId: `r${n}`,
  workflowId: `r${n}`,
  artifact: { sha256: '', uri: '' },
  dataFingerprint: { sha256: '', files: 1, bytes: 1, rows: 1, schema: [] },
  params: {},
  metrics: {},
  triggers: [],
  codeVersion: undefined,
  createdAt: '2026-01-01T00:00:00Z',
  ...(bad ? { rolledBack: { at: '2026-01-02T00:00:00Z', by: 'alice', reason: `v${n} bad` } } : {}),
});

describe('rollback target: back through the alias history, past versions declared bad', () => {
  const promoted = [move(null, 1), move(1, 2), move(2, 3), move(3, 4)];

  it('goes to the version before when nothing was declared bad', () => {
    assert.deepEqual(rollbackTarget(promoted, 'champion', 4, [1, 2, 3, 4].map((n) => version(n))), { to: 3, skipped: [] });
  });

  it('after one rollback (v4 bad), the next goes to v2, not back to v4', () => {
    const history = [...promoted, move(4, 3)];
    const r = rollbackTarget(history, 'champion', 3, [version(1), version(2), version(3), version(4, true)]);
    assert.equal(r.to, 2);
    assert.deepEqual(r.skipped.map((s) => s.version), [4]);
    assert.match(r.skipped[0]!.why, /rolled back 2026-01-02T00:00:00Z by alice: v4 bad/);
  });

  it('nothing eligible: no target, and every version walked past is named', () => {
    const history = [...promoted, move(4, 3), move(3, 2), move(2, 1)];
    const r = rollbackTarget(history, 'champion', 1, [version(1), version(2, true), version(3, true), version(4, true)]);
    assert.deepEqual(r, { to: null, skipped: r.skipped });
    assert.deepEqual(r.skipped.map((s) => s.version), [2, 3, 4]);
  });

  it('a version promoted by hand after being declared bad stays skipped; moves of other aliases do not count', () => {
    const history = [move(null, 1), move(1, 2), move(2, 1), move(1, 2), move(null, 5, 'staging'), move(2, 3)];
    const r = rollbackTarget(history, 'champion', 3, [version(1), version(2, true), version(3), version(5)]);
    assert.equal(r.to, 1);
    assert.deepEqual(r.skipped.map((s) => s.version), [2]);
  });

  it('a version gone from the registry is skipped with that reason', () => {
    const r = rollbackTarget([move(null, 1), move(1, 2), move(2, 3)], 'champion', 3, [version(1), version(3)]);
    assert.equal(r.to, 1);
    assert.deepEqual(r.skipped, [{ version: 2, why: 'no longer in the registry' }]);
  });
});
