import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { ConfigError } from '../../src/errors.js';
import { sendTrigger } from '../../src/client/controller.js';
import { jsonBytes, TRIGGER_LIMITS, triggerProblem, utf8Bytes } from '../../src/triggers/trigger-limits.js';
import { ReplayCache } from '../../src/gateway/replay-cache.js';
import { createGateway } from '../../src/gateway/server.js';
import { deliveryId, sign } from '../../src/gateway/signature.js';

describe('trigger limits', () => {
  it('utf8Bytes agrees with Buffer.byteLength, surrogates and lone halves included', () => {
    for (const s of ['', 'abc', 'é', '模型', '🚀', '\ud800', 'a\udc00b', '\u0000', 'x'.repeat(1000) + '🚀é']) assert.equal(utf8Bytes(s), Buffer.byteLength(s), JSON.stringify(s));
  });

  it('names the field and the size of what is over a limit, and accepts the largest allowed trigger', () => {
    const blob = (n: number) => ({ b: 'x'.repeat(n - jsonBytes({ b: '' })) });
    assert.equal(triggerProblem({ reason: 'manual', source: 's'.repeat(200), details: blob(TRIGGER_LIMITS.detailsBytes), idempotencyKey: 'k'.repeat(200) }), null);
    assert.deepEqual(triggerProblem({ reason: 'manual', source: 's', details: blob(TRIGGER_LIMITS.detailsBytes + 1) }), { field: 'details', message: '8193 bytes as JSON, at most 8192' });
    assert.equal(triggerProblem({ reason: 'manual', source: 's'.repeat(201) })?.field, 'source');
    assert.equal(triggerProblem({ reason: 'manual', source: 's', idempotencyKey: 'k'.repeat(201) })?.field, 'idempotencyKey');
    assert.equal(triggerProblem({ reason: 'because', source: 's' })?.field, 'reason');
    assert.equal(triggerProblem(null)?.field, '(trigger)');
    assert.equal(triggerProblem({ reason: 'manual', source: 's', force: 'yes' })?.field, 'force');
    assert.equal(triggerProblem({ reason: 'manual', source: 's', deliveryExpiresAt: 'soon' })?.field, 'deliveryExpiresAt');
  });

  it('sendTrigger refuses an oversized trigger with a ConfigError before anything reaches Temporal', async () => {
    let calls = 0;
    const client = { workflow: { signalWithStart: async () => (calls++, { workflowId: 'x', signaledRunId: 'r' }) } } as unknown as Client;
    await assert.rejects(
      sendTrigger(client, { model: 'm', trigger: { reason: 'manual', source: 'ts', details: { blob: 'x'.repeat(9000) } } }),
      (err: unknown) => err instanceof ConfigError && /trigger details: 9011 bytes as JSON, at most 8192/.test(err.message),
    );
    assert.equal(calls, 0);
    await sendTrigger(client, { model: 'm', trigger: { reason: 'manual', source: 'ts', details: { ok: true } } });
    assert.equal(calls, 1);
  });
});

describe('gateway replay memory', () => {
  it('a delivery id depends on timestamp and body only, not on extra signatures in the header', () => {
    const secret = 'a-shared-secret-of-some-length';
    assert.equal(deliveryId(secret, 100, '{"a":1}'), deliveryId(secret, 100, Buffer.from('{"a":1}')));
    assert.notEqual(deliveryId(secret, 100, '{"a":1}'), deliveryId(secret, 101, '{"a":1}'));
    assert.notEqual(deliveryId(secret, 100, '{"a":1}'), deliveryId(secret, 100, '{"a":2}'));
    assert.match(sign(secret, 100, '{}'), /^v1=/);
  });

  it('a gateway refuses to start with a tolerance that would disable the timestamp check', () => {
    for (const bad of [Number.NaN, 0, -5, 1.5, 86_400]) {
      assert.throws(() => createGateway({ client: {} as Client, models: [], secret: 'x'.repeat(20), taskQueue: 'q', toleranceSeconds: bad }), ConfigError);
    }
  });

  it('refuses a live id, forgets it once expired or released, and stays within its cap', () => {
    const c = new ReplayCache(100);
    assert.equal(c.claim('a', 1000, 0), true);
    assert.equal(c.claim('a', 1000, 500), false, 'live: a replay');
    assert.equal(c.claim('a', 3000, 1001), true, 'expired: not a replay any more');
    c.release('a');
    assert.equal(c.claim('a', 3000, 1002), true, 'released after a failed delivery');
    for (let i = 0; i < 1000; i++) c.claim(`id-${i}`, 10_000, 2000);
    assert.ok(c.size <= 100, `size ${c.size}`);
  });
});
