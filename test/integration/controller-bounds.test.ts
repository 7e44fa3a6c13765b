import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { listRunRecords } from '../../src/audit/audit-log.js';
import { controllerId, controllerStatus, sendTrigger } from '../../src/client/controller.js';
import { jsonBytes, TRIGGER_LIMITS } from '../../src/triggers/trigger-limits.js';
import { CONTROLLER_BUDGET, retrainController, type ControllerStatus } from '../../src/workflows/retrain-controller.js';
import { triggerSignal } from '../../src/workflows/messages.js';
import { makeProject } from '../helpers/project.js';
import { recordHistory } from '../helpers/record-history.js';
import { defaultDeps, withWorker } from '../helpers/temporal.js';
import { until } from '../helpers/wait.js';

/** details of exactly the largest allowed size, as JSON. */
function maxDetails(tag: string): Record<string, unknown> {
  const base = { tag, blob: '' };
  const blob = 'x'.repeat(TRIGGER_LIMITS.detailsBytes - jsonBytes(base));
  const d = { tag, blob };
  assert.equal(jsonBytes(d), TRIGGER_LIMITS.detailsBytes);
  return d;
}

async function inBatches<T>(n: number, size: number, fn: (i: number) => Promise<T>): Promise<void> {
  for (let i = 0; i < n; i += size) await Promise.all(Array.from({ length: Math.min(size, n - i) }, (_, j) => fn(i + j)));
}

const idle = (client: Client, model: string, runs: number) =>
  until(`${model}: ${runs} run(s) and idle`, async () => {
    const s = await controllerStatus(client, model);
    return s && s.counters.runs >= runs && s.phase === 'idle' && s.pending.total === 0 ? s : null;
  }, 8 * 60_000);

