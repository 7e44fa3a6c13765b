import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { RetrainError, FailureType, toFailure } from '../../src/errors.js';
import { MASK, redact, registerSecret } from '../../src/redact.js';

const env = { TEMPORAL_API_KEY: 'tmprl-key-123456', MLFLOW_TRACKING_TOKEN: 'mlf/tok+en=1', PATH: '/usr/bin:/bin', HOME: '/home/someone' };

describe('redact', () => {
  it('hides URL userinfo, query values, bearer tokens and secret env values; keeps the rest', () => {
    const text = [
      'POST https://user:pa55@hooks.example.com/a/b?token=abc&x=1#frag failed',
      'Authorization: Bearer eyJhbGciOi.abc.def',
      'key tmprl-key-123456 and encoded mlf%2Ftok%2Ben%3D1 and raw mlf/tok+en=1',
      'plain http://127.0.0.1:7233/path stays, PATH /usr/bin:/bin stays',
    ].join('\n');
    const out = redact(text, env);
    assert.equal(
      out,
      [
        `POST https://${MASK}@hooks.example.com/a/b?token=${MASK}&x=${MASK}#frag failed`,
        `Authorization: Bearer ${MASK}`,
        `key ${MASK} and encoded ${MASK} and raw ${MASK}`,
        'plain http://127.0.0.1:7233/path stays, PATH /usr/bin:/bin stays',
      ].join('\n'),
    );
  });

  it('hides registered values (a Slack webhook URL carries its secret in the path)', () => {
    registerSecret('https://hooks.slack.com/services/T00/B00/XXsecretXX');
    assert.equal(redact('failed: https://hooks.slack.com/services/T00/B00/XXsecretXX', {}), `failed: ${MASK}`);
  });

  it('toFailure redacts RetrainError messages and details, and plain errors with their causes in place', () => {
    process.env.RETRAIN_GATEWAY_SECRET = 'gw-secret-value-1';
    try {
      const typed = toFailure(new RetrainError(FailureType.TrainingCommand, 'failed with gw-secret-value-1', { stderrTail: 'echo gw-secret-value-1' })) as ApplicationFailure;
      assert.ok(typed instanceof ApplicationFailure);
      assert.equal(typed.type, FailureType.TrainingCommand);
      assert.ok(!JSON.stringify([typed.message, typed.details]).includes('gw-secret-value-1'));
      const plain = new TypeError('fetch https://u:p@h/x failed', { cause: new Error('token gw-secret-value-1') });
      const out = toFailure(plain) as Error;
      assert.equal(out, plain, 'the same error, so its class survives');
      assert.ok(!`${out.message} ${out.stack} ${(out.cause as Error).message}`.includes('gw-secret-value-1'));
      assert.ok(!out.message.includes('u:p@'));
    } finally {
      delete process.env.RETRAIN_GATEWAY_SECRET;
    }
  });
});
