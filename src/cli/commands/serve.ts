import type { Command } from 'commander';
import { configPathFromEnv } from '../../config/load.js';
import { ConfigError } from '../../errors.js';
import type { ModelConfig } from '../../config/model-schema.js';
import { installRuntime } from '../../temporal/runtime.js';
import { print } from '../output.js';
import { stopOnSignals } from '../../process-signals.js';

/** GitHub webhooks are on when RETRAIN_GITHUB_SECRET holds the webhook's secret. */
function githubOption(models: Record<string, ModelConfig>) {
  const secret = process.env.RETRAIN_GITHUB_SECRET;
  if (!secret) return {};
  if (secret.length < 16) throw new ConfigError('RETRAIN_GITHUB_SECRET: use the GitHub webhook secret, at least 16 characters');
  const watches = Object.fromEntries(Object.entries(models).flatMap(([name, m]) => (m.github ? [[name, m.github]] : [])));
  return { github: { secret, watches } };
}

export function registerServe(program: Command): void {
  program
    .command('dev')
    .description('the embedded Temporal dev server (started or reused) plus a worker, with the schedules applied; Ctrl-C stops')
    .action(async () => {
      installRuntime();
      const { startDevStack } = await import('../../dev-stack.js');
      const stack = await startDevStack(configPathFromEnv(), print);
      stopOnSignals(() => stack.shutdown(), print);
      print('ready; press Ctrl-C to stop');
      await stack.running;
      await stack.close();
    });

  program
    .command('gateway')
    .description('HTTP trigger gateway: signed POST /v1/models/{model}/triggers for systems that cannot speak Temporal (secret in RETRAIN_GATEWAY_SECRET)')
    .option('--port <port>', 'port to listen on', '8787')
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option('--tolerance <seconds>', 'refuse requests whose timestamp is further off than this', '300')
    .action(async (o: { port: string; host: string; tolerance: string }) => {
      const secret = process.env.RETRAIN_GATEWAY_SECRET ?? '';
      if (secret.length < 16) throw new ConfigError('RETRAIN_GATEWAY_SECRET: set a shared secret of at least 16 characters');
      const { createGateway } = await import('../../gateway/server.js');
      const { withTemporal } = await import('../temporal-context.js');
      const { taskQueue } = await import('../../temporal/task-queues.js');
      await withTemporal(async ({ client, config }) => {
        const server = createGateway({
          client,
          models: Object.keys(config.models),
          secret,
          taskQueue: taskQueue(),
          toleranceSeconds: Number(o.tolerance),
          log: (l) => process.stderr.write(`${new Date().toISOString()} ${l}\n`),
          ...githubOption(config.models),
        });
        await new Promise<void>((resolve) => server.listen(Number(o.port), o.host, resolve));
        print(`gateway listening on http://${o.host}:${o.port} (models: ${Object.keys(config.models).join(', ')})`);
        if (process.env.RETRAIN_GITHUB_SECRET) print(`GitHub webhooks: POST /v1/github (watching: ${Object.entries(config.models).filter(([, m]) => m.github).map(([n]) => n).join(', ') || 'no model has a github block'})`);
        await new Promise<void>((resolve) => {
          const stop = () => server.close(() => resolve());
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
      });
    });

  program
    .command('worker')
    .description('a worker for the task queue ($RETRAIN_TASK_QUEUE or "retrain") on TEMPORAL_ADDRESS or the running dev server')
    .action(async () => {
      const { runWorker } = await import('../../worker.js');
      await runWorker();
    });
}

