import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { defaultDeps } from '../../src/activities/deps.js';
import { createGateway } from '../../src/gateway/server.js';
import { globToRegExp } from '../../src/gateway/glob.js';
import { controllerId, controllerStatus } from '../../src/client/controller.js';
import { makeProject } from '../helpers/project.js';
import { withWorker } from '../helpers/temporal.js';
import { until } from '../helpers/wait.js';

const secret = 'github-webhook-secret-0123456789';

/** A push event in the shape GitHub documents (fields this gateway reads, plus some it ignores). */
function pushEvent(o: { ref?: string; after: string; files: string[]; deleted?: boolean }) {
  return {
    ref: o.ref ?? 'refs/heads/main',
    before: '0'.repeat(40),
    after: o.after,
    created: false,
    deleted: o.deleted ?? false,
    forced: false,
    compare: 'https://github.com/acme/models/compare/abc...def',
    repository: { id: 1, name: 'models', full_name: 'acme/models', private: true, default_branch: 'main' },
    pusher: { name: 'octocat', email: 'octocat@example.com' },
    sender: { login: 'octocat', id: 1 },
    commits: [{ id: o.after, message: 'new data', timestamp: '2026-03-15T02:00:00Z', added: [], removed: [], modified: o.files, author: { name: 'o', email: 'o@example.com' } }],
    head_commit: { id: o.after, message: 'new data', timestamp: '2026-03-15T02:00:00Z', added: [], removed: [], modified: o.files },
  };
}

describe('GitHub webhooks at the gateway (POST /v1/github) on a real dev server', () => {
  it('globs match as GitHub Actions paths filters do', () => {
    assert.ok(globToRegExp('data/*.dvc').test('data/churn.csv.dvc'));
    assert.ok(!globToRegExp('data/*.dvc').test('data/sub/churn.csv.dvc'));
    assert.ok(globToRegExp('data/**/*.dvc').test('data/churn.dvc') && globToRegExp('data/**/*.dvc').test('data/a/b/churn.dvc'));
    assert.ok(globToRegExp('params.yaml').test('params.yaml') && !globToRegExp('params.yaml').test('paramsXyaml'));
  });

  it('verifies X-Hub-Signature-256, answers ping, turns a matching push into one new_data trigger keyed by its commit', async () => {
    const p = await makeProject({ trigger: { quietPeriod: '1h', maxWait: '2h' } }, 300, 'gh-churn');
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      const server = createGateway({
        client,
        models: ['gh-churn', 'gh-other'],
        secret: 'gateway-secret-unused-0123456789',
        taskQueue,
        github: { secret, watches: { 'gh-churn': { branch: 'main', paths: ['data/*.dvc', 'params.yaml'] }, 'gh-other': { branch: 'release', paths: ['**'] } } },
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/github`;
      const deliver = async (event: string, payload: unknown, opts: { secret?: string; delivery?: string } = {}) => {
        const body = JSON.stringify(payload);
        const sig = `sha256=${createHmac('sha256', opts.secret ?? secret).update(body).digest('hex')}`;
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': opts.delivery ?? 'd-1', 'x-hub-signature-256': sig }, body });
        return { status: res.status, json: (await res.json()) as { ok?: boolean; accepted: { model: string; idempotencyKey: string }[]; ignored: string[]; error?: { code: string } } };
      };
      try {
        const ping = await deliver('ping', { zen: 'Keep it logically awesome.', hook_id: 1 });
        assert.equal(ping.status, 200);
        assert.equal(ping.json.ok, true);

        const forged = await deliver('push', pushEvent({ after: 'a'.repeat(40), files: ['params.yaml'] }), { secret: 'not-the-webhook-secret-0000' });
        assert.equal(forged.status, 401);
        const unrelated = await deliver('push', pushEvent({ after: 'b'.repeat(40), files: ['README.md', 'src/app.py'] }));
        assert.equal(unrelated.status, 202);
        assert.deepEqual(unrelated.json.accepted, []);
        assert.match(unrelated.json.ignored.join('\n'), /gh-churn: no changed path matches/);
        assert.equal(await controllerStatus(client, 'gh-churn'), null, 'nothing reached Temporal for a forged or unrelated push');

        const head = 'c'.repeat(40);
        const push = await deliver('push', pushEvent({ after: head, files: ['data/churn.csv.dvc', 'src/app.py'] }));
        assert.equal(push.status, 202, JSON.stringify(push.json));
        assert.deepEqual(push.json.accepted.map((a) => a.model), ['gh-churn'], 'gh-other watches another branch');
        assert.equal(push.json.accepted[0]!.idempotencyKey, `github:acme/models:${head}`);
        // GitHub redelivers (same payload, new delivery id): counted once.
        assert.equal((await deliver('push', pushEvent({ after: head, files: ['data/churn.csv.dvc'] }), { delivery: 'd-2' })).status, 202);
        const status = await until('the controller to hold the trigger', async () => {
          const s = await controllerStatus(client, 'gh-churn');
          return s && s.counters.received === 2 && s.phase === 'waiting' ? s : null;
        }, 60_000);
        assert.equal(status.counters.duplicates, 1);
        assert.deepEqual(status.pending.byReason, { new_data: 1 });
        assert.deepEqual(status.pending.first[0]!.details, { repository: 'acme/models', branch: 'main', commit: head, paths: ['data/churn.csv.dvc'], pusher: 'octocat' });
        assert.equal(status.pending.first[0]!.source, 'github:acme/models');

        const other = await deliver('issues', { action: 'opened' });
        assert.equal(other.status, 202);
        assert.match(other.json.ignored[0]!, /not handled/);
        const malformed = await deliver('push', { ref: 'refs/heads/main' });
        assert.equal(malformed.status, 400);
      } finally {
        server.close();
        await client.workflow.getHandle(controllerId('gh-churn')).terminate('test finished').catch(() => {});
      }
    });
  });
});
