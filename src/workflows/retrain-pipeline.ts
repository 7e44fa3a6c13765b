import {
  ActivityFailure,
  ApplicationFailure,
  defineQuery,
  isCancellation,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { ModelPlan } from '../config/plan.js';
import type { StepName } from '../config/model-schema.js';
import type { CheckResult } from '../activities/types.js';
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
import { stepOptions } from './activity-options.js';
import type { CoalescedTriggers, PipelineResult, PipelineStep, RetrainPipelineInput, TriggerRequest } from './types.js';

export function countReasons(triggers: TriggerRequest[]): CoalescedTriggers {
  const byReason: CoalescedTriggers['byReason'] = {};
  for (const t of triggers) byReason[t.reason] = (byReason[t.reason] ?? 0) + 1;
  return { total: triggers.length, byReason };
}

export const pipelineStepQuery = defineQuery<PipelineStep>('step');

const { planRun } = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: ['ConfigError'] },
  summary: 'read the model config',
});

// The audit record must not be lost to a brief disk or lock problem, so it retries for a while.
const { recordRun } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 20, maximumInterval: '30s' },
  summary: 'write the audit record',
});

function steps(plan: ModelPlan, runId: string) {
  const proxy = (step: StepName, summary: string) => proxyActivities<Activities>(stepOptions(plan, step, summary));
  return {
    check: proxy('check', `check ${plan.name}: fingerprint data, compare with production`).checkData,
    validate: proxy('validate', `validate ${plan.name} data`).validateData,
    train: proxy('train', `train ${plan.name} candidate (${runId})`).trainCandidate,
    evaluate: proxy('evaluate', `evaluate ${plan.name}: candidate vs production`).evaluateModels,
    register: proxy('register', `register ${plan.name} candidate`).registerCandidate,
    promote: proxy('promote', `promote ${plan.name} candidate to production`).promoteVersion,
  };
}

/** check → validate → retrain → evaluate → register → promote, for one model. */
export async function retrainPipeline(input: RetrainPipelineInput): Promise<PipelineResult> {
  const { workflowId } = workflowInfo();
  const runId = workflowId;
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
  let fingerprint: PipelineResult['dataFingerprint'] = null;
  let check: CheckResult | null = null;
  let decision: TriggerDecision | null = null;
  let configFile: string | null = null;
  let dataLocation: string | null = null;
  const finish = async (result: PipelineResult): Promise<PipelineResult> => {
    upsertSearchAttributes([{ key: RetrainOutcome, value: result.outcome }]);
    setCurrentDetails(`**${result.outcome}** — ${result.reason}`);
    const info = workflowInfo();
    try {
      await recordRun({
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
    } catch (err) {
      if (isCancellation(err)) throw err;
      log.error('audit record not written', { error: String(err) });
    }
    return result;
  };

  try {
    const plan = await planRun({ model: input.model });
    configFile = plan.configFile;
    dataLocation = plan.data.current;
    const act = steps(plan, runId);

    enter('check');
    check = await act.check({ plan, runId });
    fingerprint = check.fingerprint;
    upsertSearchAttributes([{ key: RetrainDataFingerprint, value: check.fingerprint.sha256.slice(0, 16) }]);
    decision = decideRetrain(
      plan.trigger,
      check,
      { reasons: triggers, force: Boolean(input.force), explicit: plan.trigger.explicitReasons, nowMs: Date.now() },
      input.memory ?? EMPTY_MEMORY,
    );
    if (!decision.retrain) {
      return await finish({ ...base, decision, dataFingerprint: fingerprint, outcome: 'skipped', reason: `skipped: ${decision.reason}` });
    }
    setCurrentDetails(`retraining: ${decision.reason}`);

    enter('validate');
    await act.validate({ plan });

    enter('train');
    const trained = await act.train({ plan, runId });

    enter('evaluate');
    const production = check.production;
    const scores = await act.evaluate({
      plan,
      runId,
      candidateDir: trained.artifactDir,
      productionDir: production?.artifactUri ?? null,
    });
    const verdict = decidePromotion(plan.promotion, scores.candidate, scores.production);
    const metrics = { candidate: scores.candidate, production: scores.production };

    enter('register');
    const version = await act.register({
      plan,
      runId,
      workflowId,
      artifactDir: trained.artifactDir,
      fingerprint: check.fingerprint,
      metrics: scores.candidate,
      triggers,
    });
    upsertSearchAttributes([{ key: RetrainCandidateVersion, value: version.version }]);
    const productionVersion = production?.version ?? null;
    if (!verdict.promote) {
      return await finish({ ...base, decision, dataFingerprint: fingerprint, outcome: 'rejected', version: version.version, productionVersion, metrics, reason: verdict.reason });
    }

    enter('promote');
    const moved = await act.promote({ plan, runId, version: version.version, expected: productionVersion, reason: verdict.reason });
    if (!moved.moved) {
      const reason = `rejected: production moved to v${moved.actual} while this run evaluated against v${productionVersion ?? 'none'}; not overwritten`;
      return await finish({ ...base, decision, dataFingerprint: fingerprint, outcome: 'rejected', version: version.version, productionVersion: moved.actual, metrics, reason });
    }
    return await finish({ ...base, decision, dataFingerprint: fingerprint, outcome: 'promoted', version: version.version, previousVersion: productionVersion, metrics, reason: verdict.reason });
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
