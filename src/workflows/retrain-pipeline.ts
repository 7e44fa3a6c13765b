import { FailureType } from '../failure-types.js';
import {
  ActivityFailure,
  ApplicationFailure,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { ModelPlan } from '../config/plan.js';
import type { StepName } from '../config/model-schema.js';
import type { CheckResult, SnapshotRef } from '../activities/types.js';
import { decidePromotion } from '../policy/promotion-policy.js';
import { decideRetrain, EMPTY_MEMORY, type TriggerDecision } from '../policy/trigger-policy.js';
import {
  RetrainCandidateVersion,
  RetrainDataFingerprint,
  RetrainModel,
  RetrainOutcome,
  RetrainStep,
  RetrainTrigger,
} from '../temporal/search-attributes.js';
import { parseDurationMs } from '../duration.js';
import { announcer } from './announcer.js';
import { approvalGate } from './approval-gate.js';
import { reportToController } from './run-finished.js';
import { pipelineStepQuery, runFinished } from './messages.js';
import { fleetSlot } from './fleet-slot.js';
import { controllerWorkflowId } from './workflow-ids.js';
import { stepOptions } from './activity-options.js';
import type {
  ApprovalRecord,
  CoalescedTriggers,
  PipelineResult,
  PipelineStep,
  RetrainPipelineInput,
  TriggerRequest,
} from './types.js';

export function countReasons(triggers: TriggerRequest[]): CoalescedTriggers {
  const byReason: CoalescedTriggers['byReason'] = {};
  for (const t of triggers) byReason[t.reason] = (byReason[t.reason] ?? 0) + 1;
  return { total: triggers.length, byReason };
}


// Undoing a promotion must not give up: production may not stay on a model whose deploy failed.
const { promoteVersion: restoreProduction } = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { maximumInterval: '1m', nonRetryableErrorTypes: [FailureType.Registry] },
  summary: 'move production back (compensation)',
});

// Marking a breached candidate bad, and finding where to restore to, must land just as surely.
const { resolveRestore, markRolledBack } = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { maximumInterval: '1m', nonRetryableErrorTypes: [FailureType.Registry] },
  summary: 'watch window: where production goes back to',
});

const { planRun } = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: [FailureType.Config] },
  summary: 'read the model config',
});

// The audit record must not be lost to a brief disk or lock problem, so it retries for a while.
const { recordRun } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 20, maximumInterval: '30s' },
  summary: 'write the audit record',
});

function steps(plan: ModelPlan, pipelineId: string) {
  const proxy = (step: StepName, summary: string) => proxyActivities<Activities>(stepOptions(plan, step, summary));
  return {
    check: proxy('check', `check ${plan.name}: fingerprint data, compare with production`).checkData,
    snapshot: proxy('validate', `snapshot ${plan.name} data: one immutable, content-addressed copy`).snapshotData,
    validate: proxy('validate', `validate ${plan.name} data`).validateData,
    train: proxy('train', `train ${plan.name} candidate (${pipelineId})`).trainCandidate,
    evaluate: proxy('evaluate', `evaluate ${plan.name}: candidate vs production`).evaluateModels,
    register: proxy('register', `register ${plan.name} candidate`).registerCandidate,
    promote: proxy('promote', `promote ${plan.name} candidate to production`).promoteVersion,
    deploy: proxy('promote', `run the ${plan.name} deploy hook`).deployVersion,
    score: proxy('evaluate', `score ${plan.name} production on the evaluation data`).scoreVersion,
    pushDvc: proxy('promote', `dvc push the ${plan.name} model out`).pushDvcModel,
  };
}

