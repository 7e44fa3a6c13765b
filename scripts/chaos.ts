/**
 * `npm run chaos`: the worker-kill test at scale. Starts its own dev server, runs --models pipelines
 * while SIGKILLing the worker every --kill-min..--kill-max ms, and prints what survived.
 *   npm run chaos -- --models 20 --kill-min 1000 --kill-max 5000
 */
import { parseArgs } from 'node:util';
import { connectClient, resolveTemporal } from '../src/temporal/connection.js';
import { startDevServer } from '../src/temporal/dev-server.js';
import { installRuntime } from '../src/temporal/runtime.js';
import { runWorkerChaos } from '../test/chaos/worker-kills.js';
import { bundleFileForSpawnedWorkers } from '../test/helpers/bundle-file.js';

const { values } = parseArgs({ options: { models: { type: 'string', default: '20' }, 'kill-min': { type: 'string', default: '1000' }, 'kill-max': { type: 'string', default: '5000' }, seed: { type: 'string', default: '1' } } });
const say = (l: string) => process.stderr.write(`[chaos] ${l}\n`);
installRuntime('ERROR');
const server = await startDevServer({ headless: true, port: 0, progress: say });
process.env.TEMPORAL_ADDRESS = server.address;
const client = await connectClient(await resolveTemporal({ stateDir: '.retrain', start: false }));
try {
  const report = await runWorkerChaos({
    client,
    address: server.address,
    bundleFile: await bundleFileForSpawnedWorkers(),
    models: Number(values.models),
    killEveryMs: [Number(values['kill-min']), Number(values['kill-max'])],
    seed: Number(values.seed),
    deadlineMs: 30 * 60_000,
    log: say,
  });
  const problems = [
    ...report.runs.filter((r) => r.outcome !== 'promoted').map((r) => `${r.workflowId}: ${r.outcome}: ${r.reason}`),
    ...report.runs.filter((r) => r.trainStarts < 1 || r.trainStarts > r.trainAttempts).map((r) => `${r.workflowId}: training started ${r.trainStarts}× for ${r.trainAttempts} attempt(s)`),
    ...Object.entries(report.versionsPerModel).filter(([, n]) => n !== 1).map(([m, n]) => `${m}: ${n} registry versions`),
    ...Object.entries(report.aliasMovesPerModel).filter(([, n]) => n !== 1).map(([m, n]) => `${m}: ${n} alias moves`),
    ...report.orphans.map((o) => `orphaned process: ${o}`),
  ];
  const retrained = report.runs.filter((r) => r.trainStarts > 1).length;
  process.stdout.write(
    `${report.runs.length} runs, ${report.kills.length} worker kills (${report.killsDuringTraining} mid-training, ${report.killsDuringPromotion} mid-register/promote) in ${report.seconds.toFixed(0)} s\n` +
      `training re-ran in ${retrained} run(s), always after an interrupted attempt; ${problems.length ? `${problems.length} PROBLEM(S):\n  ${problems.join('\n  ')}` : 'no problems: every run promoted once, one version each, no orphans'}\n`,
  );
  process.exitCode = problems.length ? 1 : 0;
} finally {
  await client.connection.close();
  await server.stop();
}
