import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { stringify } from 'yaml';
import { createPipelineSteps } from '../../src/activities/pipeline-steps.js';
import { defaultDeps, registryOfPlan } from '../../src/activities/deps.js';
import { decideRetrain, EMPTY_MEMORY } from '../../src/policy/trigger-policy.js';
import { registerFixtureVersion } from '../helpers/registry-fixtures.js';
import type { CheckResult } from '../../src/activities/types.js';

/*
 * Changed training params retrain whether or not the data changed too. How it could lie: with new data the policy's
 * params rule (which fires on unchanged data) stayed silent and the check skipped with "no rule fired" when no drift
 * rule fired either, so production kept a model trained with the old params (found by a red-team pass).
 */
async function project(params: Record<string, unknown>) {
  const dir = mkdtempSync(path.join(tmpdir(), 'retrain-params-'));
  mkdirSync(path.join(dir, 'data'));
  writeFileSync(path.join(dir, 'data', 'd.csv'), `id,x,y\n${Array.from({ length: 20 }, (_, i) => `${i},${i % 7},${i % 2}`).join('\n')}\n`);
  const file = path.join(dir, 'retrain.config.yaml');
  const write = (p: Record<string, unknown>) =>
    writeFileSync(file, stringify({ version: 1, dataRoots: ['.'], stateDir: '.retrain', models: { m: { data: { current: 'data/d.csv', evaluation: 'data/d.csv', target: 'y' }, train: { command: ['true'], params: p }, evaluate: { command: ['true'] }, validation: { minRows: 1 }, promotion: { metric: 'auc' } } } }));
  write(params);
  const deps = defaultDeps(file);
  const steps = createPipelineSteps(deps);
  // Production: trained on other data (fixture fingerprint) with `params`.
  const plan = await steps.planRun({ model: 'm' });
  const registry = registryOfPlan(deps, plan);
  const v = await registerFixtureVersion(registry, 'm', dir, 1);
  await registry.setAlias({ model: 'm', alias: plan.registry.alias, version: v.version, expected: null, actor: 'test', reason: 'fixture' });
  return { steps, write };
}

async function check(steps: ReturnType<typeof createPipelineSteps>) {
  const plan = await steps.planRun({ model: 'm' });
  const context = { reasons: ['schedule' as const], force: false, explicit: plan.trigger.explicitReasons, nowMs: Date.now() };
  const result: CheckResult = await new MockActivityEnvironment().run(steps.checkData, { plan, pipelineId: `check-${Math.random()}`, decision: { context, memory: EMPTY_MEMORY } });
  return { result, decision: decideRetrain(plan.trigger, result, context, EMPTY_MEMORY) };
}

describe('a training params change', () => {
  it('retrains when the data changed too (the check reports the params as a changed input)', async () => {
    const p = await project({}); // the fixture version was registered with params {}
    p.write({ learning_rate: 0.1 });
    const { result, decision } = await check(p.steps);
    assert.equal(result.dataUnchanged, false);
    assert.equal(result.paramsUnchanged, false);
    assert.deepEqual(result.inputsChanged, ['train.params']);
    assert.equal(decision.retrain, true, decision.reason);
    assert.match(decision.reason, /inputs changed: train\.params/);
  });

  it('params unchanged and data changed: the params say nothing (the evidence rules decide)', async () => {
    const p = await project({});
    const { result, decision } = await check(p.steps);
    assert.equal(result.paramsUnchanged, true);
    assert.equal(result.inputsUnchanged, undefined);
    assert.doesNotMatch(decision.reason, /params|inputs/);
  });
});
