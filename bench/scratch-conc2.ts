import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { connectClient, connectNative } from '../src/temporal/connection.js';
import { startDevServer } from '../src/temporal/dev-server.js';
import { installRuntime } from '../src/temporal/runtime.js';
import { cpuSeconds } from './proc.js';
installRuntime('ERROR');
const N = 40;
const server = await startDevServer({ headless: true, port: 0 });
const target = { address: server.address, namespace: 'default', uiUrl: undefined } as never;
const client = await connectClient(target);
const connection = await connectNative(target);
const machine = () => { const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number); return (f[0]! + f[1]! + f[2]! + f[5]! + f[6]!) / 100; };
const self = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1e6; };
const b = await bundleWorkflowCode({ workflowsPath: path.join(import.meta.dirname, 'scratch-bare-variants.ts'), logger: undefined as never });
for (let r = 0; r < 3; r++) for (const wf of ['barePipeline', 'bareUpserts', 'bareUpsertOne', 'bareBig', 'bareEight']) {
  const tq = `${wf}-${r}`;
  const w = await Worker.create({ connection, namespace: 'default', taskQueue: tq, workflowBundle: b, activities: { step: async (n: string) => n } });
  await w.runUntil(async () => {
    const m0 = machine(), s0 = cpuSeconds(server.pid), w0 = self(), t0 = performance.now();
    await Promise.all(Array.from({ length: N }, (_, i) => client.workflow.execute(wf, { taskQueue: tq, workflowId: `${tq}-${i}` })));
    const wall = (performance.now() - t0) / 1000;
    const m = machine() - m0, s = cpuSeconds(server.pid) - s0, ww = self() - w0;
    console.log(`${wf.padEnd(14)} wall=${wall.toFixed(2)}s machine=${(m * 1000 / N).toFixed(0)}ms/run server=${(s * 1000 / N).toFixed(0)} worker+client=${(ww * 1000 / N).toFixed(0)}`);
  });
}
await server.stop();
process.exit(0);
