import type { Command } from 'commander';
import { ScheduleOverlapPolicy, type ScheduleHandle } from '@temporalio/client';
import { ConfigError } from '../../errors.js';
import { TRIGGER_REASONS, type TriggerReason } from '../../policy/trigger-reasons.js';
import { applySchedules, modelSchedule } from '../../client/schedules.js';
import { scheduleId } from '../../workflows/workflow-ids.js';
import { taskQueue } from '../../temporal/task-queues.js';
import { pipelineRunsQuery, workflowListUrl, workflowUrl } from '../../temporal/connection.js';
import { controllerStatus, sendTrigger, controllerId } from '../../client/controller.js';
import { describePlace, fleetPlace } from '../../client/fleet-status.js';
import { jsonBytes, TRIGGER_LIMITS } from '../../triggers/trigger-limits.js';
import { requestRun } from '../../client/pipeline-run.js';
import { pendingApprovalQuery, pipelineStepQuery } from '../../workflows/messages.js';
import type { ControllerStatus } from '../../workflows/retrain-controller.js';
import { withTemporal } from '../temporal-context.js';
import { EXIT, ExitSignal } from '../exit-codes.js';
import { print, printJson, table } from '../output.js';
import { formatResult } from '../format-result.js';

const counts = (byReason: Record<string, number | undefined>) =>
  Object.entries(byReason)
    .map(([r, n]) => `${r}×${n}`)
    .join(', ');

function parseDetails(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const bytes = jsonBytes(v);
      if (bytes > TRIGGER_LIMITS.detailsBytes) {
        throw new ConfigError(`--details: ${bytes} bytes as JSON, at most ${TRIGGER_LIMITS.detailsBytes} (keep a pointer to large data, e.g. a path or URL)`);
      }
      return v as Record<string, unknown>;
    }
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    // fall through to the error below
  }
  throw new ConfigError(`--details: expected a JSON object, got ${JSON.stringify(text.slice(0, 80))}`);
}

