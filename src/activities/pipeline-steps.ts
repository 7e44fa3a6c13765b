import { existsSync } from 'node:fs';
import { Context, log } from '@temporalio/activity';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { planModel, type ModelPlan } from '../config/plan.js';
import { FailureType, RetrainError } from '../errors.js';
import { cachedFingerprint, describe, fingerprint, type DataFingerprint } from '../data/fingerprint.js';
import type { DataEngine } from '../data/engine.js';
import { classesIn, compareSchemas, validateDataset, type ValidationReport } from '../data/validate.js';
import { detectDrift } from '../data/drift/detect.js';
import { sortedCacheFor } from '../data/drift/sorted-cache.js';
import { detectSegmentDrift, segmentEvidence } from '../data/drift/segments.js';
import { missingSegments } from '../data/drift/segment-coverage.js';
import { rowIdentifierColumns } from '../data/drift/id-columns.js';
import { estimatePerformance } from '../data/estimate/evidence.js';
import { assertOwnRegularFile, readScoreOutput } from '../data/estimate/score-output.js';
import { profile } from '../data/profile.js';
import { snapshotDataset } from '../data/snapshot.js';
import { pruneSnapshots, snapshotData, type DataSnapshot } from '../data/content-snapshot.js';
import { readJson, writeJsonAtomic } from '../registry/json-store.js';
import { dueEvery } from '../housekeeping.js';
import { CONTRACT, readLineageTags, readMetrics } from '../runner/contract.js';
import type { DvcPush, TrainLineage } from '../lineage/train-lineage.js';
import { pushModelOut, trainWithDvc } from './dvc-train.js';
import { afterQuiet, heartbeating, quietFor } from './heartbeat.js';
import { planWithRefreshedData, refreshStageData } from './dvc-refresh.js';
import type { ModelVersion, SetAliasResult } from '../registry/registry.js';
import { readPairedOutputs } from '../data/predictions.js';
import { mcnemar, pairedBootstrap, type PairedComparison } from '../stats/paired.js';
import { runStepCommand } from './command-step.js';
import { pruneScoreOutputs, SCORE_OUTPUT_DIR } from './score-retention.js';
import { codeVersion } from '../lineage/git.js';
import { dvcLineage } from '../lineage/dvc.js';
import { changedInputs, inputsDigest } from '../lineage/inputs.js';
import { planEvidence, type CostlyEvidence, type NotComputed } from '../policy/trigger-policy.js';
import { statCacheFor } from '../data/stat-cache.js';
import { registryOfPlan, runDir, type ActivityDeps } from './deps.js';
import type {
  CheckInput,
  CheckResult,
  EvaluateInput,
  EvaluateResult,
  PromoteInput,
  ProductionModel,
  QuickCheck,
  QuickCheckInput,
  RegisterCandidateInput,
  SnapshotRef,
  TrainInput,
  TrainResult,
  ValidateInput,
} from './types.js';

const stableJson = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort()) : x,
  );

const dataDir = (plan: ModelPlan) => path.join(plan.stateDir, 'registry', plan.name, 'data');
const snapshotFile = (plan: ModelPlan, sha256: string) => path.join(dataDir(plan), `${sha256}.parquet`);
/** Raw, content-addressed copies of each retrain's data: `<stateDir>/snapshots/<model>/<sha256>/…`. */
const snapshotsDir = (plan: ModelPlan) => path.join(plan.stateDir, 'snapshots', plan.name);
/** Unreferenced snapshots (runs that failed before register) are kept this long, then removed. */
const UNREFERENCED_SNAPSHOT_MS = 7 * 24 * 3600_000;
const pruneDue = dueEvery(3600_000);
const COSTLY: CostlyEvidence[] = ['drift', 'prediction_drift', 'score', 'estimate', 'segments'];

/** drift.segments; absent in plans made before segments existed (a run in flight across the upgrade). */
const segmentsOf = (plan: ModelPlan) => (plan.drift.segments as ModelPlan['drift']['segments'] | undefined) ?? [];

/**
 * The classes a classBalance rule expects: the target's `allowed` values, plus the labels in the production model's
 * training data (its registry copy, when this host has it). Only asked when the rule is configured.
 */
async function expectedClasses(engine: DataEngine, plan: ModelPlan, productionSha: string | undefined): Promise<string[]> {
  if (!plan.validation.classBalance) return [];
  const allowed = (plan.validation.columns[plan.data.target]?.allowed ?? []).map(String);
  const trained = productionSha ? snapshotFile(plan, productionSha) : undefined;
  const seen = trained && existsSync(trained) ? await classesIn(engine, trained, 'parquet', plan.data.target).catch(() => []) : [];
  return [...new Set([...allowed, ...seen])];
}

/** The activity's context, or undefined when called outside one (tests, the CLI). */
function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** Heartbeats while a long copy runs (from its first second on, see quietFor), when inside an activity. */
function progress(): ((bytes: number) => void) | undefined {
  const ctx = activityContext();
  return ctx ? afterQuiet((bytes) => ctx.heartbeat({ step: 'snapshot', bytes }), quietFor(ctx.info.heartbeatTimeoutMs)) : undefined;
}

