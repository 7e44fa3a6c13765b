import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Command } from 'commander';
import { findRunRecord, listRunRecords, modelDir, reportFileOf, runRecordFile } from '../../audit/audit-log.js';
import { configPathFromEnv, loadConfig, modelConfig } from '../../config/load.js';
import { ConfigError } from '../../errors.js';
import { renderTimeline } from '../../report/timeline.js';
import { buildRunReport, writeHtmlAtomic, type ReportLinks } from '../../report/write-report.js';
import { print } from '../output.js';
import { oneRecord } from './audit.js';

/** Links for the page: the Web UI of TEMPORAL_UI_URL or of the running dev server; never starts one. */
async function links(stateDir: string, mlflowUri: string | undefined): Promise<ReportLinks> {
  let temporalUi = process.env.TEMPORAL_UI_URL || undefined;
  let namespace = process.env.TEMPORAL_NAMESPACE || 'default';
  if (!temporalUi) {
    try {
      const { resolveTemporal } = await import('../../temporal/connection.js');
      const target = await resolveTemporal({ stateDir, start: false });
      temporalUi = target.uiUrl;
      namespace = target.namespace;
    } catch {
      // No server running: the page says the address was not known.
    }
  }
  return { temporalUi, namespace, mlflowUri };
}

/** Opens a file in the desktop's browser; detached, so the command ends at once. */
function open(file: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(cmd, [file], { detached: true, stdio: 'ignore' });
  child.on('error', (err) => process.stderr.write(`could not open ${file}: ${err.message}\n`));
  child.unref();
}

export function registerReport(program: Command): void {
  program
    .command('report <run-or-model>')
    .description("one run's self-contained HTML report (a workflow id, part of one, or a model for its latest run); --timeline: a model's history")
    .option('--timeline', "the model's timeline: production's metric, every promotion, rejection, skip and rollback, drift share, training time")
    .option('--out <file>', 'where to write the page (default: next to the run record; for --timeline, <stateDir>/audit/<model>/timeline.html)')
    .option('--open', "open it in the desktop's browser")
    .action(async (target: string, o: { timeline?: boolean; out?: string; open?: boolean }) => {
      const config = loadConfig(configPathFromEnv());
      let file: string;
      if (o.timeline) {
        const model = modelConfig(config, target);
        const records = await listRunRecords(config.stateDir, target);
        file = path.resolve(o.out ?? path.join(modelDir(config.stateDir, target), 'timeline.html'));
        await writeHtmlAtomic(file, renderTimeline({ model: target, records, metric: model.promotion.metric }));
      } else {
        let found = await findRunRecord(config.stateDir, target);
        if (!found && config.models[target]) {
          const runs = await listRunRecords(config.stateDir, target);
          if (!runs.length) throw new ConfigError(`model ${target} has no recorded run yet`);
          found = runs[runs.length - 1]!;
        }
        const record = oneRecord(found, target);
        const mlflowUri = config.tracking.mlflow?.trackingUri ?? config.registry.mlflow.trackingUri ?? process.env.MLFLOW_TRACKING_URI;
        file = path.resolve(o.out ?? reportFileOf(runRecordFile(config.stateDir, record)));
        await writeHtmlAtomic(file, await buildRunReport(record, await links(config.stateDir, mlflowUri)));
      }
      print(file);
      if (o.open) open(file);
    });
}
