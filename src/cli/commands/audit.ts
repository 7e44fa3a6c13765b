import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { findRunRecord, listRunRecords, recordWorkflow, reportFileOf, runRecordFile, type RunRecord } from '../../audit/audit-log.js';
import { configPathFromEnv, loadConfig, modelConfig } from '../../config/load.js';
import { planModel } from '../../config/plan.js';
import { parseDurationMs } from '../../duration.js';
import { ConfigError } from '../../errors.js';
import type { DvcLineage } from '../../lineage/dvc.js';
import type { TrainLineage } from '../../lineage/train-lineage.js';
import { decideRetrain, EMPTY_MEMORY, type PolicyMemory, type TriggerDecision } from '../../policy/trigger-policy.js';
import { EXIT, ExitSignal } from '../exit-codes.js';
import { failureEvidence } from '../format-result.js';
import { fmt, print, printJson, table } from '../output.js';
import { visible } from '../visible-text.js';
import { knownUiTarget, pipelineRunsQuery, workflowListUrl, workflowUrl } from '../../temporal/connection.js';

const reasonsOf = (r: RunRecord) =>
  Object.entries(r.coalesced.byReason)
    .map(([k, n]) => (n === 1 ? k : `${k}×${n}`))
    .join(', ');

function decisionLines(d: TriggerDecision): string[] {
  // Rule details carry the data's own text (segment values, column names): printed as visible escapes.
  const lines = [`decision: ${d.retrain ? 'retrain' : 'skip'} — ${visible(d.reason)}`];
  for (const r of d.rules) lines.push(`  ${r.fired ? '✔ fired ' : '· quiet '} ${r.rule.padEnd(18)} ${visible(r.detail)}`);
  for (const n of d.notComputed ?? []) lines.push(`  ∅ not computed ${n.what.padEnd(18)} ${visible(n.why)}`);
  return lines;
}

export function explainRecord(r: RunRecord): string {
  const out: string[] = [];
  const res = r.result;
  out.push(`${r.decidedIn ? 'check' : 'run'} ${r.workflowId}  (model ${r.model})`);
  out.push(`  started ${r.startedAt}, finished ${r.finishedAt}${r.parentWorkflowId ? `, ${r.decidedIn ? 'decided in' : 'by'} ${r.parentWorkflowId}` : ''}`);
  out.push(`triggers: ${r.coalesced.total} (${reasonsOf(r)})${r.force ? ', forced' : ''}`);
  for (const t of r.triggers.slice(0, 10)) {
    out.push(`  - ${t.reason} from ${t.source}${t.receivedAt ? ` at ${t.receivedAt}` : ''}${t.details ? ` ${JSON.stringify(t.details)}` : ''}`);
  }
  if (r.triggers.length > 10) out.push(`  … and ${r.coalesced.total - 10} more`);
  const c = r.check;
  if (c) {
    const fp = c.fingerprint;
    out.push(`data: ${r.dataLocation ?? '(unknown location)'}`);
    out.push(`  sha256 ${fp.sha256}, ${fp.rows} rows, ${fp.schema.length} columns, ${fp.files} file(s), ${fp.bytes} bytes`);
    out.push(`  ${c.dataUnchanged ? 'unchanged' : 'changed'} since the production model was trained; ${c.newRows} new rows; params ${c.paramsUnchanged ? 'unchanged' : 'changed'}`);
    if (c.drift) out.push(`  drift: ${fmt(c.drift.driftedShare * 100, 1)}% of columns (${visible(c.drift.driftedColumns.join(', ')) || 'none'}), report ${c.drift.reportFile}`);
    if (c.performance) out.push(`  production ${c.performance.metric} today ${fmt(c.performance.current)}, at promotion ${fmt(c.performance.baseline)}`);
    out.push(`champion at decision time: ${c.production ? `v${c.production.version} (trained ${c.production.createdAt})` : 'none'}`);
  }
  if (r.decision) out.push(...decisionLines(r.decision));
  let outcome = `outcome: ${res.outcome} — ${res.reason}`;
  if (res.outcome === 'promoted') outcome += ` (v${res.version}, previously ${res.previousVersion === null ? 'none' : `v${res.previousVersion}`})`;
  if (res.outcome === 'rejected') outcome += ` (v${res.version} registered, production stays ${res.productionVersion === null ? 'none' : `v${res.productionVersion}`})`;
  out.push(outcome);
  if (res.outcome === 'failed') out.push(...failureEvidence(res.error));
  if (res.outcome === 'promoted' || res.outcome === 'rejected') {
    const m = res.metrics;
    out.push(`  metrics: candidate ${JSON.stringify(m.candidate)}${m.production ? `, production ${JSON.stringify(m.production)}` : ''}`);
  }
  out.push(`code version ${r.codeVersion ?? 'unknown'}, config ${r.configFile ?? 'unknown'}`);
  if (r.dvc) out.push(dvcLine(r.dvc));
  if (r.lineage) out.push(...lineageLines(r.lineage));
  return out.join('\n');
}

