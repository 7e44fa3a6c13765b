import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import path from 'node:path';
import { describe, it } from 'node:test';
import { WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { execa } from 'execa';
import { defaultDeps } from '../../src/activities/deps.js';
import { LocalRegistry } from '../../src/registry/local.js';
import { PROJECT_ROOT } from '../../src/temporal/cli-binary.js';
import { retrainPipeline } from '../../src/workflows/index.js';
import { approveUpdate, pendingApprovalQuery, pipelineStepQuery } from '../../src/workflows/messages.js';
import { flipLabels } from '../helpers/registry-fixtures.js';
import { fixtureCommand, makeProject, type TestProject } from '../helpers/project.js';
import { recordHistory } from '../helpers/record-history.js';
import { until } from '../helpers/wait.js';
import { testTemporal, withWorker } from '../helpers/temporal.js';

// A weak first model (three strong features left out) that any full-feature candidate beats.
const WEAK = { train: { params: { epochs: 150, exclude: ['contract', 'tenure_months', 'monthly_charges'] } } };
const FULL = { train: { params: { epochs: 150 } } };
let seq = 0;

const registryOf = (p: TestProject) => new LocalRegistry(path.join(p.dir, '.retrain', 'registry'));

function start(client: Client, taskQueue: string, p: TestProject, force = true): Promise<WorkflowHandle<typeof retrainPipeline>> {
  return client.workflow.start(retrainPipeline, {
    taskQueue,
    workflowId: `retrain/${p.model}/test-${Date.now()}-${seq++}`,
    args: [{ model: p.model, triggers: [{ reason: 'manual', source: 'test' }], force }],
  });
}

const waitingOn = (h: WorkflowHandle<typeof retrainPipeline>) => until('an approval wait', () => h.query(pendingApprovalQuery));

/** The `retrain` CLI as a user runs it, pointed at the test's config, server and task queue. */
async function cli(p: TestProject, taskQueue: string, ...args: string[]) {
  const t = await testTemporal();
  return execa(process.execPath, [path.join(PROJECT_ROOT, 'bin/retrain.js'), ...args], {
    reject: false,
    env: { RETRAIN_CONFIG: p.configFile, TEMPORAL_ADDRESS: t.target.address, RETRAIN_TASK_QUEUE: taskQueue, RETRAIN_USER: 'alice' },
  });
}

/** A local webhook receiver; `events` holds every JSON body it got. */
async function webhookServer() {
  const events: Record<string, unknown>[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      events.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/hook`, events, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('promotion you can trust, on a real dev server', () => {
  it('deploy hook failure: the alias moves back and the run fails with the hook\'s stderr tail', async () => {
    const p = await makeProject(WEAK, 1500, 'churn-deploy');
    const log = path.join(p.dir, 'deploys.log');
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      assert.equal((await (await start(client, taskQueue, p)).result()).outcome, 'promoted');
      p.writeConfig({ ...FULL, promotion: { deploy: { command: fixtureCommand('deploy.mjs'), env: { DEPLOY_LOG: log, FAIL_VERSION: '2' } } } });
      const h = await start(client, taskQueue, p);
      const r = await h.result();
      await recordHistory(client, h.workflowId, 'pipeline-failed-deploy');
      assert.equal(r.outcome, 'failed', r.reason);
      assert.ok(r.outcome === 'failed' && r.step === 'deploy');
      assert.equal(r.outcome === 'failed' && r.error.type, 'DeployHookError');
      assert.match(r.reason, /exceeded its progress deadline \(fixture\)|exited with code 4/);
      assert.match(r.outcome === 'failed' ? r.error.message : '', /exceeded its progress deadline/);
      assert.equal(await registryOf(p).getAlias(p.model, 'champion'), 1, 'production is back on v1');
      const moves = await registryOf(p).aliasHistory(p.model);
      assert.deepEqual(moves.map((m) => [m.from, m.to, m.actor]), [[null, 1, 'pipeline'], [1, 2, 'pipeline'], [2, 1, 'pipeline (compensation)']]);
      assert.equal(existsSync(log), false, 'the failed deploy logged nothing');
      // A deploy that works: v3 is promoted and deployed.
      p.writeConfig({ train: { params: { epochs: 160 } }, promotion: { deploy: { command: fixtureCommand('deploy.mjs'), env: { DEPLOY_LOG: log, FAIL_VERSION: 'none' } } } });
      const ok = await (await start(client, taskQueue, p)).result();
      assert.equal(ok.outcome, 'promoted', ok.reason);
      assert.equal(readFileSync(log, 'utf8'), `${ok.outcome === 'promoted' ? ok.version : ''}\n`);
    });
  });

  it('approval: a stale version is refused, approve promotes (CLI), reject keeps production', async () => {
    const p = await makeProject({ ...WEAK, promotion: { approval: { timeout: '10m' } } }, 1500, 'churn-approve');
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      const h = await start(client, taskQueue, p);
      const pending = await waitingOn(h);
      assert.equal(pending.version, 1);
      assert.equal(await h.query(pipelineStepQuery), 'approval');
      await assert.rejects(
        h.executeUpdate(approveUpdate, { args: [{ version: 7, approver: 'bob' }] }),
        (err: Error) => err instanceof WorkflowUpdateFailedError && /stale or unknown version v7/.test((err.cause as Error).message),
      );
      const list = await cli(p, taskQueue, 'approvals', p.model, '--json');
      assert.equal(list.exitCode, 0, list.stderr);
      assert.deepEqual((JSON.parse(list.stdout) as { workflowId: string }[]).map((w) => w.workflowId), [h.workflowId]);
      const stale = await cli(p, taskQueue, 'approve', p.model, '3');
      assert.equal(stale.exitCode, 1);
      assert.match(stale.stderr, /no churn-approve run waits for a decision on v3; waiting: v1/);
      const ok = await cli(p, taskQueue, 'approve', p.model, 'v1', '--comment', 'looks good', '--json');
      assert.equal(ok.exitCode, 0, ok.stderr);
      assert.equal(JSON.parse(ok.stdout).record.approver, 'alice');
      const r = await h.result();
      await recordHistory(client, h.workflowId, 'pipeline-approved');
      assert.equal(r.outcome, 'promoted', r.reason);
      assert.equal(r.outcome === 'promoted' && r.approval?.comment, 'looks good');
      assert.equal(await registryOf(p).getAlias(p.model, 'champion'), 1);

      p.writeConfig({ ...FULL, promotion: { approval: { timeout: '10m' } } });
      const h2 = await start(client, taskQueue, p);
      const pending2 = await waitingOn(h2);
      const no = await cli(p, taskQueue, 'reject', p.model, String(pending2.version), '--comment', 'wait for the audit');
      assert.equal(no.exitCode, 0, no.stderr);
      const r2 = await h2.result();
      assert.equal(r2.outcome, 'rejected');
      assert.match(r2.reason, /^rejected by alice: wait for the audit/);
      assert.equal(await registryOf(p).getAlias(p.model, 'champion'), 1, 'production unchanged');
    });
  });

  it('approval deadline: onTimeout reject, and escalate notifies again and keeps waiting', async () => {
    const hook = await webhookServer();
    process.env.TEST_APPROVAL_HOOK = hook.url;
    try {
      const p = await makeProject({ promotion: { approval: { timeout: '2s', onTimeout: 'reject' } } }, 1500, 'churn-deadline');
      await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
        const r = await (await start(client, taskQueue, p)).result();
        assert.equal(r.outcome, 'rejected');
        assert.match(r.reason, /rejected by timeout after 2s \(onTimeout: reject\)/);
        assert.equal(await registryOf(p).getAlias(p.model, 'champion'), null);

        p.writeConfig({ promotion: { approval: { timeout: '2s', onTimeout: 'escalate' } }, notify: [{ kind: 'json', urlEnv: 'TEST_APPROVAL_HOOK', events: ['approval_requested', 'model_promoted'] }] });
        const h = await start(client, taskQueue, p);
        await until('an escalation', async () => hook.events.filter((e) => e.event === 'approval_requested').length >= 2);
        const pending = await h.query(pendingApprovalQuery);
        assert.ok(pending, 'still waiting after the deadline passed');
        await h.executeUpdate(approveUpdate, { args: [{ version: pending.version, approver: 'carol' }] });
        const r2 = await h.result();
        assert.equal(r2.outcome, 'promoted', r2.reason);
        await until('the promoted event', async () => hook.events.some((e) => e.event === 'model_promoted'));
        assert.match(String(hook.events.find((e) => String(e.text).startsWith('ESCALATED'))?.text), /still waits for approval/);
      });
    } finally {
      delete process.env.TEST_APPROVAL_HOOK;
      await hook.close();
    }
  });

  it('compare-and-set: two runs evaluated against the same production; only the first promotion wins', async () => {
    const p = await makeProject(WEAK, 1500, 'churn-race');
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      assert.equal((await (await start(client, taskQueue, p)).result()).outcome, 'promoted');
      p.writeConfig({ ...FULL, promotion: { approval: { timeout: '10m' } } });
      const a = await start(client, taskQueue, p);
      const b = await start(client, taskQueue, p);
      const [pa, pb] = await Promise.all([waitingOn(a), waitingOn(b)]);
      assert.notEqual(pa.version, pb.version);
      await a.executeUpdate(approveUpdate, { args: [{ version: pa.version, approver: 'dave' }] });
      const ra = await a.result();
      assert.equal(ra.outcome, 'promoted', ra.reason);
      await b.executeUpdate(approveUpdate, { args: [{ version: pb.version, approver: 'dave' }] });
      const rb = await b.result();
      await recordHistory(client, b.workflowId, 'pipeline-rejected-cas');
      assert.equal(rb.outcome, 'rejected');
      assert.match(rb.reason, new RegExp(`production moved to v${pa.version} while this run evaluated against v1; not overwritten`));
      assert.equal(await registryOf(p).getAlias(p.model, 'champion'), pa.version);

      // Manual rollback through the CLI: to a named version, and an unknown one refused.
      const back = await cli(p, taskQueue, 'rollback', p.model, '--to', '1', '--reason', 'bad reviews', '--json');
      assert.equal(back.exitCode, 0, back.stderr);
      assert.deepEqual({ from: JSON.parse(back.stdout).from, to: JSON.parse(back.stdout).to }, { from: pa.version, to: 1 });
      await recordHistory(client, JSON.parse(back.stdout).workflowId, 'move-production-rollback');
      assert.equal(await registryOf(p).getAlias(p.model, 'champion'), 1);
      const last = (await registryOf(p).aliasHistory(p.model)).at(-1)!;
      assert.equal(last.actor, 'alice');
      assert.match(last.reason, /rollback by alice: bad reviews/);
      const unknown = await cli(p, taskQueue, 'rollback', p.model, '--to', '42');
      assert.equal(unknown.exitCode, 1);
      assert.match(unknown.stderr, /has no version 42/);
      assert.equal(await registryOf(p).getAlias(p.model, 'champion'), 1, 'unchanged by the refused rollback');
      // Without --to: not back onto the version the rollback above declared bad; nothing else is left.
      assert.equal((await registryOf(p).getVersion(p.model, pa.version))?.rolledBack?.reason, 'bad reviews');
      const prev = await cli(p, taskQueue, 'rollback', p.model);
      assert.equal(prev.exitCode, 1, prev.stdout);
      assert.match(prev.stderr, new RegExp(`skipped v${pa.version} \\(rolled back .* by alice: bad reviews\\)`));
      assert.equal(await registryOf(p).getAlias(p.model, 'champion'), 1);
      const promote = await cli(p, taskQueue, 'promote', p.model, String(pb.version), '--json');
      assert.equal(promote.exitCode, 0, promote.stderr);
      assert.equal(await registryOf(p).getAlias(p.model, 'champion'), pb.version);
      // "Which version was in production at time X?"
      const moves = await registryOf(p).aliasHistory(p.model);
      const atRollback = moves.find((m) => m.reason.includes('bad reviews'))!;
      const then = await cli(p, taskQueue, 'models', p.model, '--at', new Date(Date.parse(atRollback.at) + 1).toISOString(), '--json');
      assert.equal(then.exitCode, 0, then.stderr);
      assert.equal(JSON.parse(then.stdout).version, 1);
      const before = await cli(p, taskQueue, 'models', p.model, '--at', '2000-01-01T00:00:00Z', '--json');
      assert.equal(JSON.parse(before.stdout).version, null);
    });
  });

  it('watch window: a breach after promotion rolls production back automatically', async () => {
    const p = await makeProject(WEAK, 1500, 'churn-watch');
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      assert.equal((await (await start(client, taskQueue, p)).result()).outcome, 'promoted');
      p.writeConfig({ ...FULL, promotion: { watch: { duration: '10m', every: '2s', maxRelativeDrop: 0.05 } } });
      const h = await start(client, taskQueue, p);
      await until('the watch step', async () => (await h.query(pipelineStepQuery)) === 'watch');
      // Fresh labelled data on which the new model does badly: the labels flip.
      flipLabels(path.join(p.dataDir, 'eval.csv'), 'churned');
      const r = await h.result();
      await recordHistory(client, h.workflowId, 'pipeline-rolled_back');
      assert.equal(r.outcome, 'rolled_back', r.reason);
      assert.match(r.reason, /^rolled back to v1: watch window: auc [\d.]+ is [\d.]+% below/);
      assert.equal(await registryOf(p).getAlias(p.model, 'champion'), 1);
      assert.equal((await registryOf(p).aliasHistory(p.model)).at(-1)!.actor, 'pipeline (watch)');
      // The breached candidate is declared bad, so no later rollback returns to it.
      assert.equal((await registryOf(p).getVersion(p.model, r.outcome === 'rolled_back' ? r.version : -1))?.rolledBack?.by, 'pipeline (watch)');
    });
  });

  it('webhooks: events reach a local server, secrets stay out of history, and a dead webhook does not fail the run', async () => {
    const hook = await webhookServer();
    process.env.TEST_HOOK_URL = `${hook.url}?token=s3cret-token`;
    process.env.TEST_DEAD_HOOK = 'http://127.0.0.1:9/never';
    try {
      const p = await makeProject(
        { notify: [{ kind: 'json', urlEnv: 'TEST_HOOK_URL' }, { kind: 'slack', urlEnv: 'TEST_DEAD_HOOK' }, { kind: 'json', urlEnv: 'TEST_UNSET_HOOK' }] },
        1500,
        'churn-notify',
      );
      await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
        const h = await start(client, taskQueue, p);
        const r = await h.result();
        assert.equal(r.outcome, 'promoted', r.reason);
        const events = hook.events.map((e) => e.event);
        assert.ok(events.includes('trigger_fired'), events.join());
        assert.ok(events.includes('model_promoted'), events.join());
        const promoted = hook.events.find((e) => e.event === 'model_promoted')!;
        assert.equal(promoted.model, 'churn-notify');
        assert.equal(promoted.workflowId, h.workflowId);
        const history = JSON.stringify(await h.fetchHistory());
        assert.ok(!history.includes('s3cret-token'), 'the webhook URL never reaches workflow history');
      });
    } finally {
      delete process.env.TEST_HOOK_URL;
      delete process.env.TEST_DEAD_HOOK;
      await hook.close();
    }
  });
});
