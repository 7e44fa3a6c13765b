import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { defaultDeps } from '../../src/activities/deps.js';
import { createGateway } from '../../src/gateway/server.js';
import { sign } from '../../src/gateway/signature.js';
import { controllerId, controllerStatus } from '../../src/client/controller.js';
import { makeProject } from '../helpers/project.js';
import { withWorker } from '../helpers/temporal.js';
import { until } from '../helpers/wait.js';

const secret = 'gateway-test-secret-0123456789';

/** The parts of the gateway's JSON replies the test reads. */
interface Reply {
  error: { code: string; reason: string };
  controllerId: string;
  phase: string;
  counters: { received: number; duplicates: number; accepted?: number; replays?: number };
  pending: { byReason: Record<string, number>; first: { details?: unknown }[] };
}

describe('HTTP trigger gateway on a real dev server', () => {
  it('turns signed requests into controller triggers and refuses everything else before it reaches Temporal', async () => {
    // A long quiet period: the controller holds the triggers, so the test can count them without a run.
    const p = await makeProject({ trigger: { quietPeriod: '1h', maxWait: '2h' } }, 300, 'gateway');
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      const server = createGateway({ client, models: ['gateway', 'unstarted'], secret, taskQueue, maxBodyBytes: 4096 });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const call = async (path: string, body: string | null, opts: { secret?: string; skew?: number; method?: string } = {}) => {
        const ts = Math.floor(Date.now() / 1000) + (opts.skew ?? 0);
        const res = await fetch(base + path, {
          method: opts.method ?? (body === null ? 'GET' : 'POST'),
          headers: { 'content-type': 'application/json', 'x-retrain-timestamp': String(ts), 'x-retrain-signature': sign(opts.secret ?? secret, ts, body ?? '') },
          ...(body === null ? {} : { body }),
        });
        return { status: res.status, json: (await res.json()) as Reply };
      };
      const trigger = (b: object) => JSON.stringify({ reason: 'new_data', source: 'airflow', ...b });
      try {
        assert.equal((await fetch(`${base}/healthz`)).status, 200);

        // Refusals: each a JSON error with a reason.
        const refusals = [
          [await call('/v1/models/unstarted/triggers', trigger({}), { secret: 'wrong-secret-wrong-secret' }), 401, /does not match/],
          [await call('/v1/models/unstarted/triggers', trigger({}), { skew: -3600 }), 401, /tolerance/],
          [await call('/v1/models/nope/triggers', trigger({})), 404, /unknown model "nope"/],
          [await call('/v1/models/unstarted/triggers', '{"reason":'), 400, /not valid JSON/],
          [await call('/v1/models/unstarted/triggers', trigger({ reason: 'because' })), 400, /reason/],
          [await call('/v1/models/unstarted/triggers', trigger({ extra: 1 })), 400, /extra/],
          [await call('/v1/models/unstarted/triggers', trigger({ details: { blob: 'x'.repeat(5000) } })), 413, /over 4096 bytes/],
          [await call('/v1/models/unstarted/triggers', null), 405, /POST/],
        ] as const;
        for (const [res, status, reason] of refusals) {
          assert.equal(res.status, status, JSON.stringify(res.json));
          assert.match(res.json.error.reason, reason);
        }
        assert.equal(await controllerStatus(client, 'unstarted'), null, 'no refused request reached Temporal');

        // Accepted: the same idempotency key delivered three times (each signed anew: a webhook redelivery) counts once.
        for (let i = 0; i < 3; i++) {
          const res = await call('/v1/models/gateway/triggers', trigger({ idempotency_key: 'load-2026-03-15', details: { partition: '2026-03-15' } }), { skew: -60 * i }); // distinct timestamps even across a second boundary
          assert.equal(res.status, 202);
          assert.equal(res.json.controllerId, controllerId('gateway'));
        }
        assert.equal((await call('/v1/models/gateway/triggers', trigger({ reason: 'drift_alert', source: 'monitor' }))).status, 202);
        let status: Partial<Reply> = {};
        for (let i = 0; i < 600 && (status.counters?.received !== 4 || status.phase !== 'waiting'); i++) {
          await sleep(200);
          status = (await call('/v1/models/gateway/status', null)).json;
        }
        assert.equal(status.counters?.received, 4);
        assert.equal(status.counters.duplicates, 2);
        assert.deepEqual(status.pending?.byReason, { new_data: 1, drift_alert: 1 });
        assert.deepEqual(status.pending.first[0]?.details, { partition: '2026-03-15' });
        assert.equal(status.phase, 'waiting');
      } finally {
        server.close();
        await client.workflow.getHandle(controllerId('gateway')).terminate('test finished').catch(() => {});
      }
    });
  });
});

