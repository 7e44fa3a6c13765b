import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stepsBetween } from '../../src/client/pipeline-run.js';

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
