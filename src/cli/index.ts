import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../install-paths.js';
import { EXIT, exitCodeFor } from './exit-codes.js';

type Registrar = (program: Command) => void;
// One module per group of commands, loaded only when one of its commands runs: `retrain history`
// should not pay for loading DuckDB and the Temporal SDK.
const load = {
  data: async (): Promise<Registrar> => (await import('./commands/data.js')).registerData,
  pipeline: async (): Promise<Registrar> => (await import('./commands/pipeline.js')).registerPipeline,
  triggers: async (): Promise<Registrar> => (await import('./commands/triggers.js')).registerTriggers,
  audit: async (): Promise<Registrar> => (await import('./commands/audit.js')).registerAudit,
  serve: async (): Promise<Registrar> => (await import('./commands/serve.js')).registerServe,
  production: async (): Promise<Registrar> => (await import('./commands/production.js')).registerProduction,
  init: async (): Promise<Registrar> => (await import('./commands/init.js')).registerInit,
  cluster: async (): Promise<Registrar> => (await import('./commands/cluster.js')).registerCluster,
  reproduce: async (): Promise<Registrar> => (await import('./commands/reproduce.js')).registerReproduce,
  report: async (): Promise<Registrar> => (await import('./commands/report.js')).registerReport,
  backtest: async (): Promise<Registrar> => (await import('./commands/backtest.js')).registerBacktest,
};
const MODULE_OF: Record<string, keyof typeof load> = {
  data: 'data',
  run: 'pipeline',
  models: 'pipeline',
  config: 'pipeline',
  trigger: 'triggers',
  status: 'triggers',
  apply: 'triggers',
  schedule: 'triggers',
  history: 'audit',
  explain: 'audit',
  check: 'audit',
  dev: 'serve',
  worker: 'serve',
  gateway: 'serve',
  init: 'init',
  approve: 'production',
  reject: 'production',
  approvals: 'production',
  rollback: 'production',
  promote: 'production',
  setup: 'cluster',
  cluster: 'cluster',
  reproduce: 'reproduce',
  report: 'report',
  backtest: 'backtest',
};

const program = new Command('retrain')
  .description('Keep ML models fresh with durable Temporal workflows.\nConfig: ./retrain.config.yaml, or set RETRAIN_CONFIG.')
  .version((JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version)
  .showHelpAfterError()
  .addHelpText('after', `\nExit codes: ${EXIT.ok} ok, ${EXIT.failure} failure, ${EXIT.invalidInput} invalid input (config, data or arguments), ${EXIT.drifted} drift detected.`)
  // Commander exits 1 on a usage error; a missing argument or unknown option is invalid input (2). Set before the
  // commands are registered: subcommands copy it when they are created.
  .exitOverride();

try {
  const command = process.argv.slice(2).find((a) => !a.startsWith('-'));
  const wanted = command && MODULE_OF[command] ? [MODULE_OF[command]] : (Object.keys(load) as (keyof typeof load)[]);
  for (const name of wanted) (await load[name]())(program);
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Commander has already printed the usage message, or the help (exit code 0 for --help and --version).
    process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.invalidInput);
  }
  const code = exitCodeFor(err);
  if (code !== 0 && !(err as Error).message.startsWith('exit ')) process.stderr.write(`error: ${(err as Error).message}\n`);
  process.exitCode = code;
  // A failed command must end: a Temporal connection or a timer left open by the failure would keep it alive.
  if (code !== 0) setTimeout(() => process.exit(code), 100).unref();
}
