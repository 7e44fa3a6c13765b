import type { Command } from 'commander';
import { configPathFromEnv } from '../../config/load.js';
import { installRuntimeLogger } from '../../temporal/quiet-logs.js';
import { print } from '../output.js';

export function registerServe(program: Command): void {
  program
    .command('dev')
    .description('the embedded Temporal dev server (started or reused) plus a worker, with the schedules applied; Ctrl-C stops')
    .action(async () => {
      installRuntimeLogger();
      const { startDevStack } = await import('../../dev-stack.js');
      const stack = await startDevStack(configPathFromEnv(), print);
      print('ready; press Ctrl-C to stop');
      await stack.running;
      await stack.close();
    });

  program
    .command('worker')
    .description('a worker for the task queue ($RETRAIN_TASK_QUEUE or "retrain") on TEMPORAL_ADDRESS or the running dev server')
    .action(async () => {
      const { runWorker } = await import('../../worker.js');
      await runWorker();
    });
}