export function registerTriggers(program: Command): void {
  program
    .command('trigger <model>')
    .description('ask for a retrain: the model controller coalesces it with other triggers and runs the pipeline')
    .option('--reason <reason>', `one of ${TRIGGER_REASONS.join(', ')}`, 'manual')
    .option('--source <source>', 'who is asking (shown in the audit trail)', 'retrain-cli')
    .option('--details <json>', 'a JSON object kept with the trigger, e.g. \'{"partition":"2026-03-15"}\'')
    .option('--key <idempotency-key>', 'duplicates with the same key count once')
    .option('--force', 'skip the coalescing wait and retrain even if the evidence says no')
    .option('--wait', 'wait for the run this trigger lands in and print its outcome')
    .option('--json', 'machine-readable output')
    .action(async (model: string, o: { reason: string; source: string; details?: string; key?: string; force?: boolean; wait?: boolean; json?: boolean }) => {
      if (!(TRIGGER_REASONS as readonly string[]).includes(o.reason)) {
        throw new ConfigError(`--reason: "${o.reason}" is not one of ${TRIGGER_REASONS.join(', ')}`);
      }
      const details = parseDetails(o.details);
      await withTemporal(async ({ client, target }) => {
        const trigger = {
          reason: o.reason as TriggerReason,
          source: o.source,
          ...(details ? { details } : {}),
          ...(o.key ? { idempotencyKey: o.key } : {}),
          ...(o.force ? { force: true } : {}),
        };
        if (!o.wait) {
          const sent = await sendTrigger(client, { model, trigger });
          const link = workflowUrl(target, sent.controllerId);
          if (o.json) return printJson(sent);
          print(`trigger delivered to ${sent.controllerId}${link ? `\n  ${link}` : ''}`);
          return;
        }
        if (!o.json) print(`trigger delivered to ${controllerId(model)}; waiting for its run …`);
        let lastPhase = '';
        const answer = await requestRun(client, {
          model,
          ...trigger,
          onWaiting: (s) => {
            const phase = s.phase !== 'idle' ? describePhase(s) : '';
            if (!o.json && phase && phase !== lastPhase) print(`  · ${(lastPhase = phase)}`);
          },
          onStarted: (workflowId) => !o.json && print(`  · running ${workflowId}`),
        });
        if (answer.state !== 'finished') {
          const why = answer.state === 'duplicate' ? `a trigger with key ${JSON.stringify(o.key)} was already counted; this one counts once with it` : 'accepted, but too many waiters to track its run; see retrain status';
          if (o.json) printJson({ state: answer.state });
          else print(why);
          return;
        }
        // The controller's summary of the run, as `status` shows it (written right after the run ends).
        let done = null;
        for (let i = 0; i < 120 && !done; i++) {
          done = (await controllerStatus(client, model))?.recent.find((r) => r.workflowId === answer.workflowId) ?? null;
          if (!done) await new Promise((r) => setTimeout(r, 250));
        }
        const summary = done ?? { workflowId: answer.workflowId, outcome: answer.result.outcome, reason: answer.result.reason };
        if (o.json) printJson(summary);
        // A failure shows its evidence (violations, stderr tail, log path) from the run's own result.
        else if (summary.outcome === 'failed') print(`${formatResult(answer.result)}\n  run ${summary.workflowId}`);
        else print(`${summary.reason.startsWith(summary.outcome) ? summary.reason : `${summary.outcome}: ${summary.reason}`}\n  run ${summary.workflowId}`);
        if (summary.outcome === 'failed') throw new ExitSignal(EXIT.failure);
      }, model);
    });

  program
    .command('status [model]')
    .description('what each model controller is doing: idle, waiting to coalesce, or running (which step)')
    .option('--json', 'machine-readable output')
    .action(async (model: string | undefined, o: { json?: boolean }) => {
      await withTemporal(async ({ client, config, target }) => {
        const models = model ? [model] : Object.keys(config.models);
        const rows: { model: string; status: ControllerStatus | null; step: string | null }[] = [];
        for (const m of models) {
          const status = await controllerStatus(client, m);
          let step: string | null = null;
          if (status?.running) step = await client.workflow.getHandle(status.running.workflowId).query(pipelineStepQuery).catch(() => null);
          if (step === 'queue' && status?.running) {
            const place = await fleetPlace(client, status.running.workflowId).catch(() => null);
            if (place) step = describePlace(place);
          }
          if (step === 'approval' && status?.running) {
            const pending = await client.workflow.getHandle(status.running.workflowId).query(pendingApprovalQuery).catch(() => null);
            if (pending) step = `waiting for approval of v${pending.version} until ${pending.deadline}: retrain approve ${m} ${pending.version}`;
          }
          rows.push({ model: m, status, step });
        }
        if (o.json) return printJson(rows.map((r) => ({ model: r.model, controllerId: controllerId(r.model), step: r.step, ...(r.status ?? { phase: 'not started' }) })));
        print(
          table(
            ['model', 'state', 'pending', 'last run', 'last outcome and why'],
            rows.map(({ model: m, status: s, step }) => {
              const last = s?.recent[0];
              return [
                m,
                s ? describePhase(s) + (step ? ` (${step})` : '') : 'no controller yet',
                s ? `${s.pending.total}${s.pending.total ? ` (${counts(s.pending.byReason)})` : ''}` : '',
                last?.workflowId ?? '',
                last?.reason ?? '',
              ];
            }),
          ),
        );
        for (const { model: m, status: s } of rows) {
          const running = s?.running ? workflowUrl(target, s.running.workflowId) : undefined;
          const runs = workflowListUrl(target, pipelineRunsQuery(m));
          if (running) print(`${m}: running ${running}`);
          if (runs) print(`${m}: runs ${runs}`);
        }
      }, model);
    });

  program
    .command('apply')
    .description('create, update or delete the Temporal Schedules so they match the config (idempotent)')
    .option('--dry-run', 'show what would change, change nothing')
    .option('--json', 'machine-readable output')
    .action(async (o: { dryRun?: boolean; json?: boolean }) => {
      await withTemporal(async ({ client, config }) => {
        const changes = await applySchedules(client, config, { taskQueue: taskQueue(), ...(o.dryRun ? { dryRun: true } : {}) });
        if (o.json) return printJson(changes);
        if (!changes.length) return print('no schedules in config and none on the server');
        print(table(['schedule', o.dryRun ? 'would' : 'change', 'detail'], changes.map((c) => [c.scheduleId, c.change, c.detail])));
      });
    });

  const schedule = program.command('schedule').description('operate a model\'s Temporal Schedule (create it with `retrain apply`)');
  schedule
    .command('pause <model>')
    .option('--note <text>', 'why (shown in the Web UI)', 'paused with retrain CLI')
    .action((model: string, o: { note: string }) => withSchedule(model, (h) => h.pause(o.note), `paused ${scheduleId(model)}`));
  schedule
    .command('unpause <model>')
    .option('--note <text>', 'why (shown in the Web UI)', 'unpaused with retrain CLI')
    .action((model: string, o: { note: string }) => withSchedule(model, (h) => h.unpause(o.note), `unpaused ${scheduleId(model)}`));
  schedule
    .command('trigger <model>')
    .description('run the schedule\'s action now (a `schedule` trigger to the controller)')
    .action((model: string) => withSchedule(model, (h) => h.trigger(ScheduleOverlapPolicy.ALLOW_ALL), `triggered ${scheduleId(model)}`));
  schedule
    .command('backfill <model>')
    .description('run the schedule for every slot in a past time range (each slot is one trigger; the controller coalesces them)')
    .requiredOption('--start <iso-time>', 'e.g. 2026-03-01T00:00:00Z')
    .requiredOption('--end <iso-time>', 'e.g. 2026-03-15T00:00:00Z')
    .action((model: string, o: { start: string; end: string }) => {
      const start = new Date(o.start);
      const end = new Date(o.end);
      if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end <= start) {
        throw new ConfigError(`--start/--end: expected two ISO times with start < end, got ${o.start} and ${o.end}`);
      }
      return withSchedule(model, (h) => h.backfill({ start, end, overlap: ScheduleOverlapPolicy.ALLOW_ALL }), `backfill of ${scheduleId(model)} from ${o.start} to ${o.end} requested`);
    });
}

function describePhase(s: ControllerStatus): string {
  if (s.phase === 'waiting' && s.runAt) return `waiting until ${s.runAt}`;
  if (s.phase === 'running' && s.running) return `running ${s.running.workflowId}`;
  return s.phase;
}

async function withSchedule(
  model: string,
  fn: (h: ScheduleHandle) => Promise<unknown>,
  done: string,
): Promise<void> {
  await withTemporal(async ({ client }) => {
    await fn(modelSchedule(client, model));
    print(done);
  }, model);
}