/**
 * Where an attempt of the validate step notes the snapshot it took: a retry on this host validates that snapshot even
 * when the attempt died before it sent a heartbeat naming it (one that took the snapshot within a second sends none),
 * so a source removed or rotated after it was read does not fail the retry. A local write, not a server one.
 */
const snapshotNote = (plan: ModelPlan, pipelineId: string) => path.join(runDir(plan.stateDir, plan.name, pipelineId), 'validate-snapshot.json');

/** Above this, a train result leaves its inputs digest out and register hashes them itself: histories stay small. */
const INPUTS_INLINE_BYTES = 64 * 1024;

/** The six pipeline steps (plus config planning); each is one activity. */
export function createPipelineSteps(deps: ActivityDeps) {
  const registryFor = (plan: ModelPlan) => registryOfPlan(deps, plan);
  const cacheFor = (plan: ModelPlan) => (deps.statCache ?? statCacheFor)(plan.stateDir);
  /** The reference kept sorted between exact checks (drift.sortedReferenceMiB of disk; 0: none). */
  const referenceCache = (plan: ModelPlan) => (plan.drift.sortedReferenceMiB > 0 ? { referenceCache: sortedCacheFor(plan.stateDir, plan.drift.sortedReferenceMiB * 2 ** 20) } : {});

  async function productionModel(plan: ModelPlan): Promise<ProductionModel | null> {
    const registry = registryFor(plan);
    const version = await registry.getAlias(plan.name, plan.registry.alias);
    if (version === null) return null;
    const v = await registry.getVersion(plan.name, version);
    if (!v) throw new RetrainError(FailureType.Registry, `alias ${plan.registry.alias} points at missing version ${version}`);
    return {
      version: v.version,
      metrics: v.metrics,
      dataSha256: v.dataFingerprint.sha256,
      artifactUri: await registry.localArtifact(v),
      createdAt: v.createdAt,
      trainDataRows: v.dataFingerprint.rows,
      params: v.params,
    };
  }

  /** Whether the inputs that decide the result (params.yaml, dvc.lock deps, train.inputs) differ from production's. */
  async function inputsCheck(plan: ModelPlan, productionVersion: number | null): Promise<{ inputsUnchanged?: boolean; inputsChanged?: string[] }> {
    const now = await inputsDigest(plan);
    const before = productionVersion === null ? undefined : (await registryFor(plan).getVersion(plan.name, productionVersion))?.inputs;
    // Neither side has inputs: the field stays absent, so results look as they did before inputs were hashed.
    if (!now && !before) return {};
    // Production recorded none (registered before inputs were hashed, or before the model had any):
    // unknown counts as unchanged; the next version records them.
    if (!before) return { inputsUnchanged: true };
    // An MLflow version whose inputs map did not fit a tag has only the sha256: changed, but unnamed.
    const changed = Object.keys(before.files).length ? changedInputs(before, now)! : before.sha256 === now?.sha256 ? [] : ['(unnamed inputs)'];
    return { inputsUnchanged: changed.length === 0, ...(changed.length ? { inputsChanged: changed.slice(0, 20) } : {}) };
  }

  /**
   * The run's snapshot as this host sees it. A training host that shares no disk with the one that
   * took the snapshot takes its own copy of the configured data, and trains only when it holds
   * the very bytes the run decided on (same sha256); otherwise it fails and says why.
   */
  async function snapshotHere(configured: ModelPlan, snap: SnapshotRef, pipelineId: string): Promise<string> {
    if (existsSync(snap.location.replace(/[*?[{].*$/, ''))) return snap.location;
    const plan = planWithRefreshedData(configured);
    const engine = await deps.engine();
    const local = await snapshotData(engine, { source: plan.data.current, format: plan.data.format, root: snapshotsDir(plan), owner: pipelineId, dataRoots: plan.dataRoots });
    if (local.fingerprint.sha256 !== snap.sha256) {
      throw new RetrainError(
        FailureType.DataSource,
        `${plan.data.current} on this host has sha256 ${local.fingerprint.sha256.slice(0, 16)}…, not the ${snap.sha256.slice(0, 16)}… the run decided on: a training host without the shared stateDir must see the same data at the same path`,
        { file: plan.data.current },
      );
    }
    return local.location;
  }

  /** Runs the evaluation command for one model over the evaluation data; returns its metrics. */
  async function scoreModel(plan: ModelPlan, pipelineId: string, who: string, modelDir: string) {
    const dir = runDir(plan.stateDir, plan.name, pipelineId);
    const outputDir = path.join(dir, `evaluate-${who}`);
    await rm(outputDir, { recursive: true, force: true });
    await mkdir(outputDir, { recursive: true });
    const vars = { model: plan.name, data: plan.data.evaluation, target: plan.data.target, model_dir: modelDir, output: outputDir, run_id: pipelineId };
    await runStepCommand(FailureType.EvaluationCommand, plan.evaluate, vars, dir, `evaluate-${who}`);
    return readMetrics(outputDir, `evaluation command (${who})`);
  }

  /**
   * The evaluation command's score-only mode (RETRAIN_MODE=score): production's probability and predicted class for
   * each row of the unlabelled data, in `predictions.csv` without a label, checked against the data's row count.
   */
  async function scoreUnlabelled(plan: ModelPlan, pipelineId: string, modelDir: string, data: string, scored: DataFingerprint) {
    const dir = runDir(plan.stateDir, plan.name, pipelineId);
    const outputDir = path.join(dir, SCORE_OUTPUT_DIR);
    await rm(outputDir, { recursive: true, force: true });
    // Every check writes one (a line per unlabelled row): older runs' outputs are bounded per model.
    await pruneScoreOutputs(path.dirname(dir), outputDir).catch((err: Error) => log.warn('old score-only outputs not pruned', { model: plan.name, error: err.message }));
    await mkdir(outputDir, { recursive: true });
    // RETRAIN_TARGET names the label column so a scorer can drop it when present; score mode never reads it.
    const vars = { model: plan.name, mode: 'score', data, target: plan.data.target, model_dir: modelDir, output: outputDir, run_id: pipelineId };
    await runStepCommand(FailureType.EvaluationCommand, plan.evaluate, vars, dir, 'score-current');
    // Data that changed while it was scored would make a correct output look short or long: not the command's fault,
    // and not evidence; retryable, so the next attempt scores one state of the data.
    const engine = await deps.engine();
    const after = await fingerprint(engine, data, plan.data.format, plan.dataRoots, { cache: cacheFor(plan) });
    if (after.sha256 !== scored.sha256) {
      throw new Error(`${data} changed while the evaluation command scored it (${scored.rows} rows, sha256 ${scored.sha256.slice(0, 12)}…, then ${after.rows} rows, ${after.sha256.slice(0, 12)}…); the check will run again`);
    }
    const file = path.join(outputDir, CONTRACT.predictionsFile);
    const columns = await readScoreOutput(engine, file, scored.rows, data);
    return { location: file, format: 'csv' as const, columns };
  }

  /**
   * The evidence every check reads (fingerprint given, production, params, inputs), and which costly
   * evidence (drift, scores, estimates) the decision needs: `want`, and `notComputed` for the rest.
   * `plan` reads the data (a refreshed DVC copy), `userPlan` the user's files.
   */
  async function cheapEvidence(plan: ModelPlan, userPlan: ModelPlan, fp: DataFingerprint, decision: CheckInput['decision']) {
    const production = await productionModel(plan);
    const paramsUnchanged = production !== null && stableJson(production.params) === stableJson(userPlan.train.params);
    const newRows = production ? Math.max(0, fp.rows - production.trainDataRows) : fp.rows;
    // The inputs (params.yaml, dvc.lock deps, train.inputs) are the user's files, not the refreshed data copy.
    const files = await inputsCheck(userPlan, production?.version ?? null);
    // Changed params retrain whether or not the data changed, as a changed input file does: the policy's params rule
    // fires on unchanged data only, so with new data they are reported as a changed input. Said here, in the check's
    // result, so that histories recorded before decide on replay as they did.
    const inputs = production !== null && !paramsUnchanged ? { inputsUnchanged: false, inputsChanged: ['train.params', ...(files.inputsChanged ?? [])].slice(0, 20) } : files;
    const cheap: CheckResult = { fingerprint: fp, production, dataUnchanged: production?.dataSha256 === fp.sha256, paramsUnchanged, drift: null, predictionDrift: null, performance: null, newRows, ...inputs };

    // The cheap evidence first; drift and scoring only when a configured rule needs them and the decision is open.
    const reference = plan.data.reference ?? (production ? snapshotFile(plan, production.dataSha256) : undefined);
    const haveReference = reference !== undefined && existsSync(reference.replace(/[*?[{].*$/, ''));
    const predictionColumn = plan.drift.predictionColumn;
    const t = plan.trigger;
    const baseline = production?.metrics[plan.promotion.metric];
    const readers: Record<CostlyEvidence, boolean> = {
      drift: t.dataDrift || t.driftColumns.length > 0,
      prediction_drift: Boolean(t.predictionDrift && predictionColumn),
      score: t.performanceFloor !== undefined || (t.maxRelativeDrop !== undefined && baseline !== undefined && baseline !== 0),
      estimate: Boolean(t.estimatedDrop && plan.estimate),
      segments: Boolean(t.segmentDrift && segmentsOf(plan).length),
    };
    const available: Record<CostlyEvidence, boolean> = { drift: haveReference, prediction_drift: haveReference && Boolean(predictionColumn), score: production !== null, estimate: production !== null, segments: haveReference };
    const usable = COSTLY.filter((w) => readers[w] && available[w]);
    const wanted = decision ? planEvidence(plan.trigger, cheap, decision.context, decision.memory, usable) : { all: true, need: [] };
    // `all` is what every check computed before: drift whenever there is a reference, a score whenever a performance rule is set.
    const wantsPerformance = t.performanceFloor !== undefined || t.maxRelativeDrop !== undefined;
    // Estimates and segment drift are computed only for their rule, even in a full record: they cost the most.
    const allOf = (w: CostlyEvidence) => (w === 'score' ? wantsPerformance : w === 'estimate' || w === 'segments' ? readers[w] : true);
    const want = (w: CostlyEvidence) => available[w] && ((wanted.all && allOf(w)) || wanted.need.includes(w));
    const notComputed: NotComputed[] = [];
    for (const w of COSTLY) {
      if (want(w)) continue;
      if (!available[w]) {
        if (readers[w] && w !== 'score' && w !== 'estimate') notComputed.push({ what: w, why: 'no reference data (set data.reference, or production\'s training snapshot is missing)', kind: 'unavailable' });
      } else if (!readers[w]) {
        if (w === 'estimate' || w === 'segments') continue;
        if (w !== 'score') notComputed.push({ what: w, why: 'no trigger rule uses it', kind: 'unused' });
        else if (wantsPerformance) notComputed.push({ what: w, why: `production recorded no non-zero ${plan.promotion.metric} to measure a relative drop from`, kind: 'unused' });
      } else {
        notComputed.push({ what: w, why: wanted.decidedBy ?? 'not needed for the decision', kind: 'decided' });
      }
    }
    return { cheap, reference, want, notComputed, predictionColumn, t, production };
  }

  /** The snapshot step's work (snapshotData, snapshotAndValidate). */
  async function takeSnapshot(configured: ModelPlan, pipelineId: string): Promise<DataSnapshot> {
    const plan = planWithRefreshedData(configured);
    const engine = await deps.engine();
    const onProgress = progress();
    const cache = cacheFor(plan);
    const snap = await snapshotData(engine, { source: plan.data.current, format: plan.data.format, root: snapshotsDir(plan), owner: pipelineId, dataRoots: plan.dataRoots, ...(onProgress ? { onProgress } : {}), ...(cache ? { cache } : {}) });
    // Housekeeping only: when the registry cannot say what is referenced, nothing is deleted. A model's snapshots are
    // pruned at most hourly by this process (they go after a week unreferenced); not on every run, which would read
    // the registry and stat every snapshot folder each time.
    if (!pruneDue(snapshotsDir(plan))) return snap;
    try {
      const referenced = new Set((await registryFor(plan).listVersions(plan.name)).map((v) => v.dataFingerprint.sha256));
      referenced.add(snap.fingerprint.sha256);
      await pruneSnapshots(snapshotsDir(plan), referenced, UNREFERENCED_SNAPSHOT_MS);
    } catch (err) {
      log.warn('old data snapshots not pruned', { model: plan.name, error: (err as Error).message });
    }
    return snap;
  }

  /**
   * The validate step's work on the snapshot (or, for histories from before snapshots, the source). `snapshot`: the
   * one this attempt took, whose schema and row count were read as it was taken.
   */
  async function validateOn(input: ValidateInput, snapshot?: DataSnapshot): Promise<ValidationReport> {
    const engine = await deps.engine();
    const location = input.data?.location ?? input.plan.data.current;
    const production = await productionModel(input.plan).catch(() => null);
    const current = snapshot?.fingerprint.schema ?? (await describe(engine, location, input.plan.data.format));
    const known = { schema: current, ...(snapshot ? { rows: snapshot.fingerprint.rows } : {}) };
    const report = await validateDataset(engine, location, input.plan, new Date(), await expectedClasses(engine, input.plan, production?.dataSha256), known);
    // Schema drift against what production was trained on: caught here, before it trains a broken model.
    const trained = production ? (await registryFor(input.plan).getVersion(input.plan.name, production.version))?.dataFingerprint.schema : undefined;
    if (trained?.length) {
      report.violations.push(...compareSchemas(current, trained, input.plan.validation.newColumns ?? 'warn'));
      report.passed = !report.violations.some((v) => v.severity === 'error');
    }
    // drift.segments: a segment of the reference (data.reference, else production's training data) that is
    // missing from today's data, e.g. a region that stopped sending data.
    const segmentRef = input.plan.data.reference ?? (production ? snapshotFile(input.plan, production.dataSha256) : undefined);
    if (segmentsOf(input.plan).length && segmentRef && existsSync(segmentRef.replace(/[*?[{].*$/, ''))) {
      const refSide = { location: segmentRef, format: input.plan.data.reference ? input.plan.data.format : 'parquet' } as const;
      report.violations.push(...(await missingSegments(engine, refSide, { location, format: input.plan.data.format }, segmentsOf(input.plan))));
      report.passed = !report.violations.some((v) => v.severity === 'error');
    }
    const errors = report.violations.filter((v) => v.severity === 'error');
    if (errors.length > 0) {
      const lines = errors.map((v) => `  ${v.column ?? '(dataset)'}: ${v.rule}: expected ${v.expected}, observed ${v.observed}`);
      throw new RetrainError(
        FailureType.DataValidation,
        `${input.plan.data.current}${input.data ? ` (snapshot ${input.data.sha256.slice(0, 12)})` : ''}: ${errors.length} validation error(s)\n${lines.join('\n')}`,
        { report },
      );
    }
    return report;
  }

  return {
    async planRun(input: { model: string }): Promise<ModelPlan> {
      return planModel(deps.config(), input.model);
    },

    checkData(input: CheckInput): Promise<CheckResult> {
      // Beats every 5 s: hashing changed data, drift on large data and scoring production can each outlast
      // check's heartbeat timeout, which is how soon a worker that died in the check is noticed.
      return heartbeating('check', async () => {
        // data.dvc.refresh: a stage-produced data path is brought up to date first (isolated worktree).
        const plan = await refreshStageData(input.plan, runDir(input.plan.stateDir, input.plan.name, input.pipelineId));
        const engine = await deps.engine();
        const fp = await fingerprint(engine, plan.data.current, plan.data.format, plan.dataRoots, { cache: cacheFor(plan) });
        // No evidence can be read from no data: an empty drop must fail loudly, never pass as "no drift".
        if (fp.rows === 0) {
          throw new RetrainError(FailureType.DataSource, `${plan.data.current}: no data rows (an empty file or only a header; columns: ${fp.schema.map((c) => c.name).join(', ') || 'none'})`, { file: plan.data.current });
        }
        const { cheap, reference, want, notComputed, predictionColumn, t, production } = await cheapEvidence(plan, input.plan, fp, input.decision);

        let drift: CheckResult['drift'] = null;
        let predictionDrift: CheckResult['predictionDrift'] = null;
        let segmentDrift: CheckResult['segmentDrift'];
        if (reference && (want('drift') || want('prediction_drift') || want('segments'))) {
          const refSide = { location: reference, format: plan.data.reference ? plan.data.format : 'parquet' } as const;
          const curSide = { location: plan.data.current, format: plan.data.format };
          const checkDir = path.join(runDir(plan.stateDir, plan.name, input.pipelineId), 'check');
          await mkdir(checkDir, { recursive: true });
          const skip = want('drift') || want('segments') ? (plan.drift.testIdColumns ? {} : await rowIdentifierColumns(engine, refSide, plan.validation.uniqueKey)) : {};
          const exclude = [plan.data.target, ...(predictionColumn ? [predictionColumn] : []), ...plan.drift.exclude];
          if (want('segments')) {
            // The dataset-level tests per segment value (drift.segments), in a bounded number of DuckDB passes.
            const report = await detectSegmentDrift(engine, refSide, curSide, segmentsOf(plan), { ...plan.drift, exclude, skip });
            const reportFile = path.join(checkDir, 'segments.json');
            await writeFile(reportFile, JSON.stringify(report, null, 2));
            segmentDrift = { ...segmentEvidence(report, t.segmentDrift), reportFile };
          }
          if (want('drift')) {
            const report = await detectDrift(engine, refSide, curSide, { ...plan.drift, exclude, skip, ...referenceCache(plan) });
            const reportFile = path.join(checkDir, 'drift.json');
            await writeFile(reportFile, JSON.stringify(report, null, 2));
            drift = {
              datasetDrift: report.datasetDrift,
              driftedShare: report.driftedShare,
              datasetShareThreshold: report.datasetShareThreshold,
              driftedColumns: report.columns.filter((c) => c.drifted).map((c) => c.column),
              reportFile,
            };
          }
          if (predictionColumn && want('prediction_drift')) {
            const p = await detectDrift(engine, refSide, curSide, { ...plan.drift, columns: [predictionColumn], datasetShare: 1 });
            const col = p.columns[0];
            if (col) {
              await writeFile(path.join(checkDir, 'prediction-drift.json'), JSON.stringify(p, null, 2));
              predictionDrift = { column: predictionColumn, drifted: col.drifted, test: col.test, statistic: col.pValue ?? col.statistic, threshold: col.threshold };
            }
          }
        }
        // Performance evidence: production scored on today's evaluation data vs the value it was promoted with.
        let performance: CheckResult['performance'] = null;
        let scored: Record<string, number> | undefined;
        if (production && want('score')) {
          const metrics = (scored = await scoreModel(plan, input.pipelineId, 'check-production', production.artifactUri));
          const metric = plan.promotion.metric;
          const current = metrics[metric];
          if (current === undefined) {
            throw new RetrainError(FailureType.Contract, `evaluation command reported no "${metric}" (models.${plan.name}.promotion.metric) for production v${production.version}`);
          }
          performance = { metric, direction: plan.promotion.direction, current, baseline: production.metrics[metric] ?? null };
        }
        // Performance without labels: production's predictions on its labelled evaluation data calibrate the estimate of
        // its performance on today's unlabelled data (estimate.data, default data.current), whose probabilities are its
        // own columns or, with estimate.from: score, production's output in the evaluation command's score mode.
        let estimate: CheckResult['estimate'];
        if (production && want('estimate') && t.estimatedDrop && plan.estimate) {
          const unlabelled = plan.estimate.data
            ? await fingerprint(engine, plan.estimate.data, plan.data.format, plan.dataRoots, { cache: cacheFor(plan) })
            : fp;
          const currentSide =
            plan.estimate.from === 'score'
              ? await scoreUnlabelled(plan, input.pipelineId, production.artifactUri, plan.estimate.data ?? plan.data.current, unlabelled)
              : { location: plan.estimate.data ?? plan.data.current, format: plan.data.format, columns: { proba: plan.estimate.proba!, ...(plan.estimate.pred ? { pred: plan.estimate.pred } : {}) } };
          if (!scored) await scoreModel(plan, input.pipelineId, 'check-production', production.artifactUri);
          const predictions = path.join(runDir(plan.stateDir, plan.name, input.pipelineId), 'evaluate-check-production', CONTRACT.predictionsFile);
          // Checked before DuckDB opens it, as the score-only output: a FIFO there would block the worker's engine.
          assertOwnRegularFile(predictions, `missing; trigger.estimatedDrop needs the evaluation command to write ${CONTRACT.predictionsFile} (row, label, score[, prediction])`);
          const refColumns = new Set((await describe(engine, predictions, 'csv')).map((c) => c.name));
          estimate = await estimatePerformance(engine, { location: predictions, format: 'csv' }, { location: currentSide.location, format: currentSide.format }, {
            target: 'label',
            reference: { proba: 'score', ...(refColumns.has('prediction') ? { pred: 'prediction' } : {}) },
            current: currentSide.columns,
            threshold: plan.estimate.threshold,
            metric: t.estimatedDrop.metric,
          });
        }
        return { ...cheap, drift, predictionDrift, performance, ...(estimate ? { estimate } : {}), ...(segmentDrift ? { segmentDrift } : {}), ...(notComputed.length ? { notComputed } : {}) };
      });
    },

    /**
     * The controller's check before it starts a pipeline, for a batch nobody waits on (schedule
     * ticks): the same cheap evidence checkData reads, but nothing that costs more. A fingerprint
     * the stat cache does not vouch for, a DVC stage to refresh, or a decision that needs drift,
     * scores or estimates is left to a pipeline run (`decided: false`), which computes them.
     */
    async quickCheck(input: QuickCheckInput): Promise<QuickCheck> {
      const plan = planModel(deps.config(), input.model);
      if ((plan.data.dvc?.refresh ?? 'none') !== 'none') return { decided: false, why: 'data.dvc.refresh: the pipeline brings the data up to date first' };
      const cache = cacheFor(plan);
      const fp = cache ? await cachedFingerprint(await deps.engine(), plan.data.current, plan.data.format, plan.dataRoots, cache) : null;
      if (!fp) return { decided: false, why: 'the data is new or changed since it was last hashed' };
      if (fp.rows === 0) return { decided: false, why: 'no data rows (the pipeline fails the check loudly)' };
      const context = { reasons: input.reasons, force: false, explicit: plan.trigger.explicitReasons, nowMs: input.nowMs };
      const { cheap, want, notComputed } = await cheapEvidence(plan, plan, fp, { context, memory: input.memory });
      const needed = COSTLY.filter(want);
      if (needed.length) return { decided: false, why: `the decision needs ${needed.join(', ')}` };
      return { decided: true, check: { ...cheap, ...(notComputed.length ? { notComputed } : {}) }, context, policy: plan.trigger, configFile: plan.configFile, dataLocation: plan.data.current };
    },

    /**
     * Once a retrain is decided: one immutable copy of the data, hashed from the bytes copied.
     * Validate, train, lineage and the version's fingerprint all use it, never the mutable source.
     */
    snapshotData: (input: { plan: ModelPlan; pipelineId: string }): Promise<DataSnapshot> => takeSnapshot(input.plan, input.pipelineId),

    validateData: (input: ValidateInput): Promise<ValidationReport> => validateOn(input),

    /**
     * The validate step in one activity: the snapshot, then its validation. A retry reuses the snapshot
     * an earlier attempt took (its heartbeat details or, on this host, its note name it) while its folder is still
     * there, so a retried validation does not copy the data again.
     */
    async snapshotAndValidate(input: { plan: ModelPlan; pipelineId: string }): Promise<{ snapshot: DataSnapshot; report: ValidationReport }> {
      const ctx = activityContext();
      const note = snapshotNote(input.plan, input.pipelineId);
      // An earlier attempt's snapshot: named in its heartbeats, or in the note it left on this host.
      const noted = ctx && ctx.info.attempt > 1 ? await readJson<{ snapshot?: DataSnapshot }>(note, {}).catch(() => ({ snapshot: undefined })) : {};
      const earlier = (ctx?.info.heartbeatDetails as { snapshot?: DataSnapshot } | undefined)?.snapshot ?? noted.snapshot;
      const reused = earlier && existsSync(earlier.location.replace(/[*?[{].*$/, '')) ? earlier : undefined;
      const beat = afterQuiet((details: { step: string; snapshot: DataSnapshot }) => ctx?.heartbeat(details), quietFor(ctx?.info.heartbeatTimeoutMs));
      const snapshot = reused ?? (await takeSnapshot(input.plan, input.pipelineId));
      if (!reused && ctx) {
        await mkdir(path.dirname(note), { recursive: true });
        await writeJsonAtomic(note, { snapshot });
      }
      // Sent to the server once the copy took a second or more (see QUIET_MS); a long validation names it in its beats
      // below either way.
      beat({ step: 'validate', snapshot });
      // Beats while the rules run, so validate's heartbeat timeout notices a dead worker long before its start-to-close one.
      // The schema and row count recorded as the snapshot was taken stand in for reading them again, but only when this
      // attempt took it: an earlier attempt's may come from another worker, with another DuckDB (a rolling upgrade).
      const data = { location: snapshot.location, sha256: snapshot.fingerprint.sha256 };
      const report = await heartbeating('validate', () => validateOn({ plan: input.plan, data }, reused ? undefined : snapshot), { snapshot });
      return { snapshot, report };
    },

    async trainCandidate(input: TrainInput): Promise<TrainResult> {
      const dir = runDir(input.plan.stateDir, input.plan.name, input.pipelineId);
      const data = input.data ? await snapshotHere(input.plan, input.data, input.pipelineId) : input.plan.data.current;
      const outputDir = path.join(dir, 'train');
      await rm(outputDir, { recursive: true, force: true });
      await mkdir(path.join(outputDir, CONTRACT.modelDir), { recursive: true });
      const vars = {
        model: input.plan.name,
        data,
        target: input.plan.data.target,
        output: outputDir,
        model_dir: path.join(outputDir, CONTRACT.modelDir),
        params: JSON.stringify(input.plan.train.params),
        run_id: input.pipelineId,
      };
      // Hashed before the command runs: a file edited while it trains must not be recorded as what it trained with.
      const inputs = await inputsDigest(input.plan);
      const { command, ...spec } = input.plan.train;
      // train.dvc: `dvc repro <stage>` in an isolated worktree; it leaves the same files a command does.
      const trained = command
        ? { result: await runStepCommand(FailureType.TrainingCommand, { ...spec, command }, vars, dir, 'train'), dvc: undefined }
        : await trainWithDvc(input.plan, vars, dir, outputDir);
      const trainMetrics = await readMetrics(outputDir, 'training command');
      const tags = await readLineageTags(outputDir, 'training command');
      const lineage: TrainLineage | undefined = tags || trained.dvc ? { ...(tags ? { tags } : {}), ...(trained.dvc ? { dvc: trained.dvc } : {}) } : undefined;
      // The training host uploads what it made: evaluation and registration may run on other hosts.
      const artifact = await registryFor(input.plan).stageArtifact(input.plan.name, input.pipelineId, vars.model_dir);
      const inline = inputs && JSON.stringify(inputs).length <= INPUTS_INLINE_BYTES ? { inputs } : {};
      return { outputDir, artifactDir: vars.model_dir, artifact, trainMetrics, durationMs: trained.result.durationMs, ...(lineage ? { lineage } : {}), ...inline };
    },

    async evaluateModels(input: EvaluateInput): Promise<EvaluateResult> {
      const { plan } = input;
      const engine = await deps.engine();
      const evalFp = await fingerprint(engine, plan.data.evaluation, plan.data.format, plan.dataRoots, { cache: cacheFor(plan) });
      const registry = registryFor(plan);
      // References are fetched by this host; the old local-path inputs stay readable for runs started before them.
      const candidateDir = input.candidate ? await registry.fetchArtifact(plan.name, input.candidate) : input.candidateDir;
      if (!candidateDir) throw new RetrainError(FailureType.Registry, `evaluate ${plan.name}: no candidate artifact`);
      let productionDir = input.productionDir ?? null;
      if (input.productionVersion !== undefined && input.productionVersion !== null) {
        const v = await registry.getVersion(plan.name, input.productionVersion);
        if (!v) throw new RetrainError(FailureType.Registry, `model ${plan.name} has no version ${input.productionVersion}`);
        productionDir = await registry.localArtifact(v);
      }
      const candidate = await scoreModel(plan, input.pipelineId, 'candidate', candidateDir);
      const production = productionDir ? await scoreModel(plan, input.pipelineId, 'production', productionDir) : null;
      let comparison: PairedComparison | null = null;
      const sig = plan.promotion.significance;
      if (sig && production) {
        const dir = runDir(plan.stateDir, plan.name, input.pipelineId);
        const pairs = await readPairedOutputs(engine, path.join(dir, 'evaluate-candidate'), path.join(dir, 'evaluate-production'));
        try {
          comparison = sig.test === 'mcnemar'
            ? mcnemar(pairs, 'accuracy', sig.level)
            : pairedBootstrap(pairs, plan.promotion.metric, plan.promotion.direction, sig);
        } catch (err) {
          throw new RetrainError(FailureType.Config, `${plan.configFile}: models.${plan.name}.promotion.significance: ${(err as Error).message}`);
        }
      }
      return { candidate, production, evaluationSha256: evalFp.sha256, comparison };
    },

    /** Scores one registered version on today's evaluation data (the post-promotion watch). */
    async scoreVersion(input: { plan: ModelPlan; pipelineId: string; version: number; label: string }): Promise<Record<string, number>> {
      const registry = registryFor(input.plan);
      const v = await registry.getVersion(input.plan.name, input.version);
      if (!v) throw new RetrainError(FailureType.Registry, `model ${input.plan.name} has no version ${input.version}`);
      return scoreModel(input.plan, input.pipelineId, input.label, await registry.localArtifact(v));
    },

    /** The optional deploy hook, run after the alias moved; a failure makes the pipeline move it back. */
    async deployVersion(input: { plan: ModelPlan; recordId: string; version: number }): Promise<{ durationMs: number }> {
      const { plan } = input;
      const hook = plan.promotion.deploy;
      if (!hook) return { durationMs: 0 };
      const registry = registryFor(plan);
      const v = await registry.getVersion(plan.name, input.version);
      if (!v) throw new RetrainError(FailureType.Registry, `model ${plan.name} has no version ${input.version}`);
      const dir = runDir(plan.stateDir, plan.name, input.recordId);
      const vars = { model: plan.name, version: String(v.version), model_dir: await registry.localArtifact(v), run_id: input.recordId, alias: plan.registry.alias };
      const result = await runStepCommand(FailureType.DeployHook, hook, vars, dir, `deploy-v${v.version}`);
      return { durationMs: result.durationMs };
    },

    async registerCandidate(input: RegisterCandidateInput): Promise<ModelVersion> {
      // Lineage: the exact training data (Parquet) and its profile, kept by content hash.
      const engine = await deps.engine();
      // With a snapshot, these read the immutable copy, so the Parquet rows are the rows trained on.
      if (input.data && input.data.sha256 !== input.fingerprint.sha256) {
        throw new RetrainError(FailureType.Registry, `register ${input.plan.name}: fingerprint ${input.fingerprint.sha256} is not the snapshot's ${input.data.sha256}`);
      }
      const sha = input.fingerprint.sha256;
      const location = input.data?.location ?? input.plan.data.current;
      const parquet = await snapshotDataset(engine, location, input.plan.data.format, dataDir(input.plan), sha, input.pipelineId);
      // DVC lineage: the entry and commit now, and whether its md5 is that of the very bytes trained on
      // (the snapshot), so a `.dvc` file changed during the run shows as `matches: false`, not as a lie.
      const trainedFile = input.fingerprint.files === 1 && !/[*?[{]/.test(location) ? location : undefined;
      const dvc = await dvcLineage(input.plan.data.current, trainedFile);
      // As training hashed them, before its command ran; results from before (or a list too long to pass) hash them now.
      const inputs = input.inputs ?? (await inputsDigest(input.plan));
      const profileFile = path.join(dataDir(input.plan), `${sha}.profile.json`);
      // Profiled from the Parquet copy of the same rows: typed columns, no second parse of the text (a fifth less CPU).
      if (!existsSync(profileFile)) await writeJsonAtomic(profileFile, await profile(engine, parquet, 'parquet'));
      return registryFor(input.plan).register({
        model: input.plan.name,
        recordId: input.pipelineId,
        workflowId: input.workflowId,
        ...(input.artifact ? { artifact: input.artifact } : { artifactDir: input.artifactDir! }),
        dataFingerprint: input.fingerprint,
        params: input.plan.train.params,
        metrics: input.metrics,
        triggers: input.triggers,
        codeVersion: (await codeVersion([path.dirname(input.plan.configFile), input.plan.train.workdir, input.plan.evaluate.workdir])).label ?? undefined,
        ...(dvc ? { dvc } : {}),
        ...(inputs ? { inputsSha256: inputs.sha256, inputs } : {}),
        ...(input.lineage ? { lineage: input.lineage } : {}),
      });
    },

    /** train.dvc.push: `dvc push` of a promoted version's model out, recorded in its lineage. */
    async pushDvcModel(input: { plan: ModelPlan; pipelineId: string; version: number }): Promise<DvcPush> {
      const registry = registryFor(input.plan);
      const v = await registry.getVersion(input.plan.name, input.version);
      const trained = v?.lineage?.dvc;
      if (!trained) throw new RetrainError(FailureType.Registry, `model ${input.plan.name} v${input.version} has no train.dvc lineage to push`);
      // A retry after the push landed but before it was recorded pushes again: dvc push is idempotent.
      const dir = runDir(input.plan.stateDir, input.plan.name, v.recordId);
      const pushed = await pushModelOut(input.plan, trained, path.join(dir, 'train', 'dvc.lock'), runDir(input.plan.stateDir, input.plan.name, input.pipelineId));
      await registry.recordDvcPush(input.plan.name, input.version, pushed);
      return pushed;
    },

    async promoteVersion(input: PromoteInput): Promise<SetAliasResult> {
      return registryFor(input.plan).setAlias({
        model: input.plan.name,
        alias: input.plan.registry?.alias ?? 'production',
        version: input.version,
        expected: input.expected,
        actor: input.actor ?? 'pipeline',
        reason: input.reason,
        recordId: input.recordId,
      });
    },
  };
}