describe('gateway replays (real dev server)', () => {
  it('the same signed forced request replayed to two gateways side by side and across a restart counts once and runs at most once', async () => {
    const model = 'gateway-replay';
    const p = await makeProject({ trigger: { quietPeriod: '1h', maxWait: '2h' } }, 1500, model);
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      const open = async () => {
        const server = createGateway({ client, models: [model], secret, taskQueue });
        await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
        return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
      };
      const body = JSON.stringify({ reason: 'manual', source: 'ops', force: true });
      const ts = Math.floor(Date.now() / 1000);
      const signature = sign(secret, ts, body);
      const post = async (base: string, sig = signature) => {
        const res = await fetch(`${base}/v1/models/${model}/triggers`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-retrain-timestamp': String(ts), 'x-retrain-signature': sig }, body });
        return { status: res.status, json: (await res.json()) as Reply & { deliveryId?: string } };
      };
      const a = await open();
      const b = await open();
      try {
        const first = await post(a.base);
        assert.equal(first.status, 202);
        const again = await post(a.base);
        assert.equal(again.status, 409, 'the same gateway refuses the replay');
        assert.equal(again.json.error.code, 'replayed');
        // Another signature in the header does not make the replay new: the id comes from the valid one.
        assert.equal((await post(a.base, `v1=${'0'.repeat(64)}, ${signature}`)).status, 409);
        const side = await post(b.base);
        assert.equal(side.status, 202, 'a second gateway forwards it; the controller counts it once');
        assert.equal(side.json.deliveryId, first.json.deliveryId);
        // Over the details limit (8 KiB as JSON) but under the body limit: 413, and it never reaches Temporal.
        const bigBody = JSON.stringify({ reason: 'manual', source: 'ops', details: { blob: 'x'.repeat(9000) } });
        const big = await fetch(`${b.base}/v1/models/${model}/triggers`, { method: 'POST', headers: { 'x-retrain-timestamp': String(ts), 'x-retrain-signature': sign(secret, ts, bigBody) }, body: bigBody });
        assert.equal(big.status, 413);
        assert.equal(((await big.json()) as Reply).error.code, 'details_too_large');
        a.server.close();
        const restarted = await open();
        try {
          assert.equal((await post(restarted.base)).status, 202);
        } finally {
          restarted.server.close();
        }
        const s = await until('the run and an idle controller', async () => {
          const st = await controllerStatus(client, model);
          return st && st.counters.received === 3 && st.phase === 'idle' && st.counters.runs >= 1 ? st : null;
        }, 8 * 60_000);
        assert.equal(s.counters.accepted, 1, 'exactly one trigger counted');
        assert.equal(s.counters.replays, 2);
        assert.equal(s.counters.duplicates, 2);
        assert.equal(s.counters.runs, 1, 'one forced run, no follow-up');
        assert.equal(s.pending.total, 0);
        assert.equal(s.recent[0]!.triggers.total, 1);
      } finally {
        a.server.close();
        b.server.close();
        await client.workflow.getHandle(controllerId(model)).terminate('test finished').catch(() => {});
      }
    });
  });
});