/** check → validate → retrain → evaluate → register → promote, for one model. */
export async function retrainPipeline(input: RetrainPipelineInput): Promise<PipelineResult> {
  // The pipeline id is this workflow's id: it names the run's folder and keys its registry writes.
  const pipelineId = workflowInfo().workflowId;
  const triggers = [...new Set(input.triggers.map((t) => t.reason))];
  let step: PipelineStep = 'plan';
  setHandler(pipelineStepQuery, () => step);
  const enter = (next: PipelineStep) => {
    step = next;
    upsertSearchAttributes([{ key: RetrainStep, value: next }]);
  };
  upsertSearchAttributes([
    { key: RetrainModel, value: input.model },
    { key: RetrainTrigger, value: triggers },
  ]);
  const base = { model: input.model, triggers, dataFingerprint: null, decision: null };
  const notifications = announcer(input.model, pipelineId);
  const announce = notifications.announce;
  const approvals = approvalGate(pipelineId, () => step);

  let fingerprint: PipelineResult['dataFingerprint'] = null;
  let check: CheckResult | null = null;
  let decision: TriggerDecision | null = null;
  let configFile: string | null = null;
  let dataLocation: string | null = null;
  /** Workflow-clock bounds of the train step, for the retrain budget's training time. */
  let trainStartMs: number | null = null;
  let trainEndMs: number | null = null;
  const finish = async (outcome: PipelineResult): Promise<PipelineResult> => {
    // Histories from before budgets replay without the marker and without the field.
    const result = trainStartMs !== null && patched('budget-training-time') ? { ...outcome, trainingMs: (trainEndMs ?? Date.now()) - trainStartMs } : outcome;
    upsertSearchAttributes([{ key: RetrainOutcome, value: result.outcome }]);
    setCurrentDetails(`**${result.outcome}** — ${result.reason}`);
    const version = 'version' in result ? result.version : null;
    if (result.outcome === 'skipped') announce('run_skipped', result.reason);
    else if (result.outcome === 'rejected') announce('candidate_rejected', `v${result.version} ${result.reason}`, { version });
    else if (result.outcome === 'promoted') announce('model_promoted', `v${result.version} ${result.reason}`, { version });
    else if (result.outcome === 'rolled_back') announce('rolled_back', `v${result.version} ${result.reason}`, { version });
    else if (result.error.type === FailureType.DataValidation) announce('validation_failed', result.reason, { details: { error: result.error } });
    else announce('run_failed', result.reason, { details: { step: result.step, error: result.error } });
    await notifications.settle();
    const info = workflowInfo();
    try {
      const recordFile = await recordRun({
        model: input.model,
        workflowId: info.workflowId,
        temporalRunId: info.runId,
        parentWorkflowId: info.parent?.workflowId ?? null,
        startedAt: info.startTime.toISOString(),
        finishedAt: new Date().toISOString(),
        triggers: input.triggers,
        coalesced: input.coalesced ?? countReasons(input.triggers),
        force: Boolean(input.force),
        decision,
        check,
        result,
        codeVersion: null,
        configFile,
        dataLocation,
      });
      // The run page in the Web UI names the run's HTML report (written next to the record). Current details are
      // workflow metadata, not a command, so histories replay the same with or without this.
      setCurrentDetails(`**${result.outcome}** — ${result.reason}\n\nreport: \`${recordFile.replace(/\.json$/, '.html')}\``);
    } catch (err) {
      if (isCancellation(err)) throw err;
      log.error('audit record not written', { error: String(err), cause: String((err as ActivityFailure).cause ?? '') });
    }
    // A controller that continued-as-new (or replaced a terminated one) no longer awaits this run as
    // its child: tell it by workflow id. Histories from before this replay without the signal.
    if (info.parent?.workflowId === controllerWorkflowId(input.model) && patched('pipeline-reports-to-controller')) {
      await reportToController(input.model, runFinished(info.workflowId, result));
    }
    return result;
  };

  try {
    const plan = await planRun({ model: input.model });
    notifications.setTargets(plan.notify);
    configFile = plan.configFile;
    dataLocation = plan.data.current;
    const act = steps(plan, pipelineId);

    enter('check');
    const memory = input.memory ?? EMPTY_MEMORY;
    // The check is told the context the decision is made in (the same clock reading), so it can
    // leave out drift and scoring the decision does not need; older histories replay the eager check.
    const lazyCheck = patched('lazy-check');
    const context = { reasons: triggers, force: Boolean(input.force), explicit: plan.trigger.explicitReasons, nowMs: Date.now() };
    check = await act.check(lazyCheck ? { plan, pipelineId, decision: { context, memory } } : { plan, pipelineId });
    fingerprint = check.fingerprint;
    upsertSearchAttributes([{ key: RetrainDataFingerprint, value: check.fingerprint.sha256.slice(0, 16) }]);
    decision = decideRetrain(plan.trigger, check, lazyCheck ? context : { ...context, nowMs: Date.now() }, memory);
    if (!decision.retrain) {
      return await finish({ ...base, decision, dataFingerprint: fingerprint, outcome: 'skipped', reason: `skipped: ${decision.reason}` });
    }
    setCurrentDetails(`retraining: ${decision.reason}`);
    announce('trigger_fired', `retraining: ${decision.reason}`, { details: { triggers } });

    enter('validate');
    // From here on every step reads one immutable copy of the data, and the version records its
    // hash: a source rewritten during the run cannot split what was trained from what is recorded.
    // Histories from before snapshots replay the old path, which reads plan.data.current.
    let data: SnapshotRef | undefined;
    if (patched('data-snapshot')) {
      const snap = await act.snapshot({ plan, pipelineId });
      data = { location: snap.location, sha256: snap.fingerprint.sha256 };
      fingerprint = snap.fingerprint;
      upsertSearchAttributes([{ key: RetrainDataFingerprint, value: snap.fingerprint.sha256.slice(0, 16) }]);
    }
    const onData = data ? { data } : {};
    await act.validate({ plan, ...onData });

    // fleet.maxConcurrentTrainings: wait in the fleet's FIFO queue for a slot, give it back when
    // the train step ends however it ends. Without a fleet limit nothing here runs (no marker).
    const fleet = plan.fleet && patched('fleet-slot') ? fleetSlot(plan.name, plan.fleet.maxConcurrentTrainings) : null;
    let trained: Awaited<ReturnType<typeof act.train>>;
    try {
      if (fleet) {
        enter('queue');
        setCurrentDetails(`waiting for a training slot (${fleet.fleetId})`);
        await fleet.acquire();
        setCurrentDetails(`retraining: ${decision.reason}`);
      }
      enter('train');
      trainStartMs = Date.now();
      trained = await act.train({ plan, pipelineId, ...onData });
      trainEndMs = Date.now();
    } finally {
      if (fleet) await fleet.release();
    }

    enter('evaluate');
    const production = check.production;
    // References, not paths: training and evaluation may run on hosts that share no disk with this one.
    const byReference = trained.artifact !== undefined && patched('artifact-refs');
    const scores = await act.evaluate(
      byReference
        ? { plan, pipelineId, candidate: trained.artifact!, productionVersion: production?.version ?? null }
        : { plan, pipelineId, candidateDir: trained.artifactDir, productionDir: production?.artifactUri ?? null },
    );
    const verdict = decidePromotion(plan.promotion, scores.candidate, scores.production, scores.comparison ?? null);
    const metrics = { candidate: scores.candidate, production: scores.production };

    enter('register');
    const version = await act.register({
      plan,
      pipelineId,
      workflowId: pipelineId,
      ...(byReference ? { artifact: trained.artifact! } : { artifactDir: trained.artifactDir }),
      fingerprint: fingerprint ?? check.fingerprint,
      metrics: scores.candidate,
      triggers,
      ...onData,
      // Results recorded before trainers could report lineage have none, so old histories never reach the marker.
      ...(trained.lineage && patched('train-lineage') ? { lineage: trained.lineage } : {}),
    });
    upsertSearchAttributes([{ key: RetrainCandidateVersion, value: version.version }]);
    const productionVersion = production?.version ?? null;
    if (!verdict.promote) {
      return await finish({ ...base, decision, dataFingerprint: fingerprint, outcome: 'rejected', version: version.version, productionVersion, metrics, reason: verdict.reason });
    }

    let approval: ApprovalRecord | null = null;
    if (plan.promotion.approval) {
      enter('approval');
      approval = await approvals.wait(
        plan.promotion.approval,
        { model: input.model, version: version.version, reason: verdict.reason, metrics: scores.candidate, production: scores.production },
        (text) => announce('approval_requested', text, { version: version.version }),
      );
      if (approval.decision === 'rejected') {
        const reason = `rejected by ${approval.approver}${approval.comment ? `: ${approval.comment}` : ''} (policy: ${verdict.reason})`;
        return await finish({ ...base, decision, dataFingerprint: fingerprint, outcome: 'rejected', version: version.version, productionVersion, metrics, reason, approval });
      }
    }

    enter('promote');
    const moved = await act.promote({ plan, recordId: pipelineId, version: version.version, expected: productionVersion, reason: verdict.reason });
    if (!moved.moved) {
      const reason = `rejected: production moved to v${moved.actual} while this run evaluated against v${productionVersion ?? 'none'}; not overwritten`;
      return await finish({ ...base, decision, dataFingerprint: fingerprint, outcome: 'rejected', version: version.version, productionVersion: moved.actual, metrics, reason });
    }
    const approved = approval ? { approval } : {};

    if (plan.promotion.deploy) {
      enter('deploy');
      try {
        await act.deploy({ plan, recordId: pipelineId, version: version.version });
      } catch (err) {
        if (isCancellation(err)) throw err;
        // Compensation: production goes back to what it was before this run moved it.
        await restoreProduction({ plan, recordId: pipelineId, version: productionVersion, expected: version.version, actor: 'pipeline (compensation)', reason: `deploy hook failed for v${version.version}` });
        throw err;
      }
    }

    // train.dvc.push: the promoted model out goes to the DVC remote. Production has moved already, so
    // a failed push is said in the outcome's reason, not turned into a failed run.
    let pushNote = '';
    if (plan.train.dvc?.push && version.lineage?.dvc && patched('dvc-push')) {
      try {
        const pushed = await act.pushDvc({ plan, pipelineId, version: version.version });
        pushNote = `; dvc push ${pushed.md5} to ${pushed.remote}`;
      } catch (err) {
        if (isCancellation(err)) throw err;
        const cause = err instanceof ActivityFailure ? err.cause : err;
        pushNote = `; dvc push failed: ${((cause as Error)?.message ?? String(cause)).split('\n')[0]}`;
      }
    }

    if (plan.promotion.watch) {
      enter('watch');
      const watch = plan.promotion.watch;
      const better = plan.promotion.direction === 'maximize' ? 1 : -1;
      const baseline = scores.candidate[plan.promotion.metric]!;
      const until = Date.now() + parseDurationMs(watch.duration);
      for (let round = 1; Date.now() < until; round++) {
        setCurrentDetails(`watching v${version.version} until ${new Date(until).toISOString()}`);
        await sleep(Math.min(parseDurationMs(watch.every), until - Date.now()));
        const watched = await act.score({ plan, pipelineId, version: version.version, label: `watch-${round}` });
        const value = watched[plan.promotion.metric];
        const drop = value === undefined ? Infinity : ((baseline - value) * better) / Math.abs(baseline || 1);
        if (drop <= watch.maxRelativeDrop) continue;
        const why = `watch window: ${plan.promotion.metric} ${value ?? 'missing'} is ${(drop * 100).toFixed(1)}% below the ${baseline} v${version.version} was promoted with (limit ${(watch.maxRelativeDrop * 100).toFixed(1)}%)`;
        // Back to the most recent earlier production version nobody declared bad (the one before,
        // unless it was rolled back since and promoted again by hand); histories from before
        // this replay the plain restore.
        const skipsBad = patched('watch-skips-rolled-back');
        let target = productionVersion;
        let skippedNote = '';
        if (skipsBad && productionVersion !== null) {
          const walk = await resolveRestore({ plan, current: version.version });
          if (walk.to === null) {
            const reason = `promoted, then ${why}; not rolled back: every earlier production version was rolled back before (${walk.summary}); roll back with --to to choose one`;
            return await finish({ ...base, decision, dataFingerprint: fingerprint, outcome: 'promoted', version: version.version, previousVersion: productionVersion, metrics, reason, ...approved });
          }
          target = walk.to;
          if (walk.skipped.length) skippedNote = ` (skipped ${walk.summary})`;
        }
        const back = await restoreProduction({ plan, recordId: pipelineId, version: target, expected: version.version, actor: 'pipeline (watch)', reason: why });
        if (!back.moved) {
          const reason = `promoted, then ${why}; not rolled back because production has since moved to v${back.actual}`;
          return await finish({ ...base, decision, dataFingerprint: fingerprint, outcome: 'promoted', version: version.version, previousVersion: productionVersion, metrics, reason, ...approved });
        }
        if (skipsBad) await markRolledBack({ plan, version: version.version, mark: { at: back.move.at, by: 'pipeline (watch)', reason: why, recordId: pipelineId } });
        const reason = `rolled back to ${target === null ? 'no production model' : `v${target}`}${skippedNote}: ${why}`;
        return await finish({ ...base, decision, dataFingerprint: fingerprint, outcome: 'rolled_back', version: version.version, previousVersion: productionVersion, metrics, watched, reason });
      }
    }
    return await finish({ ...base, decision, dataFingerprint: fingerprint, outcome: 'promoted', version: version.version, previousVersion: productionVersion, metrics, reason: `${verdict.reason}${pushNote}`, ...approved });
  } catch (err) {
    if (isCancellation(err)) throw err;
    const cause = err instanceof ActivityFailure ? err.cause : err;
    const type = cause instanceof ApplicationFailure ? (cause.type ?? 'Error') : ((cause as Error)?.name ?? 'Error');
    const message = (cause as Error)?.message ?? String(cause);
    return await finish({
      ...base,
      decision,
      dataFingerprint: fingerprint,
      outcome: 'failed',
      step,
      error: { type, message },
      reason: `failed at ${step}: ${type}: ${message.split('\n')[0]}`,
    });
  }
}
