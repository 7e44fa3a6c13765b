import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection } from '@temporalio/worker';
import { defaultDeps } from '../../src/activities/deps.js';
import { RetrainOutcome } from '../../src/temporal/search-attributes.js';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server.js';
import { installRuntime } from '../../src/temporal/runtime.js';
import { createWorker, WORKFLOWS_PATH } from '../../src/worker.js';
import { retrainPipeline } from '../../src/workflows/index.js';
import type { PipelineOutcome } from '../../src/workflows/types.js';
import { pngStats } from '../helpers/browser.js';
import { openPage, type Page } from '../helpers/cdp.js';
import { fixtureCommand, makeProject } from '../helpers/project.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Where the Web UI keeps the workflow list's columns: localStorage `namespace-workflow-table-columns`, a JSON object of
 * namespace → [{ label, pinned }] (temporalio/ui src/lib/stores/configurable-table-columns.ts), written when a user
 * changes them under "Configure Columns".
 */
const COLUMNS_KEY = 'namespace-workflow-table-columns';
const COLUMNS = ['Status', 'Workflow ID', 'Type', 'RetrainOutcome', 'Start', 'End'];

const OUTCOMES: PipelineOutcome[] = ['promoted', 'skipped', 'rejected', 'failed'];
// Its own server: the model can have the plain name the README uses.
const MODEL = 'churn';
const WINDOW = { width: 1600, height: 900 };

let server: DevServer;
let page: Page | undefined;
before(async () => {
  installRuntime('ERROR');
  // Its own dev server, with the Web UI on (the one `npm test` starts is headless).
  server = await startDevServer({ port: 0, uiPort: 0 });
});
after(async () => {
  await page?.close();
  await server?.stop();
});

