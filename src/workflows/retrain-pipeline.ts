import {
  ApplicationFailure,
  isCancellation,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  workflowInfo,
  type ActivityFailure,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { ModelPlan } from '../config/plan.js';
import type { StepName } from '../config/model-schema.js';
import type { CheckResult, SnapshotRef } from '../activities/types.js';
import type { DataSnapshot } from '../data/content-snapshot.js';
import type { ValidationReport } from '../data/validate.js';
import type { RunEvidence } from '../report/run-evidence.js';
import { decidePromotion } from '../policy/promotion-policy.js';
import { watchVerdict } from '../policy/watch-policy.js';
import { failureLine, failureOf } from '../failure-result.js';
import { decideRetrain, EMPTY_MEMORY, forcedRetrainReason, type TriggerDecision } from '../policy/trigger-policy.js';
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
import { directAttributes, heldAttributes, type RunAttributes } from './run-attributes.js';
import { approvalGate } from './approval-gate.js';
import { reportToController } from './run-finished.js';
import { pipelineStepQuery, runFinished } from './messages.js';
import { fleetSlot } from './fleet-slot.js';
import { controllerWorkflowId } from './workflow-ids.js';
import { profile, stepOptions } from './activity-options.js';
import type {
  ApprovalRecord,
  CoalescedTriggers,
  PipelineResult,
  PipelineStep,
  RetrainPipelineInput,
  TriggerReason,
  TriggerRequest,
} from './types.js';

export function countReasons(triggers: TriggerRequest[]): CoalescedTriggers {
  const byReason: CoalescedTriggers['byReason'] = {};
  for (const t of triggers) byReason[t.reason] = (byReason[t.reason] ?? 0) + 1;
  return { total: triggers.length, byReason };
}


// Undoing a promotion must not give up: production may not stay on a model whose deploy failed.
const { promoteVersion: restoreProduction } = proxyActivities<Activities>(profile('mustLand', 'move production back (compensation)'));

// Marking a breached candidate bad, and finding where to restore to, must land just as surely.
const { resolveRestore, markRolledBack } = proxyActivities<Activities>(profile('mustLand', 'watch window: where production goes back to'));

const { planRun } = proxyActivities<Activities>(profile('readConfig', 'read the model config'));
// Reading the config is a fraction of a millisecond of work: as a local activity it runs inside the run's first
// workflow task instead of costing a task round trip (same timeout and retries; a marker in the Web UI's history).
const { planRun: planRunHere } = proxyLocalActivities<Activities>(profile('readConfig', 'read the model config'));

const { recordRun } = proxyActivities<Activities>(profile('auditRecord', 'write the audit record'));
// The record is written as the run ends, on the worker that ends it: as a local activity it runs inside the last
// workflow task, which then completes the run (a task round trip less; a marker in the Web UI's history).
const { recordRun: recordRunHere } = proxyLocalActivities<Activities>(profile('auditRecord', 'write the audit record'));

/** The pipeline's patch ids, each asked where its change is in runs recorded before they were folded. */
type PipelinePatch =
  | 'watch-skips-rolled-back'
  | 'relative-drop-zero-baseline'
  | 'lazy-check'
  | 'one-step-validation'
  | 'data-snapshot'
  | 'fleet-slot'
  | 'artifact-refs'
  | 'train-lineage'
  | 'budget-training-time'
  | 'pipeline-reports-to-controller'
  | 'forced-check-beside-training'
  | 'dvc-push';

/** Which of the pipeline's changes a run has (see pipelineChanges). */
interface Changes {
  /** Recorded since the patches were folded: every change below, the config and the record read in local activities. */
  folded: boolean;
  /** Recorded since `search-attributes-at-waits`: quick steps and values learnt between steps wait for the next upsert (run-attributes.ts). */
  lean: boolean;
  has: (id: PipelinePatch) => boolean;
}

/**
 * A run recorded since `pipeline-patches-folded` has every change the patches below name, and asks that one patch,
 * first, before its local activities: a patch asked after a local activity can land in a later workflow task on
 * the run than on its replay, which then takes the unpatched branch (the replay test's rule). One marker instead of
 * up to fourteen is also five to ten history events less per run. Runs recorded before ask each patch where its
 * change is, as they always did. A change after the fold asks its own patch here, first, standing for the ones before
 * it: `search-attributes-at-waits` is the newest.
 */
function pipelineChanges(): Changes {
  // A new run asks only the newest: it stands for the fold as well (one marker, not two). A run recorded between the
  // two has the fold's marker alone, and replays the fold.
  const lean = patched('search-attributes-at-waits');
  const folded = lean || patched('pipeline-patches-folded');
  return { folded, lean, has: (id) => folded || patched(id) };
}

/** Steps a lean run shows while in them when it may wait there for seconds: see shownWhileIn. */
const SLOW_TRAINING_MS = 5_000;
const LARGE_DATA_BYTES = 256 * 1024 * 1024;

/**
 * Whether a lean run shows `step` in its RetrainStep as it enters it. Every step it can wait in for more than a few
 * seconds shows: the check, validation, the fleet queue, training, approval, the deploy hook, the watch window. Of the
 * three between training and the outcome: promote never (a compare-and-set of the registry's alias, milliseconds);
 * evaluate when training took 5 s or more (it scores the same model, with the user's command, on the evaluation data:
 * after a quicker training it is done in moments); register when the training data is 256 MiB or more (its Parquet copy
 * and profile take seconds then). A step not shown goes out with the next upsert, so a run that ends in it says so.
 */
function shownWhileIn(step: PipelineStep, facts: RunFacts): boolean {
  if (step === 'promote') return false;
  if (step === 'evaluate') return facts.trainStartMs === null || facts.trainEndMs === null || facts.trainEndMs - facts.trainStartMs >= SLOW_TRAINING_MS;
  if (step === 'register') return (facts.snapshot?.bytes ?? facts.fingerprint?.bytes ?? 0) >= LARGE_DATA_BYTES;
  return true;
}

function steps(plan: ModelPlan, pipelineId: string) {
  const proxy = (step: StepName, summary: string) => proxyActivities<Activities>(stepOptions(plan, step, summary));
  return {
    check: proxy('check', `check ${plan.name}: fingerprint data, compare with production`).checkData,
    snapshot: proxy('validate', `snapshot ${plan.name} data: one immutable, content-addressed copy`).snapshotData,
    validate: proxy('validate', `validate ${plan.name} data`).validateData,
    snapshotAndValidate: proxy('validate', `snapshot ${plan.name} data (one immutable, content-addressed copy) and validate it`).snapshotAndValidate,
    train: proxy('train', `train ${plan.name} candidate (${pipelineId})`).trainCandidate,
    evaluate: proxy('evaluate', `evaluate ${plan.name}: candidate vs production`).evaluateModels,
    register: proxy('register', `register ${plan.name} candidate`).registerCandidate,
    promote: proxy('promote', `promote ${plan.name} candidate to production`).promoteVersion,
    deploy: proxy('deploy', `run the ${plan.name} deploy hook`).deployVersion,
    score: proxy('score', `score ${plan.name} production on the evaluation data`).scoreVersion,
    pushDvc: proxy('promote', `dvc push the ${plan.name} model out`).pushDvcModel,
  };
}

type Steps = ReturnType<typeof steps>;

/** What the run has learnt so far: the audit record and a failed result report it, whichever step failed. */
interface RunFacts {
  step: PipelineStep;
  fingerprint: PipelineResult['dataFingerprint'];
  /** The snapshot's fingerprint once taken: what the run trains on, so what it reports and registers. */
  snapshot?: NonNullable<PipelineResult['dataFingerprint']>;
  check: CheckResult | null;
  decision: TriggerDecision | null;
  configFile: string | null;
  dataLocation: string | null;
  /** Workflow-clock bounds of the train step, for the retrain budget's training time. */
  trainStartMs: number | null;
  trainEndMs: number | null;
  /** What the steps returned that the record keeps beyond the result, as they return it. */
  evidence: RunEvidence;
}

/**
 * The evidence goes to the record with the run's own results when it is this small; a larger one (a validation
 * report of thousands of columns) is read back from the history by the record activity, as before, rather than
 * stored in it twice.
 */
const EVIDENCE_INLINE_BYTES = 64 * 1024;

/** The validation report a failed validate step carries as its failure's details. */
function failedValidationReport(err: unknown): ValidationReport | undefined {
  const cause = (err as ActivityFailure | null)?.cause;
  const details = cause instanceof ApplicationFailure ? (cause.details?.[0] as { report?: ValidationReport } | undefined) : undefined;
  return details && typeof details === 'object' && Array.isArray(details.report?.violations) ? details.report : undefined;
}

/** A promoted version and what it was promoted against: what the steps after promotion work on. */
interface Promoted {
  plan: ModelPlan;
  act: Steps;
  pipelineId: string;
  version: number;
  productionVersion: number | null;
  candidate: Record<string, number>;
  has: Changes['has'];
}

/**
 * The promote step's undo: production goes back to what it was before this run moved it when
 * the deploy hook fails, and the failure fails the run.
 */
async function deployOrRestore(p: Promoted): Promise<void> {
  try {
    await p.act.deploy({ plan: p.plan, recordId: p.pipelineId, version: p.version });
  } catch (err) {
    if (isCancellation(err)) throw err;
    await restoreProduction({ plan: p.plan, recordId: p.pipelineId, version: p.productionVersion, expected: p.version, actor: 'pipeline (compensation)', reason: `deploy hook failed for v${p.version}` });
    throw err;
  }
}

/**
 * train.dvc.push: the promoted model out goes to the DVC remote. Production has moved already, so
 * a failed push is said in the outcome's reason (the returned note), not turned into a failed run.
 */
async function pushModelOut(p: Promoted): Promise<string> {
  try {
    const pushed = await p.act.pushDvc({ plan: p.plan, pipelineId: p.pipelineId, version: p.version });
    return `; dvc push ${pushed.md5} to ${pushed.remote}`;
  } catch (err) {
    if (isCancellation(err)) throw err;
    return `; dvc push failed: ${failureLine(err)}`;
  }
}

type WatchOutcome = { outcome: 'kept' } | { outcome: 'kept'; reason: string } | { outcome: 'rolled_back'; reason: string; watched: Record<string, number> };

/**
 * promotion.watch: re-score production every `watch.every` until `watch.duration` ends; on a
 * breach (watch-policy.ts) move it back to the most recent earlier version nobody declared bad.
 */
async function watchWindow(p: Promoted, watch: NonNullable<ModelPlan['promotion']['watch']>): Promise<WatchOutcome> {
  const { plan } = p;
  const promoted = { version: p.version, value: p.candidate[plan.promotion.metric]! };
  const until = Date.now() + parseDurationMs(watch.duration);
  for (let round = 1; Date.now() < until; round++) {
    setCurrentDetails(`watching v${p.version} until ${new Date(until).toISOString()}`);
    await sleep(Math.min(parseDurationMs(watch.every), until - Date.now()));
    const watched = await p.act.score({ plan, pipelineId: p.pipelineId, version: p.version, label: `watch-${round}` });
    const verdict = watchVerdict(watch, plan.promotion, promoted, watched);
    if (!verdict.breached) continue;
    const why = verdict.why;
    // Back to the most recent earlier production version nobody declared bad (the one before,
    // unless it was rolled back since and promoted again by hand); histories from before
    // this replay the plain restore.
    const skipsBad = p.has('watch-skips-rolled-back');
    let target = p.productionVersion;
    let skippedNote = '';
    if (skipsBad && p.productionVersion !== null) {
      const walk = await resolveRestore({ plan, current: p.version });
      if (walk.to === null) {
        return { outcome: 'kept', reason: `promoted, then ${why}; not rolled back: every earlier production version was rolled back before (${walk.summary}); roll back with --to to choose one` };
      }
      target = walk.to;
      if (walk.skipped.length) skippedNote = ` (skipped ${walk.summary})`;
    }
    const back = await restoreProduction({ plan, recordId: p.pipelineId, version: target, expected: p.version, actor: 'pipeline (watch)', reason: why });
    if (!back.moved) {
      return { outcome: 'kept', reason: `promoted, then ${why}; not rolled back because production has since moved to v${back.actual}` };
    }
    if (skipsBad) await markRolledBack({ plan, version: p.version, mark: { at: back.move.at, by: 'pipeline (watch)', reason: why, recordId: p.pipelineId } });
    return { outcome: 'rolled_back', reason: `rolled back to ${target === null ? 'no production model' : `v${target}`}${skippedNote}: ${why}`, watched };
  }
  return { outcome: 'kept' };
}

/**
 * The evidence the trigger policy decides on. Since relative-drop.ts, a zero performance baseline is
 * measured in the metric's units; runs recorded before decided without the rule, and replay so.
 */
function evidenceFor(check: CheckResult, has: Changes['has']): CheckResult {
  if (check.performance?.baseline !== 0 || has('relative-drop-zero-baseline')) return check;
  return { ...check, performance: { ...check.performance, baseline: null } };
}

/** The audit record (and the run page's pointer to its HTML report); a record not written is logged, never fails the run. */
async function recordTheRun(input: RetrainPipelineInput, facts: RunFacts, result: PipelineResult, changes: Changes): Promise<void> {
  const info = workflowInfo();
  try {
    const record = changes.folded ? recordRunHere : recordRun;
    // A folded run gathered every step's evidence (see RunFacts); the record activity reads the history otherwise.
    const inline = changes.folded && JSON.stringify(facts.evidence).length <= EVIDENCE_INLINE_BYTES;
    const recordFile = await record({
      model: input.model,
      workflowId: info.workflowId,
      temporalRunId: info.runId,
      parentWorkflowId: info.parent?.workflowId ?? null,
      startedAt: info.startTime.toISOString(),
      finishedAt: new Date().toISOString(),
      triggers: input.triggers,
      coalesced: input.coalesced ?? countReasons(input.triggers),
      force: Boolean(input.force),
      decision: facts.decision,
      check: facts.check,
      result,
      codeVersion: null,
      configFile: facts.configFile,
      dataLocation: facts.dataLocation,
      ...(inline ? { evidence: facts.evidence } : {}),
    });
    // The run page in the Web UI names the run's HTML report (written next to the record). Current details are
    // workflow metadata, not a command, so histories replay the same with or without this.
    setCurrentDetails(`**${result.outcome}** — ${result.reason}\n\nreport: \`${recordFile.replace(/\.json$/, '.html')}\``);
  } catch (err) {
    if (isCancellation(err)) throw err;
    log.error('audit record not written', { error: String(err), cause: String((err as ActivityFailure).cause ?? '') });
  }
}

/** One run's plan, steps and what it has learnt: what the step functions below work on. */
interface Run {
  input: RetrainPipelineInput;
  plan: ModelPlan;
  act: Steps;
  pipelineId: string;
  triggers: TriggerReason[];
  facts: RunFacts;
  enter: (next: PipelineStep) => void;
  changes: Changes;
  /** How the run sets its search attributes (run-attributes.ts). */
  attributes: RunAttributes;
}

type Trained = Awaited<ReturnType<Steps['train']>>;

/** check: fingerprint the data, compare with production, and let the trigger policy decide. */
async function checkAndDecide(run: Run): Promise<TriggerDecision> {
  const { plan, act, pipelineId, facts, input } = run;
  const memory = input.memory ?? EMPTY_MEMORY;
  // The check is told the context the decision is made in (the same clock reading), so it can
  // leave out drift and scoring the decision does not need; older histories replay the eager check.
  const lazyCheck = run.changes.has('lazy-check');
  const context = { reasons: run.triggers, force: Boolean(input.force), explicit: plan.trigger.explicitReasons, nowMs: Date.now() };
  const check = (facts.check = await act.check(lazyCheck ? { plan, pipelineId, decision: { context, memory } } : { plan, pipelineId }));
  // A forced run's check ends after its snapshot, whose fingerprint is what the run trains on and reports: runs
  // recorded before the fold set the check's for a moment and put the snapshot's back (an upsert more).
  if (!(run.changes.folded && facts.snapshot)) {
    facts.fingerprint = check.fingerprint;
    run.attributes.hold([{ key: RetrainDataFingerprint, value: check.fingerprint.sha256.slice(0, 16) }]);
  }
  return (facts.decision = decideRetrain(plan.trigger, evidenceFor(check, run.changes.has), lazyCheck ? context : { ...context, nowMs: Date.now() }, memory));
}

/**
 * validate: from here on every step reads one immutable copy of the data, and the version records
 * its hash: a source rewritten during the run cannot split what was trained from what is recorded.
 * Histories from before snapshots replay the old path, which reads plan.data.current.
 */
async function snapshotAndValidate(run: Run): Promise<{ data?: SnapshotRef }> {
  const { plan, act, pipelineId, facts } = run;
  let data: SnapshotRef | undefined;
  const taken = (snap: DataSnapshot) => {
    facts.snapshot = snap.fingerprint;
    facts.fingerprint = snap.fingerprint;
    run.attributes.hold([{ key: RetrainDataFingerprint, value: snap.fingerprint.sha256.slice(0, 16) }]);
    return { location: snap.location, sha256: snap.fingerprint.sha256 };
  };
  // One activity since one-step validation (a task round trip less); histories from before replay the two.
  if (run.changes.has('one-step-validation')) {
    try {
      const { snapshot, report } = await act.snapshotAndValidate({ plan, pipelineId });
      facts.evidence.validation = report;
      return { data: taken(snapshot) };
    } catch (err) {
      const report = failedValidationReport(err);
      if (report) facts.evidence.validation = report;
      throw err;
    }
  }
  if (run.changes.has('data-snapshot')) data = taken(await act.snapshot({ plan, pipelineId }));
  const onData = data ? { data } : {};
  await act.validate({ plan, ...onData });
  return onData;
}

/** A promise's outcome as a value, so two steps run side by side can both be waited for. */
function settle<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/**
 * A forced run retrains whatever the check finds (the trigger policy decides force first), so its check only
 * gathers evidence for the record and the production version evaluation compares against: it runs beside
 * training instead of before the snapshot, and evaluation waits for both. A failed check fails the run at
 * check, as before (the candidate is not evaluated or registered); a failed validation still records the
 * check's evidence. The fingerprint the run reports and registers stays the snapshot's.
 */
async function forcedRun(run: Run): Promise<{ onData: { data?: SnapshotRef }; trained: Trained }> {
  const { triggers } = run;
  const reason = forcedRetrainReason(triggers);
  run.enter('validate');
  let onData: { data?: SnapshotRef };
  try {
    onData = await snapshotAndValidate(run);
  } catch (err) {
    if (!isCancellation(err)) await checkAndDecide(run).catch(() => undefined);
    keepSnapshotFingerprint(run);
    throw err;
  }
  const checking = settle(checkAndDecide(run));
  setCurrentDetails(`retraining: ${reason}`);
  const training = settle(trainInSlot(run, onData, reason));
  const [checked, trained] = [await checking, await training];
  keepSnapshotFingerprint(run);
  if (!checked.ok) {
    run.enter('check');
    throw checked.error;
  }
  if (!trained.ok) throw trained.error;
  return { onData, trained: trained.value }; // the check's decision is in facts.decision
}

/** The check sets the run's fingerprint when it ends; after the snapshot, the snapshot's is put back. */
function keepSnapshotFingerprint({ facts, attributes }: Run): void {
  if (!facts.snapshot || facts.fingerprint === facts.snapshot) return;
  facts.fingerprint = facts.snapshot;
  attributes.hold([{ key: RetrainDataFingerprint, value: facts.snapshot.sha256.slice(0, 16) }]);
}

/**
 * train, in a fleet slot when fleet.maxConcurrentTrainings is set: wait in the fleet's FIFO queue,
 * give the slot back when the train step ends however it ends. Without a fleet limit nothing of
 * that runs (no marker).
 */
async function trainInSlot(run: Run, onData: { data?: SnapshotRef }, reason: string): Promise<Trained> {
  const { plan, act, pipelineId, facts, enter } = run;
  const fleet = plan.fleet && run.changes.has('fleet-slot') ? fleetSlot(plan.name, plan.fleet.maxConcurrentTrainings) : null;
  try {
    if (fleet) {
      enter('queue');
      setCurrentDetails(`waiting for a training slot (${fleet.fleetId})`);
      await fleet.acquire();
      setCurrentDetails(`retraining: ${reason}`);
    }
    enter('train');
    facts.trainStartMs = Date.now();
    const trained = await act.train({ plan, pipelineId, ...onData });
    facts.trainEndMs = Date.now();
    facts.evidence.trainDurationMs = trained.durationMs;
    return trained;
  } finally {
    if (fleet) await fleet.release();
  }
}

/** evaluate: candidate and production on the evaluation data, and the promotion policy's verdict. */
async function evaluateCandidate(run: Run, trained: Trained) {
  const { plan, act, pipelineId } = run;
  const production = run.facts.check!.production;
  // References, not paths: training and evaluation may run on hosts that share no disk with this one.
  const byReference = trained.artifact !== undefined && run.changes.has('artifact-refs');
  const scores = await act.evaluate(
    byReference
      ? { plan, pipelineId, candidate: trained.artifact!, productionVersion: production?.version ?? null }
      : { plan, pipelineId, candidateDir: trained.artifactDir, productionDir: production?.artifactUri ?? null },
  );
  run.facts.evidence.evaluationSha256 = scores.evaluationSha256;
  if (scores.comparison) run.facts.evidence.comparison = scores.comparison;
  const verdict = decidePromotion(plan.promotion, scores.candidate, scores.production, scores.comparison ?? null);
  return { scores, verdict, byReference };
}

/** register: the candidate becomes a version, with its lineage, whatever the verdict. */
async function registerCandidate(run: Run, trained: Trained, byReference: boolean, metrics: Record<string, number>, onData: { data?: SnapshotRef }) {
  const { plan, act, pipelineId, facts } = run;
  const registered = await act.register({
    plan,
    pipelineId,
    workflowId: pipelineId,
    ...(byReference ? { artifact: trained.artifact! } : { artifactDir: trained.artifactDir }),
    fingerprint: facts.fingerprint ?? facts.check!.fingerprint,
    metrics,
    triggers: run.triggers,
    ...onData,
    // Results recorded before trainers could report lineage have none, so old histories never reach the marker.
    ...(trained.lineage && run.changes.has('train-lineage') ? { lineage: trained.lineage } : {}),
    // The inputs as training hashed them (absent in results from before: register hashes them). A payload, not a command.
    ...(trained.inputs ? { inputs: trained.inputs } : {}),
  });
  run.attributes.hold([{ key: RetrainCandidateVersion, value: registered.version }]);
  return registered;
}

/** check → validate → retrain → evaluate → register → promote, for one model. */
export async function retrainPipeline(input: RetrainPipelineInput): Promise<PipelineResult> {
  // Asked first: before any local activity (see pipelineChanges).
  const changes = pipelineChanges();
  const { has } = changes;
  const attributes = changes.lean ? heldAttributes() : directAttributes();
  // The pipeline id is this workflow's id: it names the run's folder and keys its registry writes.
  const pipelineId = workflowInfo().workflowId;
  const triggers = [...new Set(input.triggers.map((t) => t.reason))];
  const facts: RunFacts = { step: 'plan', fingerprint: null, check: null, decision: null, configFile: null, dataLocation: null, trainStartMs: null, trainEndMs: null, evidence: {} };
  setHandler(pipelineStepQuery, () => facts.step);
  const enter = (next: PipelineStep) => {
    facts.step = next;
    const step = [{ key: RetrainStep, value: next }];
    if (!changes.lean || shownWhileIn(next, facts)) attributes.upsert(step);
    else attributes.hold(step);
  };
  // A lean run sends these with its first step, in the same workflow task (the config is read in a local activity).
  attributes.hold([
    { key: RetrainModel, value: input.model },
    { key: RetrainTrigger, value: triggers },
  ]);
  const notifications = announcer(input.model, pipelineId);
  const announce = notifications.announce;
  const approvals = approvalGate(pipelineId, () => facts.step);
  /** The fields every result carries, as far as the run got. */
  const known = () => ({ model: input.model, triggers, decision: facts.decision, dataFingerprint: facts.fingerprint });

  const finish = async (outcome: PipelineResult): Promise<PipelineResult> => {
    // Histories from before budgets replay without the marker and without the field.
    const result = facts.trainStartMs !== null && has('budget-training-time') ? { ...outcome, trainingMs: (facts.trainEndMs ?? Date.now()) - facts.trainStartMs } : outcome;
    attributes.upsert([{ key: RetrainOutcome, value: result.outcome }]);
    setCurrentDetails(`**${result.outcome}** — ${result.reason}`);
    notifications.announceOutcome(result);
    await notifications.settle();
    await recordTheRun(input, facts, result, changes);
    // A controller that continued-as-new (or replaced a terminated one) no longer awaits this run as
    // its child: tell it by workflow id. Histories from before this replay without the signal.
    const info = workflowInfo();
    if (info.parent?.workflowId === controllerWorkflowId(input.model) && has('pipeline-reports-to-controller')) {
      await reportToController(input.model, runFinished(info.workflowId, result));
    }
    return result;
  };

  try {
    // Between the fold and plan-run-local, planRun was an activity again: as a local activity, its result could land
    // in an earlier workflow task than the patch markers the code recorded after it, and a replay then took the
    // unpatched branch (a nondeterminism error that left a forced run stuck after a worker restart, seen on the
    // cluster). A folded run asks no patch after it, so it reads the config locally again; older histories replay
    // what they recorded.
    const plan = changes.folded
      ? await planRunHere({ model: input.model })
      : patched('plan-run-activity')
        ? await planRun({ model: input.model })
        : patched('plan-run-local')
          ? await planRunHere({ model: input.model })
          : await planRun({ model: input.model });
    notifications.setTargets(plan.notify);
    facts.configFile = plan.configFile;
    facts.dataLocation = plan.data.current;
    const act = steps(plan, pipelineId);
    const run: Run = { input, plan, act, pipelineId, triggers, facts, enter, changes, attributes };

    // Runs recorded before `search-attributes-at-waits` entered check first, before the forced-run patch was asked.
    if (!changes.lean) enter('check');
    let onData: { data?: SnapshotRef };
    let trained: Trained;
    // Not with data.dvc.refresh: the check brings the data up to date (a DVC pull or repro) and the snapshot must
    // copy what it brought, so the check comes first. Histories from before the forced run's check beside training
    // replay check, then snapshot, validate, train.
    const refreshes = (plan.data.dvc?.refresh ?? 'none') !== 'none';
    const forced = input.force && !refreshes && has('forced-check-beside-training');
    // A lean forced run enters validate at once (forcedRun): the check it is never in is not shown a moment before.
    if (changes.lean && !forced) enter('check');
    if (forced) {
      announce('trigger_fired', `retraining: ${forcedRetrainReason(triggers)}`, { details: { triggers } });
      ({ onData, trained } = await forcedRun(run));
    } else {
      const decision = await checkAndDecide(run);
      if (!decision.retrain) return await finish({ ...known(), outcome: 'skipped', reason: `skipped: ${decision.reason}` });
      setCurrentDetails(`retraining: ${decision.reason}`);
      announce('trigger_fired', `retraining: ${decision.reason}`, { details: { triggers } });
      enter('validate');
      onData = await snapshotAndValidate(run);
      trained = await trainInSlot(run, onData, decision.reason);
    }

    enter('evaluate');
    const { scores, verdict, byReference } = await evaluateCandidate(run, trained);
    const metrics = { candidate: scores.candidate, production: scores.production };
    const productionVersion = facts.check!.production?.version ?? null;

    enter('register');
    const registered = await registerCandidate(run, trained, byReference, scores.candidate, onData);
    const version = registered.version;
    const rejected = (reason: string, extra: { productionVersion?: number | null; approval?: ApprovalRecord } = {}) =>
      finish({ ...known(), outcome: 'rejected', version, productionVersion, metrics, reason, ...extra });
    if (!verdict.promote) return await rejected(verdict.reason);

    let approval: ApprovalRecord | null = null;
    if (plan.promotion.approval) {
      enter('approval');
      approval = await approvals.wait(
        plan.promotion.approval,
        { model: input.model, version, reason: verdict.reason, metrics: scores.candidate, production: scores.production },
        (text) => announce('approval_requested', text, { version }),
      );
      if (approval.decision === 'rejected') {
        return await rejected(`rejected by ${approval.approver}${approval.comment ? `: ${approval.comment}` : ''} (policy: ${verdict.reason})`, { approval });
      }
    }

    enter('promote');
    const moved = await act.promote({ plan, recordId: pipelineId, version, expected: productionVersion, reason: verdict.reason });
    if (!moved.moved) {
      return await rejected(`rejected: production moved to v${moved.actual} while this run evaluated against v${productionVersion ?? 'none'}; not overwritten`, { productionVersion: moved.actual });
    }
    const p: Promoted = { plan, act, pipelineId, version, productionVersion, candidate: scores.candidate, has };
    const promoted = (reason: string) => finish({ ...known(), outcome: 'promoted', version, previousVersion: productionVersion, metrics, reason, ...(approval ? { approval } : {}) });

    if (plan.promotion.deploy) {
      enter('deploy');
      await deployOrRestore(p);
    }

    const pushes = plan.train.dvc?.push && registered.lineage?.dvc && has('dvc-push');
    // A dvc push can take minutes: the step it runs in (promote) and the version go out before it.
    if (pushes) attributes.flush();
    const pushNote = pushes ? await pushModelOut(p) : '';

    if (plan.promotion.watch) {
      enter('watch');
      const watched = await watchWindow(p, plan.promotion.watch);
      if (watched.outcome === 'rolled_back') {
        return await finish({ ...known(), outcome: 'rolled_back', version, previousVersion: productionVersion, metrics, watched: watched.watched, reason: watched.reason });
      }
      if ('reason' in watched) return await promoted(watched.reason);
    }
    return await promoted(`${verdict.reason}${pushNote}`);
  } catch (err) {
    if (isCancellation(err)) {
      // A cancelled run ends here, not in finish: what it held (its version, the step it was in) goes out first.
      attributes.flush();
      throw err;
    }
    const error = failureOf(err);
    return await finish({ ...known(), outcome: 'failed', step: facts.step, error, reason: `failed at ${facts.step}: ${error.type}: ${error.message.split('\n')[0]}` });
  }
}