/** The training lineage: the train.dvc stage, commit and model md5 (and its push), then lineage.json tags. */
export function lineageLines(l: TrainLineage): string[] {
  const out: string[] = [];
  const d = l.dvc;
  if (d) {
    out.push(`dvc train: stage ${d.stage} at commit ${d.commit.slice(0, 12)}${d.singleItem ? ' (--single-item)' : ''}, model ${d.model.path} md5 ${d.model.md5}${d.uncommitted?.length ? ` — uncommitted changes not trained: ${d.uncommitted.join(', ')}` : ''}`);
    if (d.push) out.push(`  dvc push: ${d.model.md5} to remote ${d.push.remote}${d.push.url ? ` (${d.push.url})` : ''} at ${d.push.at}`);
  }
  const tags = Object.entries(l.tags ?? {});
  if (tags.length) out.push(`lineage: ${tags.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  return out;
}

/** One line naming what DVC tracks: md5, entry, commit, and whether `dvc checkout` gives these bytes back. */
export function dvcLine(d: DvcLineage): string {
  const entry = d.stage ? `${d.file} stage ${d.stage}` : d.file;
  const caveats = [d.entryCommitted === false ? 'entry not committed' : '', d.matches === false ? 'data differs from its DVC md5' : ''].filter(Boolean);
  return `dvc: ${d.path} md5 ${d.md5}${d.nfiles !== undefined ? ` (${d.nfiles} files)` : ''} in ${entry} at commit ${d.commit?.slice(0, 12) ?? 'none'}${caveats.length ? ` — ${caveats.join(', ')}` : ''}`;
}

/** The one run record a workflow id (or part of one) names; exit 2 saying why when none or several match. */
export function oneRecord(found: RunRecord | RunRecord[] | null, run: string): RunRecord {
  if (!found) {
    process.stderr.write(`no recorded run matches "${run}"; list runs with \`retrain history\`\n`);
    throw new ExitSignal(EXIT.invalidInput);
  }
  if (Array.isArray(found)) {
    process.stderr.write(`"${run}" matches ${found.length} runs; be more specific:\n${found.map((r) => `  ${r.workflowId}`).join('\n')}\n`);
    throw new ExitSignal(EXIT.invalidInput);
  }
  return found;
}

