import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stepsAfterResult, stepsBetween } from '../../src/client/pipeline-run.js';

// The progress lines of `retrain run` / `npm start` poll the pipeline's step; steps passed between two polls are filled in.
test('a poll that jumps from train to promote reports evaluate and register in between', () => {
  assert.deepEqual(stepsBetween('train', 'promote'), ['evaluate', 'register']);
  assert.deepEqual(stepsBetween('', 'register'), ['check', 'validate', 'train', 'evaluate']);
  assert.deepEqual(stepsBetween('check', 'watch'), ['validate', 'train', 'evaluate', 'register']);
});

test('nothing is reported twice or backwards', () => {
  assert.deepEqual(stepsBetween('promote', 'deploy'), []);
  assert.deepEqual(stepsBetween('register', 'approval'), []);
  assert.deepEqual(stepsBetween('evaluate', 'train'), []);
  assert.deepEqual(stepsBetween('train', 'evaluate'), []);
});

test('a result that arrives before a poll saw the last steps still reports them, in order, once', () => {
  const common = { model: 'm', reason: '', triggers: [], dataFingerprint: null, decision: null };
  const metrics = { candidate: { auc: 0.9 }, production: null };
  const promoted = { ...common, outcome: 'promoted', version: 2, previousVersion: 1, metrics } as const;
  const rejected = { ...common, outcome: 'rejected', version: 2, productionVersion: 1, metrics } as const;
  const failed = { ...common, outcome: 'failed', step: 'train', error: { type: 'x', message: 'y' } } as const;
  const skipped = { ...common, outcome: 'skipped' } as const;
  assert.deepEqual(stepsAfterResult('evaluate', promoted), ['register', 'promote']);
  assert.deepEqual(stepsAfterResult('', promoted), ['check', 'validate', 'train', 'evaluate', 'register', 'promote']);
  assert.deepEqual(stepsAfterResult('evaluate', rejected), ['register']);
  assert.deepEqual(stepsAfterResult('register', rejected), []);
  assert.deepEqual(stepsAfterResult('check', failed), ['validate', 'train']);
  assert.deepEqual(stepsAfterResult('train', failed), []);
  assert.deepEqual(stepsAfterResult('check', skipped), []);
  // Past register the poll already reported more than the result proves: nothing is repeated out of order.
  assert.deepEqual(stepsAfterResult('approval', promoted), []);
  assert.deepEqual(stepsAfterResult('watch', promoted), []);
});
