// scratch: CPU split of 40 concurrent runs, ours vs bare (not committed)
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
const sess = new Session(); sess.connect();
import path from 'node:path';
import { stringify } from 'yaml';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { defaultDeps } from '../src/activities/deps.js';
import { createActivities } from '../src/activities/index.js';
import { retrainPipeline } from '../src/workflows/index.js';
import { createWorker, WORKFLOWS_PATH } from '../src/worker.js';
import { connectClient, connectNative } from '../src/temporal/connection.js';
import { startDevServer } from '../src/temporal/dev-server.js';
import { installRuntime } from '../src/temporal/runtime.js';
import { noopProjectDir } from './noop-project.js';
import { cpuSeconds } from './proc.js';

installRuntime('ERROR');
const N = Number(process.env.N ?? 40);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const server = await startDevServer({ headless: true, port: 0 });
const target = { address: server.address, namespace: 'default', uiUrl: undefined } as never;
const client = await connectClient(target);
const connection = await connectNative(target);
const machine = () => { const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number); return (f[0]! + f[1]! + f[2]! + f[5]! + f[6]!) / 100; };
const self = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1e6; };
async function measure(label: string, fn: () => Promise<void>) {
  const m0 = machine(), s0 = cpuSeconds(server.pid), w0 = self(), t0 = performance.now();
  await fn();
  const wall = (performance.now() - t0) / 1000;
  const m = machine() - m0, s = cpuSeconds(server.pid) - s0, w = self() - w0;
  console.log(`${label.padEnd(6)} wall=${wall.toFixed(2)}s machine=${(m * 1000 / N).toFixed(0)}ms/run server=${(s * 1000 / N).toFixed(0)} worker+client=${(w * 1000 / N).toFixed(0)} other=${((m - s - w) * 1000 / N).toFixed(0)}`);
}
const { dir, model: base } = noopProjectDir('retrain-scratch-', 'sh');
const models = Array.from({ length: N }, (_, i) => `m${i}`);
const file = path.join(dir, 'retrain.config.yaml');
const quick = { retry: { maximumAttempts: 3, initialInterval: '100ms' } };
const model = { ...base, steps: Object.fromEntries(['check', 'validate', 'train', 'evaluate', 'register', 'promote'].map((s) => [s, { timeout: '1m', ...quick }])) };
writeFileSync(file, stringify({ version: 1, dataRoots: ['.'], stateDir: '.retrain', models: Object.fromEntries(models.map((m) => [m, model])) }, { aliasDuplicateObjects: false }));
const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: undefined as never });
const bareBundle = await bundleWorkflowCode({ workflowsPath: path.join(import.meta.dirname, 'bare-workflow.ts'), logger: undefined as never });
for (let r = 0; r < ROUNDS; r++) {
  const tq = `ours-${r}`;
  const worker = await Worker.create({ connection, namespace: 'default', taskQueue: tq, activities: createActivities(defaultDeps(file)), workflowBundle: { code }, ...(process.env.WTP ? { workflowThreadPoolSize: Number(process.env.WTP) } : {}), ...(process.env.NOREUSE ? { reuseV8Context: false } : {}) });
  if (process.env.PROF && r === 1) { await sess.post('Profiler.enable'); await sess.post('Profiler.setSamplingInterval', { interval: 250 }); await sess.post('Profiler.start'); }
  await worker.runUntil(() => measure('ours', async () => {
    await Promise.all(models.map((m, i) => client.workflow.execute(retrainPipeline, { taskQueue: tq, workflowId: `o${r}-${i}-${Date.now()}`, args: [{ model: m, triggers: [{ reason: 'manual', source: 'b' }], force: true }] })));
  }));
  if (process.env.PROF && r === 1) { const { profile } = await sess.post('Profiler.stop'); writeFileSync('/tmp/prof/conc.cpuprofile', JSON.stringify(profile)); }
  const btq = `bare-${r}`;
  const bare = await Worker.create({ connection, namespace: 'default', taskQueue: btq, workflowBundle: bareBundle, activities: { step: async (n: string) => n }, ...(process.env.WTP ? { workflowThreadPoolSize: Number(process.env.WTP) } : {}) });
  await bare.runUntil(() => measure('bare', async () => { await Promise.all(models.map((_, i) => client.workflow.execute('barePipeline', { taskQueue: btq, workflowId: `b${r}-${i}-${Date.now()}` }))); }));
}
await server.stop();
process.exit(0);
