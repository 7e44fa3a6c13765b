/**
 * `npm start`: the whole system on one machine. Starts (or reuses) the embedded Temporal dev
 * server, runs a worker, applies the schedules, retrains the bundled churn model once, and keeps
 * serving until Ctrl-C.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { generate } from '../examples/churn/generate.js';
import { requestRun } from './client/pipeline-run.js';
import { formatResult } from './cli/format-result.js';
import { configPathFromEnv, loadConfig } from './config/load.js';
import { startDevStack } from './dev-stack.js';
import { workflowUrl } from './temporal/connection.js';
import { installRuntime } from './temporal/runtime.js';

const say = (line: string) => process.stdout.write(`${line}\n`);

async function ensureExampleData(dataDir: string) {
  const current = path.join(dataDir, 'current.csv');
  if (existsSync(current)) return;
  say('generating the example churn dataset …');
  await generate({ rows: 4000, seed: 1, shift: 0, out: current });
  await generate({ rows: 2000, seed: 2, shift: 0, out: path.join(dataDir, 'eval.csv'), startId: 1_000_001 });
}

async function main() {
  installRuntime();
  const configFile = configPathFromEnv();
  const config = loadConfig(configFile);
  const model = process.argv[2] ?? Object.keys(config.models)[0]!;
  if (model === 'churn') await ensureExampleData(path.resolve(config.dir, 'examples/churn/data'));
  const stack = await startDevStack(configFile, say);
  say(`retraining "${model}" …`);
  // Through the model's controller like every other trigger: one run per model at a time.
  let link: string | undefined;
  const answer = await requestRun(stack.client, {
    model,
    reason: 'manual',
    source: 'npm start',
    now: true,
    onWaiting: (s) => s.phase === 'waiting' && s.runAt && say(`  · coalescing triggers until ${s.runAt}`),
    onStarted: (workflowId) => (link = workflowUrl(stack.target, workflowId)),
    onStep: (step) => say(`  · ${step}`),
  });
  if (answer.state === 'finished') say(formatResult(answer.result));
  else say(`the controller did not assign a run (${answer.state}); see npx retrain status`);
  if (link) say(`details: ${link}`);
  say('worker running; press Ctrl-C to stop. In another terminal: npx retrain status, npx retrain history');
  await stack.running;
  await stack.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`error: ${(err as Error).message}\n`);
  process.exit(1);
});
