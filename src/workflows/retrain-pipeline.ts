import {
  ActivityFailure,
  ApplicationFailure,
  defineQuery,
  isCancellation,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { ModelPlan } from '../config/plan.js';
import type { StepName } from '../config/model-schema.js';
import { decidePromotion } from '../policy/promotion-policy.js';
import {
  RetrainCandidateVersion,
  RetrainDataFingerprint,
  RetrainModel,
  RetrainOutcome,
  RetrainStep,
  RetrainTrigger,
} from '../temporal/search-attributes.js';
import { stepOptions } from './activity-options.js';
import type { PipelineResult, PipelineStep, RetrainPipelineInput } from './types.js';

export const pipelineStepQuery = defineQuery<PipelineStep>('step');

const { planRun } = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: ['ConfigError'] },
  summary: 'read the model config',
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
  const base = { model: input.model, triggers, dataFingerprint: null };
  let fingerprint: PipelineResult['dataFingerprint'] = null;
  const finish = (result: PipelineResult): PipelineResult => {
    upsertSearchAttributes([{ key: RetrainOutcome, value: result.outcome }]);
    setCurrentDetails(`**${result.outcome}** — ${result.reason}`);
    return result;
  };

  try {
    const plan = await planRun({ model: input.model });
    const act = steps(plan, runId);

    enter('check');
    const check = await act.check({ plan, runId });
    fingerprint = check.fingerprint;
    upsertSearchAttributes([{ key: RetrainDataFingerprint, value: check.fingerprint.sha256.slice(0, 16) }]);
    if (check.dataUnchanged && check.paramsUnchanged && plan.trigger.skipUnchangedData && !input.force) {
      return finish({
        ...base,
        dataFingerprint: fingerprint,
        outcome: 'skipped',
        reason: `data and params unchanged since production v${check.production?.version} was trained (sha256 ${check.fingerprint.sha256.slice(0, 12)})`,
      });
    }

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
    const decision = decidePromotion(plan.promotion, scores.candidate, scores.production);
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
    if (!decision.promote) {
      return finish({ ...base, dataFingerprint: fingerprint, outcome: 'rejected', version: version.version, productionVersion, metrics, reason: decision.reason });
    }

    enter('promote');
    const moved = await act.promote({ plan, runId, version: version.version, expected: productionVersion, reason: decision.reason });
    if (!moved.moved) {
      const reason = `rejected: production moved to v${moved.actual} while this run evaluated against v${productionVersion ?? 'none'}; not overwritten`;
      return finish({ ...base, dataFingerprint: fingerprint, outcome: 'rejected', version: version.version, productionVersion: moved.actual, metrics, reason });
    }
    return finish({ ...base, dataFingerprint: fingerprint, outcome: 'promoted', version: version.version, previousVersion: productionVersion, metrics, reason: decision.reason });
  } catch (err) {
    if (isCancellation(err)) throw err;
    const cause = err instanceof ActivityFailure ? err.cause : err;
    const type = cause instanceof ApplicationFailure ? (cause.type ?? 'Error') : ((cause as Error)?.name ?? 'Error');
    const message = (cause as Error)?.message ?? String(cause);
    return finish({
      ...base,
      dataFingerprint: fingerprint,
      outcome: 'failed',
      step,
      error: { type, message },
      reason: `failed at ${step}: ${type}: ${message.split('\n')[0]}`,
    });
  }
}
