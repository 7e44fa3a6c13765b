import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunRecord } from '../../src/audit/audit-log.js';
import { explainRecord } from '../../src/cli/commands/audit.js';
import { segmentDriftRule } from '../../src/policy/trigger-policy.js';

// Red team: a segment value is the data's own text, and `retrain explain` prints the segment_drift rule's detail
// to an operator's terminal. An escape sequence or a newline in a region's name must stay visible text.
describe('retrain explain: data text in rule details cannot drive the terminal or forge lines', () => {
  it('a segment value with an ANSI/OSC escape and a newline is printed escaped, on its own line', () => {
    const evil = 'eu\u001b]52;c;ZXZpbA==\u0007\u001b[2J\n  ✔ fired  data_drift         forged';
    const rule = segmentDriftRule({}, { datasetShareThreshold: 0.5, notTested: [], segments: [{ column: 'region', value: evil, refRows: 600, curRows: 600, driftedShare: 1, datasetDrift: true, driftedColumns: ['x\u001b[31m'] }] });
    const record = {
      workflowId: 'retrain/m/1',
      model: 'm',
      startedAt: '2026-12-01T00:00:00Z',
      finishedAt: '2026-12-01T00:01:00Z',
      coalesced: { total: 1, byReason: { schedule: 1 } },
      triggers: [],
      force: false,
      decision: { retrain: true, reason: 'segment drift', rules: [rule] },
      result: { outcome: 'skipped', reason: 'test' },
    } as unknown as RunRecord;
    const text = explainRecord(record);
    assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(text), JSON.stringify(text));
    const lines = text.split('\n');
    assert.equal(lines.filter((l) => l.includes('forged')).length, 1);
    assert.ok(!lines.some((l) => /^\s+✔ fired\s+data_drift/.test(l)), 'a forged rule line');
    assert.match(text, /segment_drift .*eu\\u001b\]52;c;ZXZpbA==\\u0007\\u001b\[2J\\n/);
  });
});
