import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { listRunRecords, reportFileOf, runRecordFile } from '../../src/audit/audit-log.js';
import { defaultDeps } from '../../src/activities/deps.js';
import { generate } from '../../examples/churn/generate.js';
import { PROJECT_ROOT } from '../../src/temporal/cli-binary.js';
import { retrainPipeline } from '../../src/workflows/index.js';
import { drawnShapes, loadPage, pngStats, screenshot } from '../helpers/browser.js';
import { makeProject } from '../helpers/project.js';
import { withWorker } from '../helpers/temporal.js';

const retrain = (args: string[], env: Record<string, string>) => execa(path.join(PROJECT_ROOT, 'bin/retrain.js'), args, { reject: false, env });

describe('HTML reports in a real browser (headless Chromium, network off)', () => {
  it('a dev-server run writes report.html; it, the timeline and the drift page render with charts and no console errors', async () => {
    // A shifted reference, so the very first run has drift to draw (numeric histograms and categorical bars).
    const p = await makeProject({ data: { reference: 'data/reference.csv' } });
    await generate({ rows: 1500, seed: 3, shift: 1, out: path.join(p.dataDir, 'reference.csv') });
    const workflowId = `retrain/churn/report-${Date.now()}`;
    const { result, details } = await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      const done = await client.workflow.execute(retrainPipeline, { taskQueue, workflowId, args: [{ model: 'churn', triggers: [{ reason: 'drift_alert', source: '<script>monitor</script>' }] }] });
      // The run page's current details (what the Web UI shows at the top) name the report.
      const meta = await client.workflow.getHandle(workflowId).query<{ currentDetails?: string }>('__temporal_workflow_metadata');
      return { result: done, details: meta.currentDetails ?? '' };
    });
    assert.equal(result.outcome, 'promoted', result.reason);

    const stateDir = path.join(p.dir, '.retrain');
    const [record] = await listRunRecords(stateDir, 'churn');
    assert.ok(record, 'the run has an audit record');
    assert.ok(record.check?.drift, 'the check compared against the reference');
    assert.equal(typeof record.evidence?.trainDurationMs, 'number', 'training time read from the run history');
    assert.equal(record.evidence?.validation?.passed, true, 'validation report read from the run history');
    const runReport = reportFileOf(runRecordFile(stateDir, record));
    assert.ok(existsSync(runReport), 'recordRun wrote report.html next to the record');
    assert.ok(details.startsWith('**promoted**') && details.includes(`report: \`${runReport}\``), details);

    // The CLI: the run report again (by part of its id), the timeline, explain's pointer, the ad-hoc drift page.
    const env = { RETRAIN_CONFIG: p.configFile, TEMPORAL_ADDRESS: '127.0.0.1:9', TEMPORAL_UI_URL: 'http://127.0.0.1:9' };
    const again = path.join(p.dir, 'again.html');
    const byCli = await retrain(['report', workflowId.slice(-14), '--out', again], env);
    assert.equal(byCli.exitCode, 0, byCli.stderr);
    assert.equal(byCli.stdout.trim(), again);
    assert.ok(readFileSync(again, 'utf8').includes(`href="http://127.0.0.1:9/namespaces/default/workflows/${encodeURIComponent(workflowId)}/${record.temporalRunId}/history"`), 'links the run in the Web UI');
    const timeline = path.join(p.dir, 'timeline.html');
    const tl = await retrain(['report', 'churn', '--timeline', '--out', timeline], env);
    assert.equal(tl.exitCode, 0, tl.stderr);
    const explain = await retrain(['explain', workflowId], env);
    assert.ok(explain.stdout.includes(`report: ${runReport}`), explain.stdout);
    const driftPage = path.join(p.dir, 'drift.html');
    const drift = await retrain(['data', 'drift', path.join(p.dataDir, 'reference.csv'), path.join(p.dataDir, 'current.csv'), '--html', driftPage], env);
    assert.ok(drift.exitCode === 0 || drift.exitCode === 3, drift.stderr);

    const profile = mkdtempSync(path.join(tmpdir(), 'retrain-chromium-'));
    for (const [file, min] of [[runReport, { rects: 10, paths: 0, circles: 0 }], [again, { rects: 10, paths: 0, circles: 0 }], [timeline, { rects: 1, paths: 1, circles: 1 }], [driftPage, { rects: 10, paths: 0, circles: 0 }]] as const) {
      const html = readFileSync(file, 'utf8');
      assert.doesNotMatch(html, /<script/i, `${file}: no script at all (the trigger source was escaped)`);
      const page = await loadPage(file, profile);
      assert.deepEqual(page.console, [], `${file}: console messages or refused loads`);
      const shapes = drawnShapes(page.dom);
      assert.ok(shapes.rects >= min.rects && shapes.paths >= min.paths && shapes.circles >= min.circles, `${path.basename(file)}: ${JSON.stringify(shapes)}`);
      const png = `${file}.png`;
      await screenshot(file, png, profile);
      const stats = pngStats(png);
      assert.equal(stats.width, 1200);
      assert.ok(stats.variance > 100 && stats.distinct > 10, `${path.basename(png)} is not blank: ${JSON.stringify(stats)}`);
    }
    assert.match(readFileSync(runReport, 'utf8'), /&lt;script&gt;monitor&lt;\/script&gt;/);
  });

  it('the console check sees what a broken page would say (a page that logs an error and fetches a URL)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'retrain-chromium-'));
    const bad = path.join(dir, 'bad.html');
    writeFileSync(bad, '<!doctype html><html><body><script>console.error("boom")</script><img src="http://example.invalid/x.png"></body></html>');
    const page = await loadPage(bad, dir);
    assert.ok(page.console.some((l) => l.includes('boom')), `console lines: ${JSON.stringify(page.console)}`);
  });
});
