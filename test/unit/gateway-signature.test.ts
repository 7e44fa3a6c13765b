import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { sign, verify } from '../../src/gateway/signature.js';

const secret = 'a-shared-secret-of-some-length';
const body = Buffer.from('{"reason":"new_data","source":"airflow"}');
const at = 1_773_540_000;
const check = (over: Partial<Parameters<typeof verify>[0]> = {}) =>
  verify({ secret, timestamp: String(at), signature: sign(secret, at, body), body, nowSeconds: at + 10, toleranceSeconds: 300, ...over });

describe('gateway request signatures', () => {
  it('is HMAC-SHA256 over "<timestamp>.<body>", as documented, so any language can produce it', () => {
    const mac = createHmac('sha256', secret).update(`${at}.${body.toString()}`).digest('hex');
    assert.equal(sign(secret, at, body), `v1=${mac}`);
  });
  it('accepts a fresh, correctly signed request', () => assert.deepEqual(check(), { ok: true }));
  it('refuses a tampered body, a wrong secret and a missing signature', () => {
    assert.match(String((check({ body: Buffer.from('{"reason":"manual"}') }) as { reason: string }).reason), /does not match/);
    assert.equal(check({ signature: sign('another-secret-value', at, body) }).ok, false);
    assert.match(String((check({ signature: undefined }) as { reason: string }).reason), /missing x-retrain-signature/);
  });
  it('refuses a replay outside the tolerance, and a timestamp that is not unix seconds', () => {
    assert.match(String((check({ nowSeconds: at + 301 }) as { reason: string }).reason), /outside the 300s tolerance/);
    assert.equal(check({ nowSeconds: at - 301 }).ok, false);
    assert.equal(check({ timestamp: '2026-03-15T02:00:00Z' }).ok, false);
  });
  it('accepts any one of several signatures (secret rotation)', () => {
    assert.equal(check({ signature: `${sign('old-secret-old-secret', at, body)}, ${sign(secret, at, body)}` }).ok, true);
  });
});