/** Issue 13, item 5: no trigger, however large or malformed, jams a controller. */
describe('controller state bounded in bytes (real dev server)', () => {
  it('a flood of the largest allowed triggers, with and without keys: status answers, state stays under budget, history rolls over by size, the run happens', async (t) => {
    const model = 'bounds-flood';
    const p = await makeProject({ trigger: { quietPeriod: '1h', maxWait: '2h' } }, 1500, model);
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      try {
        const N = 600; // ~5 MB of signals: over the 4 MiB roll-over threshold with a margin
        const key = (i: number) => `${String(i).padStart(6, '0')}-${'k'.repeat(TRIGGER_LIMITS.idempotencyKeyChars - 7)}`;
        await inBatches(N, 10, (i) =>
          sendTrigger(client, {
            model,
            taskQueue,
            trigger: { reason: i % 2 ? 'new_data' : 'drift_alert', source: 's'.repeat(TRIGGER_LIMITS.sourceChars), details: maxDetails(`t${i}`), ...(i % 2 ? { idempotencyKey: key(i % 400) } : {}) },
          }),
        );
        const distinct = N / 2 + Math.min(N / 2, 400 / 2); // even: no key; odd: keys repeat after 400
        const s: ControllerStatus = await until('every flood signal counted', async () => {
          const st = await controllerStatus(client, model);
          return st && st.counters.received === N ? st : null;
        });
        t.diagnostic(`after ${N} signals of ${TRIGGER_LIMITS.detailsBytes} B details: state ${s.stateBytes} B, continued-as-new ${s.counters.continuedAsNew}×, pending ${s.pending.total}`);
        assert.equal(s.counters.accepted, distinct);
        assert.equal(s.counters.duplicates, N - distinct);
        assert.equal(s.pending.total, distinct, 'every distinct trigger pending (details kept up to the budget, the rest counted)');
        assert.ok(s.stateBytes < CONTROLLER_BUDGET.warnStateBytes, `state ${s.stateBytes} B under ${CONTROLLER_BUDGET.warnStateBytes}`);
        assert.ok(s.counters.continuedAsNew >= 1, 'the history (> 4 MiB of signals) rolled over by size');
        const info = await client.workflow.getHandle(controllerId(model)).describe();
        assert.ok(Number(String(info.raw.workflowExecutionInfo?.historySizeBytes ?? 0)) < 8 * 1024 * 1024, 'current history stays bounded');

        await sendTrigger(client, { model, taskQueue, trigger: { reason: 'manual', source: 'test', force: true } });
        const done = await idle(client, model, 1);
        assert.equal(done.recent[0]!.triggers.total, distinct + 1, 'one run answers every trigger');
        assert.ok(['promoted', 'rejected'].includes(done.recent[0]!.outcome), done.recent[0]!.reason);
        const [record] = await listRunRecords(path.join(p.dir, '.retrain'), model);
        assert.ok(jsonBytes(record!.triggers) <= CONTROLLER_BUDGET.pendingBytes + 1024, `the pipeline input carried ${jsonBytes(record!.triggers)} B of triggers`);
        assert.ok(done.stateBytes < CONTROLLER_BUDGET.warnStateBytes);
      } finally {
        await client.workflow.getHandle(controllerId(model)).terminate('test finished').catch(() => {});
      }
    });
  });

  it('oversized and malformed signals sent straight to Temporal (as the Temporal CLI can) are cut or refused, never carried whole', async (t) => {
    const model = 'bounds-direct';
    const p = await makeProject({ trigger: { quietPeriod: '1h', maxWait: '2h' } }, 1500, model);
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      const id = controllerId(model);
      try {
        // The jam: a 62 KB details, 50 times, bypassing every client-side check.
        const big = { reason: 'new_data', source: 'temporal-cli', details: { blob: 'x'.repeat(62_000) } };
        await client.workflow.signalWithStart(retrainController, { workflowId: id, taskQueue, args: [{ model }], signal: triggerSignal, signalArgs: [big as never] });
        const handle = client.workflow.getHandle(id);
        for (let i = 1; i < 50; i++) await handle.signal(triggerSignal, big as never);
        const malformed: unknown[] = [null, 'manual', 42, [], { reason: 'because', source: 'x' }, { source: 'x' }, { reason: 'manual', source: 'x', idempotencyKey: 'k'.repeat(5000) }, { reason: 'manual', source: 'x', force: 'yes' }, { reason: 'manual', source: 'x', details: 'not an object' }];
        for (const m of malformed) await handle.signal(triggerSignal, m as never);
        // Kept, but cut: a huge unknown field is dropped, a huge source is shortened.
        await handle.signal(triggerSignal, { reason: 'manual', source: 'y'.repeat(100_000), junk: 'z'.repeat(1_500_000) } as never);
        const s = await until('all signals counted', async () => {
          const st = await controllerStatus(client, model);
          return st && st.counters.received === 50 + malformed.length + 1 ? st : null;
        });
        t.diagnostic(`state ${s.stateBytes} B; counters ${JSON.stringify(s.counters)}`);
        assert.equal(s.counters.refused, malformed.length - 1, 'malformed signals refused (a non-object details is cut, not refused)');
        assert.equal(s.counters.accepted, 51 + 1);
        assert.equal(s.counters.truncated, 50 + 2);
        assert.ok(s.stateBytes < 64 * 1024, `state ${s.stateBytes} B`);
        assert.deepEqual(s.pending.first[0]!.details, { truncated: true, bytes: jsonBytes(big.details) });

        await sendTrigger(client, { model, taskQueue, trigger: { reason: 'manual', source: 'test', force: true } });
        const done = await idle(client, model, 1);
        assert.equal(done.recent[0]!.triggers.total, 53);
        assert.ok(['promoted', 'rejected'].includes(done.recent[0]!.outcome), done.recent[0]!.reason);
        // And it keeps answering after the run.
        assert.equal((await controllerStatus(client, model))!.phase, 'idle');
      } finally {
        await recordHistory(client, id, 'controller-bounded');
        await client.workflow.getHandle(id).terminate('test finished').catch(() => {});
      }
    });
  });

  it('remembers every live gateway delivery up to its bound, then refuses new ones rather than risk counting a replay', async (t) => {
    const model = 'bounds-deliveries';
    const p = await makeProject({ trigger: { quietPeriod: '1h', maxWait: '2h' } }, 300, model);
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      try {
        const expires = new Date(Date.now() + 10 * 60_000).toISOString();
        const delivery = (i: number) => ({ reason: 'new_data' as const, source: 'gateway', deliveryId: `d${String(i).padStart(39, '0')}`, deliveryExpiresAt: expires });
        const n = CONTROLLER_BUDGET.deliveries;
        await inBatches(n, 20, (i) => sendTrigger(client, { model, taskQueue, trigger: delivery(i) }));
        await sendTrigger(client, { model, taskQueue, trigger: delivery(0) }); // a replay of the first
        await sendTrigger(client, { model, taskQueue, trigger: delivery(n) }); // one more than the bound
        const s = await until('every delivery counted', async () => {
          const st = await controllerStatus(client, model);
          return st && st.counters.received === n + 2 ? st : null;
        });
        t.diagnostic(`${n} live deliveries: state ${s.stateBytes} B, continued-as-new ${s.counters.continuedAsNew}×`);
        assert.equal(s.counters.accepted, n);
        assert.equal(s.counters.replays, 1, 'the oldest delivery is still remembered');
        assert.equal(s.counters.refused, 1, 'over the bound: refused, not counted');
        assert.ok(s.stateBytes < CONTROLLER_BUDGET.warnStateBytes, `state ${s.stateBytes} B`);
      } finally {
        await client.workflow.getHandle(controllerId(model)).terminate('test finished').catch(() => {});
      }
    });
  });
});
