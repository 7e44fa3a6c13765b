import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { defaultDeps } from '../../src/activities/deps.js';
import { SCORE_OUTPUTS_KEPT } from '../../src/activities/score-retention.js';
import { retrainPipeline } from '../../src/workflows/index.js';
import { generate } from '../../examples/churn/generate.js';
import { fixtureCommand, makeProject } from '../helpers/project.js';
import { withWorker } from '../helpers/temporal.js';

let seq = 0;
async function check(client: Client, taskQueue: string, reason: 'manual' | 'schedule') {
  const workflowId = `retrain/churn/score-redteam-${Date.now()}-${seq++}`;
  const handle = await client.workflow.start(retrainPipeline, { taskQueue, workflowId, args: [{ model: 'churn', triggers: [{ reason, source: 'test' }] }] });
  return { result: await handle.result(), history: JSON.stringify(await handle.fetchHistory()) };
}

// Red team of estimate.from: score: the scorer is user code run by every check of a fleet.
describe('estimate.from: score under a misbehaving scorer (real dev server)', () => {
  const secrets = { MLFLOW_TRACKING_TOKEN: 'mlflow-redteam-5e1f2a', SCORE_FEATURE_TOKEN: 'feature-store-77c0de' };
  const saved: Record<string, string | undefined> = {};
  before(() => {
    // The worker runs in this process: its environment is the one the scorer must not inherit.
    for (const [k, v] of Object.entries(secrets)) [saved[k], process.env[k]] = [process.env[k], v];
  });
  after(() => {
    for (const k of Object.keys(secrets)) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  it('no worker secret reaches the scorer, a passed secret it prints is redacted, no file or a symlink out is a typed contract error', async () => {
    const trigger = { dataDrift: false, estimatedDrop: { metric: 'roc_auc', maxRelativeDrop: 0.1 } };
    const p = await makeProject({ trigger, estimate: { from: 'score' } });
    const current = path.join(p.dataDir, 'current.csv');
    const outside = path.join(mkdtempSync(path.join(tmpdir(), 'outside-')), 'other.csv');
    writeFileSync(outside, 'row,score\nOUTSIDE-CONTENT-31337,0.5\n');
    const probe = (mode: string) =>
      p.writeConfig({ trigger, estimate: { from: 'score' }, evaluate: { command: fixtureCommand('score-probe.mjs'), passEnv: ['SCORE_FEATURE_TOKEN'], env: { SCORE_PROBE: mode, PROBE_TARGET: outside } } });
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      assert.equal((await check(client, taskQueue, 'manual')).result.outcome, 'promoted');
      let seed = 20;
      const failedCheck = async (mode: string) => {
        probe(mode);
        await generate({ rows: 1500, seed: seed++, shift: 0, out: current });
        const { result, history } = await check(client, taskQueue, 'schedule');
        assert.equal(result.outcome, 'failed', result.reason);
        assert.ok(result.outcome === 'failed' && result.step === 'check', result.reason);
        return { error: result.error, history };
      };

      const leak = await failedCheck('leak');
      assert.equal(leak.error.type, 'EvaluationCommandError', leak.error.message);
      assert.match(leak.error.message, /scorer env: MLFLOW_TRACKING_TOKEN=absent TEMPORAL_API_KEY=absent/);
      assert.match(leak.error.message, /calling the feature store with SCORE_FEATURE_TOKEN=\*\*\*/);
      for (const s of Object.values(secrets)) assert.ok(!leak.history.includes(s) && !leak.error.message.includes(s), `history contains ${s}`);

      // Older runs' score-only outputs (a line per unlabelled row, every check) are bounded per model.
      const runs = path.join(p.dir, '.retrain', 'runs', 'churn');
      for (let i = 0; i < 8; i++) mkdirSync(path.join(runs, `old-run-${i}`, 'score-current'), { recursive: true });
      const none = await failedCheck('none');
      const kept = readdirSync(runs).filter((r) => existsSync(path.join(runs, r, 'score-current')));
      assert.ok(kept.length <= SCORE_OUTPUTS_KEPT, `score-current kept in ${kept.length} runs: ${kept.join(', ')}`);
      assert.equal(none.error.type, 'CommandContractError', none.error.message);
      assert.match(none.error.message, /score-current\/predictions\.csv: missing; estimate\.from: score needs/);

      const link = await failedCheck('link');
      assert.equal(link.error.type, 'CommandContractError', link.error.message);
      assert.match(link.error.message, /predictions\.csv: is a symbolic link/);
      assert.ok(!link.history.includes('OUTSIDE-CONTENT'), 'the outside file was read into history');

      // The reference predictions (production scored on the evaluation data) get the same check: a FIFO would block
      // the worker's DuckDB for good.
      const fifo = await failedCheck('fifo-reference');
      assert.equal(fifo.error.type, 'CommandContractError', fifo.error.message);
      assert.match(fifo.error.message, /evaluate-check-production\/predictions\.csv: not a regular file/);
    });
  });

  it('a scorer that hangs is killed with its children when the check step times out, and the check fails', async () => {
    const trigger = { dataDrift: false, estimatedDrop: { metric: 'roc_auc', maxRelativeDrop: 0.1 } };
    const p = await makeProject({ trigger, estimate: { from: 'score' } });
    const pids = path.join(mkdtempSync(path.join(tmpdir(), 'pids-')), 'scorer.pids');
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      assert.equal((await check(client, taskQueue, 'manual')).result.outcome, 'promoted');
      p.writeConfig({
        trigger,
        estimate: { from: 'score' },
        steps: { check: { timeout: '5s', retry: { maximumAttempts: 1 } } },
        evaluate: { command: fixtureCommand('score-probe.mjs'), env: { SCORE_PROBE: 'hang', PROBE_PIDS: pids } },
      });
      await generate({ rows: 1500, seed: 40, shift: 0, out: path.join(p.dataDir, 'current.csv') });
      const { result } = await check(client, taskQueue, 'schedule');
      assert.equal(result.outcome, 'failed', result.reason);
      assert.ok(result.outcome === 'failed' && result.step === 'check', result.reason);
    });
    // The worker has shut down, so its activities have ended: the scorer and its child must be gone.
    const [scorer, child] = readFileSync(pids, 'utf8').trim().split('\n').map(Number);
    for (const pid of [scorer!, child!]) assert.throws(() => process.kill(pid, 0), /ESRCH/, `process ${pid} is still alive`);
  });
});
