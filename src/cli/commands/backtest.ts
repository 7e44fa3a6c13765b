import path from 'node:path';
import type { Command } from 'commander';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType, RetrainError, type FailureType as FailureTypeName } from '../../errors.js';
import { configPathFromEnv, loadConfig, modelConfig } from '../../config/load.js';
import { connectClient, resolveTemporal, workflowUrl } from '../../temporal/connection.js';
import { DEFAULT_STEP, parseOrder } from '../../backtest/partitions.js';
import { formatBacktest } from '../../backtest/format.js';
import type { BacktestProgress } from '../../workflows/backtest.js';
import { startBacktest } from '../../client/backtest.js';
import { backtestProgressQuery } from '../../workflows/messages.js';
import { print, printJson } from '../output.js';
import { renderBacktest } from '../../report/backtest-report.js';
import { writeHtmlAtomic } from '../../report/write-report.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function registerBacktest(program: Command): void {
  program
    .command('backtest <model>')
    .description('replay the model\'s check and trigger policy over time-ordered partitions (a Temporal workflow; needs a worker); writes nothing to the registry or audit trail')
    .requiredOption('--partitions <glob>', 'the partition files, e.g. \'data/by_month/*.parquet\' (the first in time order is the initial training data)')
    .option('--order <how>', 'time order: name (partition i at 2000-01-01 + i × --step), mtime, or column:<col> (its max value)', 'name')
    .option('--step <duration>', 'with --order name: the time between partitions', DEFAULT_STEP)
    .option('--train', 'also train at each partition and compare the metric with "never retrain" and "retrain every partition"')
    .option('--html <file>', 'also write the decisions and metric trajectories as a self-contained HTML page')
    .option('--json', 'machine-readable output')
    .action(async (model: string, o: { partitions: string; order: string; step: string; train?: boolean; html?: string; json?: boolean }) => {
      const config = loadConfig(configPathFromEnv());
      modelConfig(config, model);
      const order = parseOrder(o.order, o.step);
      const target = await resolveTemporal({ stateDir: config.stateDir, start: false });
      const client = await connectClient(target);
      try {
        const { workflowId, handle } = await startBacktest(
          client,
          { model, partitions: path.resolve(o.partitions), order, train: Boolean(o.train) },
          `backtest ${model}${o.train ? ' --train' : ''}: ${o.partitions}`,
        );
        const link = workflowUrl(target, workflowId);
        if (!o.json) print(`started ${workflowId}${link ? `\n  ${link}` : ''}`);
        const done = handle.result();
        let finished = false;
        void done.then(() => (finished = true), () => (finished = true));
        let shown = '';
        while (!finished && !o.json) {
          const p: BacktestProgress | undefined = await handle.query(backtestProgressQuery).catch(() => undefined);
          const line = p?.last ? `  · partition ${p.last.partition}/${p.total}: ${p.last.retrain ? 'retrain' : 'skip'} (${p.retrains} retrain(s) so far)` : '';
          if (line && line !== shown) print((shown = line));
          await Promise.race([done.catch(() => undefined), sleep(1000)]);
        }
        const result = await done.catch((err: unknown) => {
          throw rootCause(err, workflowId);
        });
        if (o.html) {
          const file = path.resolve(o.html);
          await writeHtmlAtomic(file, renderBacktest(result));
          if (!o.json) print(`report: ${file}`);
        }
        if (o.json) printJson({ workflowId, ...result });
        else print(formatBacktest(result));
      } finally {
        await client.connection.close();
      }
    });
}

/**
 * "Workflow execution failed" says nothing: the backtest's failure is the deepest cause (an
 * activity's typed error). Bad data or config stays a RetrainError, so it exits 2 as elsewhere.
 */
function rootCause(err: unknown, workflowId: string): Error {
  let e = err as Error & { cause?: unknown };
  while (e.cause instanceof Error) e = e.cause as Error & { cause?: unknown };
  const type = e instanceof ApplicationFailure ? e.type : undefined;
  const message = `backtest ${workflowId} failed: ${e.message}`;
  if (type && (Object.values(FailureType) as string[]).includes(type)) return new RetrainError(type as FailureTypeName, message);
  return new Error(message, { cause: err });
}