export function registerAudit(program: Command): void {
  program
    .command('history [model]')
    .description('past decisions and runs from the audit trail (outlives Temporal\'s retention)')
    .option('--since <duration>', 'only runs started within this long, e.g. 30d or 12h')
    .option('--trigger <reason>', 'only runs with this trigger reason')
    .option('--outcome <outcome>', 'promoted, rejected, skipped or failed')
    .option('--json', 'machine-readable output')
    .action(async (model: string | undefined, o: { since?: string; trigger?: string; outcome?: string; json?: boolean }) => {
      const config = loadConfig(configPathFromEnv());
      if (model) modelConfig(config, model);
      let since: Date | undefined;
      if (o.since) {
        try {
          since = new Date(Date.now() - parseDurationMs(o.since));
        } catch {
          throw new ConfigError(`--since: "${o.since}" is not a duration such as 30d or 12h`);
        }
      }
      const records = await listRunRecords(config.stateDir, model, {
        ...(since ? { since } : {}),
        ...(o.trigger ? { trigger: o.trigger } : {}),
        ...(o.outcome ? { outcome: o.outcome } : {}),
      });
      if (o.json) return printJson(records);
      if (!records.length) return print('no runs recorded yet');
      print(
        table(
          ['started', 'model', 'triggers', 'outcome', 'version', 'data sha256', 'reason'],
          records.map((r) => [
            r.startedAt,
            r.model,
            reasonsOf(r),
            r.result.outcome,
            'version' in r.result ? r.result.version : '',
            r.check?.fingerprint.sha256.slice(0, 12) ?? '',
            r.result.reason.length > 90 ? `${r.result.reason.slice(0, 87)}…` : r.result.reason,
          ]),
        ),
      );
      print(`${records.length} run(s); \`retrain explain <run>\` tells one run's story`);
      const ui = await knownUiTarget(config.stateDir);
      if (ui) {
        print(`Web UI: ${workflowListUrl(ui, pipelineRunsQuery(model, o.outcome))}`);
        if (!o.outcome) print(`  rejected runs: ${workflowListUrl(ui, pipelineRunsQuery(model, 'rejected'))}`);
      }
    });

  program
    .command('explain <run>')
    .description('why a run happened, on which data, what it decided and what came of it (a workflow id or part of one)')
    .option('--json', 'machine-readable output')
    .action(async (run: string, o: { json?: boolean }) => {
      const config = loadConfig(configPathFromEnv());
      const found = oneRecord(await findRunRecord(config.stateDir, run), run);
      if (o.json) return printJson(found);
      print(explainRecord(found));
      const report = reportFileOf(runRecordFile(config.stateDir, found));
      print(existsSync(report) ? `report: ${report}` : `report: not written yet; \`retrain report ${found.workflowId}\` writes it`);
      const ui = await knownUiTarget(config.stateDir);
      // Temporal keeps the run only for the namespace's retention; the audit record above outlives it.
      if (ui) {
        const held = recordWorkflow(found);
        print(`Web UI: ${workflowUrl(ui, held.workflowId, held.temporalRunId)} (while Temporal retains it)${found.decidedIn ? `: the ${found.decidedIn === 'controller' ? 'controller' : 'schedule tick'} run that decided this check` : ''}`);
      }
    });

  program
    .command('check <model>')
    .description('run the check step and the trigger policy now and say what would happen; never retrains')
    .option('--dry-run', 'the default: report only (kept for those used to `dvc repro --dry`)')
    .option('--reason <reason>', 'the trigger reason to judge as', 'schedule')
    .option('--json', 'machine-readable output')
    .action(async (model: string, o: { reason: string; json?: boolean }) => {
      const configFile = configPathFromEnv();
      const config = loadConfig(configFile);
      const plan = planModel(config, model);
      // Loaded here, not at the top: `history` and `explain` should start fast without DuckDB or Temporal.
      const { defaultDeps } = await import('../../activities/deps.js');
      const { createPipelineSteps } = await import('../../activities/pipeline-steps.js');
      const deps = defaultDeps(configFile);
      // The same context for the check and the decision: the check then computes only what the decision needs, as a run would.
      const memory = await rememberedPolicyState(config.stateDir, model);
      const context = { reasons: [o.reason], force: false, explicit: plan.trigger.explicitReasons, nowMs: Date.now() };
      const check = await createPipelineSteps(deps).checkData({ plan, pipelineId: `check/${new Date().toISOString()}`, decision: { context, memory } });
      (await deps.engine()).close();
      const decision = decideRetrain(plan.trigger, check, context, memory);
      if (o.json) return printJson({ model, check, memory, decision });
      print(`${model}: data ${check.fingerprint.sha256.slice(0, 12)} (${check.fingerprint.rows} rows), production ${check.production ? `v${check.production.version}` : 'none'}`);
      for (const line of decisionLines(decision)) print(line);
      print(decision.retrain ? `would retrain (as a "${o.reason}" trigger)` : 'would skip');
    });
}

/** The controller's memory when one is running; otherwise an empty memory (no cooldown, no breaches). */
async function rememberedPolicyState(stateDir: string, model: string): Promise<PolicyMemory> {
  const { connectClient, resolveTemporal } = await import('../../temporal/connection.js');
  const { controllerStatus } = await import('../../client/controller.js');
  try {
    const target = await resolveTemporal({ stateDir, start: false });
    const client = await connectClient(target);
    try {
      return (await controllerStatus(client, model))?.memory ?? EMPTY_MEMORY;
    } finally {
      await client.connection.close();
    }
  } catch {
    return EMPTY_MEMORY;
  }
}

