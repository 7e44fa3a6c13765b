import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApprovalNotFound, ConfigError } from '../../errors.js';
import { decideApproval, waitingForApproval } from '../../client/approvals.js';
import { runMoveProduction } from '../../client/production-moves.js';
import { withTemporal } from '../temporal-context.js';
import { EXIT, ExitSignal } from '../exit-codes.js';
import { print, printJson, table } from '../output.js';

const whoami = () => process.env.RETRAIN_USER ?? userInfo().username;

function versionArg(text: string, flag: string): number {
  const v = Number(text.replace(/^v/, ''));
  if (!Number.isInteger(v) || v < 1) throw new ConfigError(`${flag}: expected a version number such as 3 or v3, got ${JSON.stringify(text)}`);
  return v;
}

/** A refused update or a failed workflow is the user's answer, not a crash: say why, exit 1. */
function explain(err: unknown, json?: boolean): never {
  const cause = (err as { cause?: Error }).cause;
  const message = (cause?.cause as Error | undefined)?.message ?? cause?.message ?? (err as Error).message;
  if (json) printJson({ ok: false, error: message });
  else process.stderr.write(`refused: ${message}\n`);
  throw new ExitSignal(EXIT.failure);
}

export function registerProduction(program: Command): void {
  for (const decision of ['approve', 'reject'] as const) {
    program
      .command(`${decision} <model> <version>`)
      .description(`${decision} the candidate version a pipeline run is waiting on (promotion.approval)`)
      .option('--by <name>', 'who decides (default: $RETRAIN_USER or your login)')
      .option('--comment <text>', 'kept in the run result and the audit trail')
      .option('--run <workflowId>', 'the run to answer, when several wait')
      .option('--json', 'machine-readable output')
      .action(async (model: string, version: string, o: { by?: string; comment?: string; run?: string; json?: boolean }) => {
        const v = versionArg(version, '<version>');
        await withTemporal(async ({ client }) => {
          try {
            const done = await decideApproval(client, model, decision, { version: v, approver: o.by ?? whoami(), ...(o.comment ? { comment: o.comment } : {}) }, o.run);
            if (o.json) return printJson({ ok: true, ...done });
            print(`${done.record.decision} v${v} of ${model} (${done.workflowId}); the run continues`);
          } catch (err) {
            if (err instanceof WorkflowUpdateFailedError || err instanceof ApprovalNotFound) explain(err, o.json);
            throw err;
          }
        }, model);
      });
  }

  program
    .command('approvals [model]')
    .description('pipeline runs waiting for approval, with the candidate, its metrics and the deadline')
    .option('--json', 'machine-readable output')
    .action(async (model: string | undefined, o: { json?: boolean }) => {
      await withTemporal(async ({ client, config }) => {
        const rows = [];
        for (const m of model ? [model] : Object.keys(config.models)) rows.push(...(await waitingForApproval(client, m)));
        if (o.json) return printJson(rows);
        if (!rows.length) return print('nothing waits for approval');
        print(table(['model', 'version', 'deadline', 'policy says', 'run'], rows.map((r) => [r.pending.model, `v${r.pending.version}`, r.pending.deadline, r.pending.reason, r.workflowId])));
        print('answer with: retrain approve <model> <version>  or  retrain reject <model> <version> --comment "why"');
      }, model);
    });

  program
    .command('rollback <model>')
    .description('move production back to the last earlier version not rolled back before (or --to a named one); marks the version it leaves; runs the deploy hook')
    .option('--to <version>', 'the version to go back to')
    .option('--reason <text>', 'why (kept in the alias history)', 'manual rollback')
    .option('--by <name>', 'who (default: $RETRAIN_USER or your login)')
    .option('--json', 'machine-readable output')
    .action((model: string, o: { to?: string; reason: string; by?: string; json?: boolean }) =>
      move(model, { kind: 'rollback', ...(o.to ? { to: versionArg(o.to, '--to') } : {}), reason: o.reason, actor: o.by ?? whoami() }, o.json),
    );

  program
    .command('promote <model> <version>')
    .description('make a registered version production by hand (compare-and-set, deploy hook, recorded)')
    .option('--reason <text>', 'why (kept in the alias history)', 'manual promotion')
    .option('--by <name>', 'who (default: $RETRAIN_USER or your login)')
    .option('--json', 'machine-readable output')
    .action((model: string, version: string, o: { reason: string; by?: string; json?: boolean }) =>
      move(model, { kind: 'promote', to: versionArg(version, '<version>'), reason: o.reason, actor: o.by ?? whoami() }, o.json),
    );
}

async function move(model: string, input: { kind: 'rollback' | 'promote'; to?: number; reason: string; actor: string }, json?: boolean) {
  await withTemporal(async ({ client }) => {
    try {
      const { workflowId, result } = await runMoveProduction(client, { model, ...input });
      if (json) return printJson({ ok: true, workflowId, ...result });
      print(`${model}: ${result.from === null ? 'none' : `v${result.from}`} → v${result.to} (${result.reason})\n  ${workflowId}`);
    } catch (err) {
      if (err instanceof WorkflowFailedError) explain(err, json);
      throw err;
    }
  }, model);
}
