// scratch: per-activity main-thread cost, runs one at a time (not committed)
import { performance } from 'node:perf_hooks';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { defaultDeps } from '../src/activities/deps.js';
import { createActivities } from '../src/activities/index.js';
import { retrainPipeline } from '../src/workflows/index.js';
import { WORKFLOWS_PATH } from '../src/worker.js';
import { connectClient, connectNative } from '../src/temporal/connection.js';
import { startDevServer } from '../src/temporal/dev-server.js';
import { installRuntime } from '../src/temporal/runtime.js';
import { noopProjectDir } from './noop-project.js';

installRuntime('ERROR');
const N = Number(process.env.N ?? 30);
const commands = (process.env.CMDS ?? 'sh') as 'sh' | 'node';
const { dir, model: base } = noopProjectDir('retrain-scratch-', commands);
const models = Array.from({ length: N }, (_, i) => `m${i}`);
const file = path.join(dir, 'retrain.config.yaml');
writeFileSync(file, stringify({ version: 1, dataRoots: ['.'], stateDir: '.retrain', models: Object.fromEntries(models.map((m) => [m, base])) }, { aliasDuplicateObjects: false }));
const server = await startDevServer({ headless: true, port: 0 });
const target = { address: server.address, namespace: 'default', uiUrl: undefined } as never;
const client = await connectClient(target);
const connection = await connectNative(target);
const acts = createActivities(defaultDeps(file)) as Record<string, (...a: unknown[]) => Promise<unknown>>;
const cost: Record<string, { elu: number; cpu: number; wall: number; n: number }> = {};
const wrapped = Object.fromEntries(Object.entries(acts).map(([k, fn]) => [k, async (...a: unknown[]) => {
  const e0 = performance.eventLoopUtilization(); const c0 = process.cpuUsage(); const t0 = performance.now();
  try { return await fn(...a); } finally {
    const e = performance.eventLoopUtilization(e0); const c = process.cpuUsage(c0);
    const s = (cost[k] ??= { elu: 0, cpu: 0, wall: 0, n: 0 });
    s.elu += e.active; s.cpu += (c.user + c.system) / 1000; s.wall += performance.now() - t0; s.n++;
  }
}]));
const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: undefined as never });
const worker = await Worker.create({ connection, namespace: 'default', taskQueue: 'scratch', activities: wrapped, workflowBundle: { code } });
await worker.runUntil(async () => {
  for (let i = 0; i < N; i++) {
    const r = await client.workflow.execute(retrainPipeline, { taskQueue: 'scratch', workflowId: `s-${i}`, args: [{ model: models[i]!, triggers: [{ reason: 'manual', source: 'b' }], force: true }] });
    if (r.outcome !== 'promoted') throw new Error(r.reason);
    if (i === 4) for (const k of Object.keys(cost)) delete cost[k]; // warm-up
  }
});
const rows = Object.entries(cost).map(([k, s]) => `${k.padEnd(22)} n=${s.n} elu=${(s.elu / s.n).toFixed(1)}ms cpu(proc)=${(s.cpu / s.n).toFixed(1)}ms wall=${(s.wall / s.n).toFixed(1)}ms`);
console.log(rows.join('\n'));
const tot = Object.values(cost).reduce((a, s) => a + s.elu / s.n, 0);
console.log('total elu per run', tot.toFixed(1));
await server.stop?.();
process.exit(0);
