import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { defaultDeps } from '../../src/activities/deps.js';
import { controllerId } from '../../src/client/controller.js';
import { floodStateDir, floodTriggers, type FloodReport } from '../chaos/trigger-flood.js';
import { makeProject } from '../helpers/project.js';
import { withWorker } from '../helpers/temporal.js';

/**
 * Every trigger is accounted for: counted once (or as a duplicate), answered by a batch, written to the audit trail.
 * A batch is a pipeline run or, for a follow-up batch on unchanged data, the controller's own quick skip: both
 * leave one audit record, and how many batches there are depends on when the signals arrive.
 */
function assertAccounted(report: FloodReport) {
  for (const m of report.perModel) {
    assert.equal(m.received, m.sent, `${m.model}: every signal reached the controller`);
    assert.equal(m.duplicates, m.duplicatesSent, `${m.model}: duplicate deliveries counted once`);
    assert.equal(m.coalescedInRuns, m.sent - m.duplicatesSent, `${m.model}: every distinct trigger answered by a run`);
    assert.equal(m.auditCoalesced, m.sent - m.duplicatesSent, `${m.model}: and written to the audit trail`);
    const batches = m.runs + m.quickSkips;
    assert.ok(m.runs >= 1 && batches <= 2, `${m.model}: ${m.runs} pipeline runs and ${m.quickSkips} quick skips (at least one run, at most 2 batches)`);
    assert.equal(m.auditRecords, batches, `${m.model}: one audit record per batch`);
  }
}

// Small in CI; `npm run flood` sends the 10,000 signals (one model, then 100 models).
describe('trigger flood', () => {
  it('2,000 signals to one model and 1,000 over 20 models: all accounted for, at most 2 batches each, history bounded', async (t) => {
    const p = await makeProject({ trigger: { quietPeriod: '3s', maxWait: '2m' }, train: { params: { epochs: 20 } } }, 300, 'flood-0');
    const model = parse(readFileSync(p.configFile, 'utf8')).models['flood-0'];
    const names = Array.from({ length: 21 }, (_, i) => `flood-${i}`);
    writeFileSync(p.configFile, stringify({ version: 1, dataRoots: ['.'], stateDir: '.retrain', models: Object.fromEntries(names.map((n) => [n, model])) }));
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      try {
        const one = await floodTriggers({ client, taskQueue, models: ['flood-0'], signals: 2000, concurrency: 20, duplicateEvery: 50, stateDir: floodStateDir(p.dir), maxHistoryEvents: 1000 });
        t.diagnostic(`one model: 2000 signals sent in ${one.sendSeconds.toFixed(1)} s, settled ${one.settleSeconds.toFixed(1)} s later; ${JSON.stringify(one.perModel[0])}`);
        assertAccounted(one);
        assert.ok(one.perModel[0]!.continuedAsNew >= 1, 'continue-as-new kept the history bounded');
        assert.ok(one.perModel[0]!.historyLength < 2000, `history length ${one.perModel[0]!.historyLength}`);
        const spread = await floodTriggers({ client, taskQueue, models: names.slice(1), signals: 1000, concurrency: 20, duplicateEvery: 25, stateDir: floodStateDir(p.dir) });
        t.diagnostic(`20 models: 1000 signals sent in ${spread.sendSeconds.toFixed(1)} s, settled ${spread.settleSeconds.toFixed(1)} s later`);
        assertAccounted(spread);
      } finally {
        for (const n of names) await client.workflow.getHandle(controllerId(n)).terminate('test finished').catch(() => {});
      }
    });
  });
});