// Issue 17 §3: the README shows, with this screenshot, how to add the RetrainOutcome column to the workflow list.
describe('Temporal Web UI: the RetrainOutcome column tells runs apart (real dev server, headless Chromium)', () => {
  it('runs that promoted, skipped, rejected and failed show their outcome in the added column; the screenshot is not blank', async () => {
    const p = await makeProject({}, 1500, MODEL);
    const bundleFile = process.env.RETRAIN_TEST_BUNDLE;
    const bundle = bundleFile && existsSync(bundleFile) ? { code: readFileSync(bundleFile, 'utf8') } : { code: (await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH })).code };
    const native = await NativeConnection.connect({ address: server.address });
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection, namespace: server.namespace });
    const taskQueue = `test-${randomUUID()}`;
    const worker = await createWorker({ connection: native, namespace: server.namespace, taskQueue, deps: defaultDeps(p.configFile), workflowBundle: bundle });
    let n = 0;
    const run = (reason: 'manual' | 'schedule', force = false) =>
      client.workflow.execute(retrainPipeline, { taskQueue, workflowId: `retrain/${MODEL}/ui-${n++}`, args: [{ model: MODEL, triggers: [{ reason, source: 'ui-test' }], force }] });
    try {
      await worker.runUntil(async () => {
        assert.equal((await run('manual')).outcome, 'promoted');
        // Same data, same params: the check decides a skip.
        assert.equal((await run('schedule')).outcome, 'skipped');
        // Forced: a candidate below the promotion floor, then a training command that fails.
        p.writeConfig({ promotion: { metric: 'auc', floor: 0.999 } });
        assert.equal((await run('manual', true)).outcome, 'rejected');
        p.writeConfig({ train: { command: fixtureCommand('fail.mjs') } });
        assert.equal((await run('manual', true)).outcome, 'failed');
      });
    } finally {
      await native.close();
    }
    // The list link `retrain history` prints for a model's runs.
    const query = `WorkflowType = "retrainPipeline" AND RetrainModel = "${MODEL}"`;
    // Visibility is eventually consistent: the list (and so the UI) shows every outcome once it has caught up.
    await waitFor('four runs with RetrainOutcome in visibility', async () => {
      const seen: string[] = [];
      for await (const wf of client.workflow.list({ query: `${query} AND RetrainOutcome IS NOT NULL` })) seen.push(String(wf.typedSearchAttributes.get(RetrainOutcome)));
      return OUTCOMES.every((o) => seen.includes(o));
    }, 60_000);
    await connection.close();

    const dir = mkdtempSync(path.join(tmpdir(), 'web-ui-'));
    page = await openPage(path.join(dir, 'profile'), WINDOW);
    const ui = server.uiUrl!.replace('localhost', '127.0.0.1');
    const list = `${ui}/namespaces/${server.namespace}/workflows?query=${encodeURIComponent(query)}`;
    const headers = `[...document.querySelectorAll('thead th')].map((th) => th.innerText.trim()).filter(Boolean)`;
    const click = async (selector: string) => {
      await page!.waitFor(`document.querySelector(${JSON.stringify(selector)})`, 60_000);
      await page!.evaluate(`document.querySelector(${JSON.stringify(selector)}).click()`);
    };
    // What a user does, as the README describes it: the list with its default columns, then "Configure Columns"
    // (the sliders icon under the table): + RetrainOutcome, move it up above Start and End, − Run ID.
    await page.goto(list);
    await page.waitFor(`document.querySelectorAll('tbody tr').length >= ${OUTCOMES.length}`, 60_000);
    assert.ok(!(await page.evaluate<string[]>(headers)).includes('RetrainOutcome'), 'not a default column');
    await click('button[aria-label="Configure Columns"]');
    await click('button[aria-label="Add RetrainOutcome column"]');
    await click('button[aria-label="Move RetrainOutcome column up"]');
    await click('button[aria-label="Move RetrainOutcome column up"]');
    await click('button[aria-label="Remove Run ID column"]');
    // The choice is kept in the browser (localStorage), per namespace: a reload shows the same columns.
    const stored = JSON.parse(await page.evaluate<string>(`localStorage.getItem(${JSON.stringify(COLUMNS_KEY)})`)) as Record<string, { label: string }[]>;
    assert.deepEqual(stored[server.namespace]?.map((c) => c.label), COLUMNS);
    await page.goto(list);
    await page.waitFor(`${JSON.stringify(OUTCOMES)}.every((o) => [...document.querySelectorAll('tbody td')].some((td) => td.innerText.trim() === o))`, 60_000);
    // Each outcome sits in the RetrainOutcome column of its own run's row.
    const table = await page.evaluate<{ headers: string[]; rows: string[][] }>(`(() => {
      const headers = [...document.querySelectorAll('thead th')].map((th) => th.innerText.trim());
      const rows = [...document.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.innerText.trim()));
      return { headers, rows };
    })()`);
    // (The first header cell is the row selector's checkbox.)
    assert.deepEqual(table.headers.slice(table.headers.indexOf('Status')).filter(Boolean), COLUMNS, JSON.stringify(table.headers));
    const col = table.headers.indexOf('RetrainOutcome');
    const idCol = table.headers.indexOf('Workflow ID');
    const byId = Object.fromEntries(table.rows.map((r) => [r[idCol], r[col]]));
    assert.deepEqual(byId, Object.fromEntries(OUTCOMES.map((o, i) => [`retrain/${MODEL}/ui-${i}`, o])), JSON.stringify(table));
    assert.deepEqual(page.errors, [], 'the Web UI logged errors');

    const png = path.join(dir, 'web-ui-retrain-outcome.png');
    writeFileSync(png, await page.screenshot());
    const stats = pngStats(png);
    assert.equal(stats.width, WINDOW.width);
    assert.ok(stats.variance > 100 && stats.distinct > 20, `a blank screenshot: ${JSON.stringify(stats)}`);
    // To refresh the README's picture: RETRAIN_UI_SCREENSHOT=docs/web-ui-retrain-outcome.png npm test -- <this file>.
    if (process.env.RETRAIN_UI_SCREENSHOT) copyFileSync(png, process.env.RETRAIN_UI_SCREENSHOT);
  });
});
