import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { clusterBinaries } from '../../src/cluster/binaries.js';
import { DYNAMIC_CONFIG_FILE, TEMPORAL_SERVER_VERSION } from '../../src/cluster/topology.js';
import { assertSearchAttributes } from '../../src/temporal/provision.js';
import { testTemporal } from '../helpers/temporal.js';

/**
 * Runs only in the cluster part of `npm test` (scripts/test.ts starts `retrain cluster up` in a
 * temp folder and a fresh namespace): proves the tests there ran on the real thing.
 */
describe('the production-shaped cluster', () => {
  it('is the pinned Temporal server on PostgreSQL, in the fresh namespace `retrain setup` prepared', async () => {
    const t = await testTemporal();
    const info = await t.client.connection.workflowService.getClusterInfo({});
    assert.equal(info.serverVersion, TEMPORAL_SERVER_VERSION);
    assert.equal(info.persistenceStore, 'postgres12');
    assert.equal(info.visibilityStore, 'postgres12');
    assert.match(t.target.namespace, /^retrain-test-/);
    assert.equal(t.target.namespace, process.env.TEMPORAL_NAMESPACE);
    await assertSearchAttributes(t.target);
  });

  it('serves the Temporal Web UI, which reads this cluster', async () => {
    const t = await testTemporal();
    const ui = process.env.TEMPORAL_UI_URL;
    assert.ok(ui, 'TEMPORAL_UI_URL is set by the cluster part');
    const page = await fetch(`${ui}/namespaces/${t.target.namespace}/workflows`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /<html/i);
    assert.match(html, /\/_app\/immutable\//, 'the embedded UI assets are served');
    const ns = (await (await fetch(`${ui}/api/v1/namespaces/${t.target.namespace}`)).json()) as { namespaceInfo?: { name?: string } };
    assert.equal(ns.namespaceInfo?.name, t.target.namespace);
  });

  it('loads a dynamic config whose every key the server knows', async () => {
    const { stdout, stderr } = await execa(clusterBinaries().server, ['validate-dynamic-config', DYNAMIC_CONFIG_FILE]);
    assert.doesNotMatch(`${stdout}\n${stderr}`, /warning|error/i);
  });
});
