/**
 * `npm run flood`: the issue's trigger flood. 10,000 signals at one model, then 10,000 spread over
 * 100 models, against its own dev server and an in-process worker; prints the accounting.
 *   npm run flood -- --signals 10000 --models 100 --concurrency 50
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parse, stringify } from 'yaml';
import { connectClient, resolveTemporal } from '../src/temporal/connection.js';
import { startDevServer } from '../src/temporal/dev-server.js';
import { installRuntime } from '../src/temporal/runtime.js';
import { execa } from 'execa';
import { PROJECT_ROOT } from '../src/temporal/cli-binary.js';
import { bundleFileForSpawnedWorkers } from '../test/helpers/bundle-file.js';
import { floodStateDir, floodTriggers, type FloodReport } from '../test/chaos/trigger-flood.js';
import { makeProject } from '../test/helpers/project.js';

const { values } = parseArgs({ options: { signals: { type: 'string', default: '10000' }, models: { type: 'string', default: '100' }, concurrency: { type: 'string', default: '50' } } });
const say = (l: string) => process.stderr.write(`[flood] ${l}\n`);
installRuntime('ERROR');
const server = await startDevServer({ headless: true, port: 0, progress: say });
process.env.TEMPORAL_ADDRESS = server.address;
const target = await resolveTemporal({ stateDir: '.retrain', start: false });
const client = await connectClient(target);
const p = await makeProject({ trigger: { quietPeriod: '3s', maxWait: '2m' }, train: { params: { epochs: 20 } } }, 300, 'flood-0');
const model = parse(readFileSync(p.configFile, 'utf8')).models['flood-0'];
const names = Array.from({ length: Number(values.models) + 1 }, (_, i) => `flood-${i}`);
writeFileSync(p.configFile, stringify({ version: 1, dataRoots: ['.'], stateDir: '.retrain', models: Object.fromEntries(names.map((n) => [n, model])) }));
const taskQueue = `flood-${Date.now()}`;
// The worker runs as its own process, as in production; this process only sends signals and counts.
const worker = execa(process.execPath, [path.join(PROJECT_ROOT, 'bin/retrain.js'), 'worker'], {
  reject: false,
  stdio: 'ignore',
  env: { RETRAIN_CONFIG: p.configFile, TEMPORAL_ADDRESS: server.address, RETRAIN_TASK_QUEUE: taskQueue, RETRAIN_WORKFLOW_BUNDLE: await bundleFileForSpawnedWorkers(), RETRAIN_LOG_LEVEL: 'ERROR' },
});
const signals = Number(values.signals);
const concurrency = Number(values.concurrency);

function summary(title: string, r: FloodReport): { text: string; problems: string[] } {
  const problems = r.perModel.flatMap((m) => [
    ...(m.received !== m.sent ? [`${m.model}: ${m.received} of ${m.sent} received`] : []),
    ...(m.duplicates !== m.duplicatesSent ? [`${m.model}: ${m.duplicates} duplicates counted, ${m.duplicatesSent} sent`] : []),
    ...(m.auditCoalesced !== m.sent - m.duplicatesSent ? [`${m.model}: audit trail holds ${m.auditCoalesced} of ${m.sent - m.duplicatesSent}`] : []),
    ...(m.runs + m.quickSkips > 2 ? [`${m.model}: ${m.runs} runs and ${m.quickSkips} quick skips`] : []),
    ...(m.auditRecords !== m.runs + m.quickSkips ? [`${m.model}: ${m.auditRecords} audit records for ${m.runs + m.quickSkips} batches`] : []),
  ]);
  const runs = r.perModel.map((m) => m.runs);
  const skips = r.perModel.reduce((n, m) => n + m.quickSkips, 0);
  const hist = Math.max(...r.perModel.map((m) => m.historyLength));
  const can = r.perModel.reduce((n, m) => n + m.continuedAsNew, 0);
  const text = `${title}: ${signals} signals sent in ${r.sendSeconds.toFixed(1)} s (${(signals / r.sendSeconds).toFixed(0)}/s); settled ${r.settleSeconds.toFixed(1)} s later; runs per model ${Math.min(...runs)}–${Math.max(...runs)}, quick skips ${skips}; continue-as-new ${can}×; longest controller history now ${hist} events; ${problems.length ? `${problems.length} PROBLEM(S)` : 'every trigger accounted for'}`;
  return { text, problems };
}

try {
  const lines: string[] = [];
  const problems: string[] = [];
  {
    const one = summary('one model', await floodTriggers({ client, taskQueue, models: ['flood-0'], signals, concurrency, duplicateEvery: 100, stateDir: floodStateDir(p.dir), log: say }));
    say(one.text);
    const spread = summary(`${names.length - 1} models`, await floodTriggers({ client, taskQueue, models: names.slice(1), signals, concurrency, duplicateEvery: 100, stateDir: floodStateDir(p.dir), log: say }));
    say(spread.text);
    lines.push(one.text, spread.text);
    problems.push(...one.problems, ...spread.problems);
  }
  process.stdout.write(`${lines.join('\n')}\n${problems.join('\n')}\n`);
  process.exitCode = problems.length ? 1 : 0;
} finally {
  worker.kill('SIGTERM');
  await worker;
  await client.connection.close();
  await server.stop();
}
