import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { PROJECT_ROOT } from '../../src/temporal/cli-binary.js';
import { assertSearchAttributes, ensureNamespace } from '../../src/temporal/provision.js';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes.js';
import { makeProject } from '../helpers/project.js';
import { testTemporal } from '../helpers/temporal.js';

/**
 * A namespace a platform team hands out has none of the project's search attributes. On the dev
 * server and on the cluster alike: the worker refuses to start there and names `retrain setup`,
 * which registers them once and finds them afterwards.
 */
describe('retrain setup on a namespace without the search attributes', () => {
  it('the worker fails at once naming the fix; setup creates every attribute, then finds them; the worker check passes', async () => {
    const t = await testTemporal();
    const namespace = `setup-${randomUUID().slice(0, 8)}`;
    const target = { ...t.target, namespace };
    assert.equal(await ensureNamespace(target), 'created');
    const p = await makeProject({}, 200, 'setup');
    const env = { RETRAIN_CONFIG: p.configFile, TEMPORAL_ADDRESS: t.target.address, TEMPORAL_NAMESPACE: namespace, RETRAIN_TASK_QUEUE: `setup-${Date.now()}` };
    const retrain = (...args: string[]) => execa(process.execPath, [path.join(PROJECT_ROOT, 'bin/retrain.js'), ...args], { env, reject: false, timeout: 120_000 });

    const worker = await retrain('worker');
    assert.equal(worker.exitCode, 2, `worker exit code; stderr: ${worker.stderr}`);
    assert.match(worker.stderr, new RegExp(`namespace ${namespace} on ${t.target.address}: missing search attributes RetrainModel, `));
    assert.match(worker.stderr, new RegExp(`Run \`TEMPORAL_ADDRESS=${t.target.address} TEMPORAL_NAMESPACE=${namespace} retrain setup\``));

    const names = ALL_SEARCH_ATTRIBUTES.map((k) => k.name);
    const first = await retrain('setup', '--json');
    assert.equal(first.exitCode, 0, first.stderr);
    assert.deepEqual(JSON.parse(first.stdout), { address: t.target.address, namespace, created: names, found: [] });
    const again = await retrain('setup');
    assert.equal(again.exitCode, 0, again.stderr);
    for (const name of names) assert.match(again.stdout, new RegExp(`^  found +${name}$`, 'm'));
    assert.doesNotMatch(again.stdout, /created/);

    await assertSearchAttributes(target);
  });

  it('setup on a namespace that does not exist says so and how to create it; --create-namespace does', async () => {
    const t = await testTemporal();
    const namespace = `setup-new-${randomUUID().slice(0, 8)}`;
    const env = { TEMPORAL_ADDRESS: t.target.address, TEMPORAL_NAMESPACE: namespace, RETRAIN_CONFIG: path.join(PROJECT_ROOT, 'retrain.config.yaml') };
    const retrain = (...args: string[]) => execa(process.execPath, [path.join(PROJECT_ROOT, 'bin/retrain.js'), ...args], { env, reject: false, timeout: 120_000 });
    const missing = await retrain('setup');
    assert.equal(missing.exitCode, 2, missing.stderr);
    assert.match(missing.stderr, new RegExp(`namespace ${namespace} does not exist on ${t.target.address}: .*retrain setup --create-namespace`));
    const created = await retrain('setup', '--create-namespace', '--json');
    assert.equal(created.exitCode, 0, created.stderr);
    const report = JSON.parse(created.stdout) as { namespaceChange: string; created: string[] };
    assert.equal(report.namespaceChange, 'created');
    assert.equal(report.created.length, ALL_SEARCH_ATTRIBUTES.length);
  });
});
