import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pipelineRunsQuery, workflowListUrl, workflowUrl, type TemporalTarget } from '../../src/temporal/connection.js';

const target = { address: 'localhost:7233', namespace: 'default', uiUrl: 'http://localhost:8233', tls: undefined, apiKey: undefined, owned: undefined } as TemporalTarget;

// Issue 17 §3: history, status and explain point at the Web UI, including lists filtered by the model's search attributes.
test('list links filter by the search attributes, and are encoded', () => {
  assert.equal(pipelineRunsQuery('churn', 'rejected'), 'WorkflowType = "retrainPipeline" AND RetrainModel = "churn" AND RetrainOutcome = "rejected"');
  const url = new URL(workflowListUrl(target, pipelineRunsQuery('churn', 'rejected'))!);
  assert.equal(url.pathname, '/namespaces/default/workflows');
  assert.equal(url.searchParams.get('query'), 'WorkflowType = "retrainPipeline" AND RetrainModel = "churn" AND RetrainOutcome = "rejected"');
  assert.equal(workflowUrl(target, 'retrain/churn/2026-03-15T02:00:00.000Z'), 'http://localhost:8233/namespaces/default/workflows/retrain%2Fchurn%2F2026-03-15T02%3A00%3A00.000Z/history');
});

test('an outcome typed by a user cannot break out of its quotes; no UI, no link', () => {
  assert.equal(pipelineRunsQuery(undefined, 'x" OR WorkflowType = "y'), 'WorkflowType = "retrainPipeline" AND RetrainOutcome = "x OR WorkflowType = y"');
  assert.equal(workflowListUrl({ ...target, uiUrl: undefined }, pipelineRunsQuery('churn')), undefined);
});
