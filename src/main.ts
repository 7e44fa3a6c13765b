/**
 * `npm start`: the whole system on one machine. Starts (or reuses) the embedded Temporal dev
 * server, runs a worker, retrains the bundled churn model once, and keeps serving until Ctrl-C.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { NativeConnection } from '@temporalio/worker';
import { generate } from '../examples/churn/generate.js';
import { defaultDeps } from './activities/deps.js';
import { startPipeline, waitWithProgress } from './client.js';
import { configPathFromEnv, loadConfig } from './config/load.js';
import { connectClient, connectNative, resolveTemporal, workflowUrl } from './temporal/connection.js';
import { createWorker } from './worker.js';
import { installRuntimeLogger } from './temporal/quiet-logs.js';
import { formatResult } from './cli/format-result.js';

const say = (line: string) => process.stdout.write(`${line}\n`);

async function ensureExampleData(dataDir: string) {
  const current = path.join(dataDir, 'current.csv');
  if (existsSync(current)) return;
  say('generating the example churn dataset …');
  await generate({ rows: 4000, seed: 1, shift: 0, out: current });
  await generate({ rows: 2000, seed: 2, shift: 0, out: path.join(dataDir, 'eval.csv'), startId: 1_000_001 });
}

async function main() {
  installRuntimeLogger();
  const configFile = configPathFromEnv();
  const config = loadConfig(configFile);
  const model = process.argv[2] ?? Object.keys(config.models)[0]!;
  if (model === 'churn') await ensureExampleData(path.resolve(config.dir, 'examples/churn/data'));
  const target = await resolveTemporal({ stateDir: config.stateDir, start: true, progress: say });
  if (target.uiUrl) say(`Temporal Web UI: ${target.uiUrl}`);
  const connection: NativeConnection = await connectNative(target);
  const worker = await createWorker({ connection, namespace: target.namespace, deps: defaultDeps(configFile) });
  const running = worker.run();
  const client = await connectClient(target);
  say(`retraining "${model}" …`);
  const handle = await startPipeline(client, { model, triggers: [{ reason: 'manual', source: 'npm start' }] });
  const link = workflowUrl(target, handle.workflowId);
  const result = await waitWithProgress(handle, (step) => say(`  · ${step}`));
  say(formatResult(result));
  if (link) say(`details: ${link}`);
  say('worker running; press Ctrl-C to stop.');
  await running;
  await connection.close();
  await target.owned?.stop();
}

main().catch(async (err: unknown) => {
  process.stderr.write(`error: ${(err as Error).message}\n`);
  process.exit(1);
});
