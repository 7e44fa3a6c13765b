import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { planModel, type ModelPlan } from '../config/plan.js';
import { FailureType, RetrainError } from '../errors.js';
import { describe, fingerprint } from '../data/fingerprint.js';
import { compareSchemas, validateDataset, type ValidationReport } from '../data/validate.js';
import { detectDrift } from '../data/drift/detect.js';
import { profile } from '../data/profile.js';
import { snapshotDataset } from '../data/snapshot.js';
import { CONTRACT, readMetrics } from '../runner/contract.js';
import type { ModelVersion, SetAliasResult } from '../registry/registry.js';
import { readPairedOutputs } from '../data/predictions.js';
import { mcnemar, pairedBootstrap, type PairedComparison } from '../stats/paired.js';
import { runStepCommand } from './command-step.js';
import { runDir, type ActivityDeps } from './deps.js';
import type {
  CheckInput,
  CheckResult,
  EvaluateInput,
  EvaluateResult,
  PromoteInput,
  ProductionModel,
  RegisterCandidateInput,
  TrainInput,
  TrainResult,
} from './types.js';

const stableJson = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort()) : x,
  );

const dataDir = (plan: ModelPlan) => path.join(plan.stateDir, 'registry', plan.name, 'data');
const snapshotFile = (plan: ModelPlan, sha256: string) => path.join(dataDir(plan), `${sha256}.parquet`);

/** The six pipeline steps (plus config planning); each is one activity. */
export function createPipelineSteps(deps: ActivityDeps) {
  const registryFor = (_plan: ModelPlan) => deps.registry(deps.config());

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

  /** Runs the evaluation command for one model over the evaluation data; returns its metrics. */
  async function scoreModel(plan: ModelPlan, runId: string, who: string, modelDir: string) {
    const dir = runDir(plan.stateDir, plan.name, runId);
    const outputDir = path.join(dir, `evaluate-${who}`);
    await rm(outputDir, { recursive: true, force: true });
    await mkdir(outputDir, { recursive: true });
    const vars = { model: plan.name, data: plan.data.evaluation, target: plan.data.target, model_dir: modelDir, output: outputDir, run_id: runId };
    await runStepCommand(FailureType.EvaluationCommand, plan.evaluate, vars, dir, `evaluate-${who}`);
    return readMetrics(outputDir, `evaluation command (${who})`);
  }

  return {
    async planRun(input: { model: string }): Promise<ModelPlan> {
      return planModel(deps.config(), input.model);
    },

    async checkData(input: CheckInput): Promise<CheckResult> {
      const { plan } = input;
      const engine = await deps.engine();
      const fp = await fingerprint(engine, plan.data.current, plan.data.format, plan.dataRoots);
      // No evidence can be read from no data: an empty drop must fail loudly, never pass as "no drift".
      if (fp.rows === 0) {
        throw new RetrainError(FailureType.DataSource, `${plan.data.current}: no data rows (an empty file or only a header; columns: ${fp.schema.map((c) => c.name).join(', ') || 'none'})`, { file: plan.data.current });
      }
      const production = await productionModel(plan);
      const reference = plan.data.reference ?? (production ? snapshotFile(plan, production.dataSha256) : undefined);
      let drift: CheckResult['drift'] = null;
      let predictionDrift: CheckResult['predictionDrift'] = null;
      if (reference && existsSync(reference.replace(/[*?[{].*$/, ''))) {
        const refSide = { location: reference, format: plan.data.reference ? plan.data.format : 'parquet' } as const;
        const curSide = { location: plan.data.current, format: plan.data.format };
        const predictionColumn = plan.drift.predictionColumn;
        const report = await detectDrift(engine, refSide, curSide, { ...plan.drift, exclude: [plan.data.target, ...(predictionColumn ? [predictionColumn] : [])] });
        const checkDir = path.join(runDir(plan.stateDir, plan.name, input.runId), 'check');
        await mkdir(checkDir, { recursive: true });
        const reportFile = path.join(checkDir, 'drift.json');
        await writeFile(reportFile, JSON.stringify(report, null, 2));
        drift = {
          datasetDrift: report.datasetDrift,
          driftedShare: report.driftedShare,
          datasetShareThreshold: report.datasetShareThreshold,
          driftedColumns: report.columns.filter((c) => c.drifted).map((c) => c.column),
          reportFile,
        };
        if (predictionColumn) {
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
      const wantsPerformance = plan.trigger.performanceFloor !== undefined || plan.trigger.maxRelativeDrop !== undefined;
      if (production && wantsPerformance) {
        const metrics = await scoreModel(plan, input.runId, 'check-production', production.artifactUri);
        const metric = plan.promotion.metric;
        const current = metrics[metric];
        if (current === undefined) {
          throw new RetrainError(FailureType.Contract, `evaluation command reported no "${metric}" (models.${plan.name}.promotion.metric) for production v${production.version}`);
        }
        performance = { metric, direction: plan.promotion.direction, current, baseline: production.metrics[metric] ?? null };
      }
      const paramsUnchanged = production !== null && stableJson(production.params) === stableJson(input.plan.train.params);
      const newRows = production ? Math.max(0, fp.rows - production.trainDataRows) : fp.rows;
      return { fingerprint: fp, production, dataUnchanged: production?.dataSha256 === fp.sha256, paramsUnchanged, drift, predictionDrift, performance, newRows };
    },

    async validateData(input: { plan: ModelPlan }): Promise<ValidationReport> {
      const engine = await deps.engine();
      const report = await validateDataset(engine, input.plan.data.current, input.plan);
      // Schema drift against what production was trained on: caught here, before it trains a broken model.
      const production = await productionModel(input.plan).catch(() => null);
      const trained = production ? (await registryFor(input.plan).getVersion(input.plan.name, production.version))?.dataFingerprint.schema : undefined;
      if (trained?.length) {
        const current = await describe(engine, input.plan.data.current, input.plan.data.format);
        report.violations.push(...compareSchemas(current, trained, input.plan.validation.newColumns ?? 'warn'));
        report.passed = !report.violations.some((v) => v.severity === 'error');
      }
      const errors = report.violations.filter((v) => v.severity === 'error');
      if (errors.length > 0) {
        const lines = errors.map((v) => `  ${v.column ?? '(dataset)'}: ${v.rule}: expected ${v.expected}, observed ${v.observed}`);
        throw new RetrainError(
          FailureType.DataValidation,
          `${input.plan.data.current}: ${errors.length} validation error(s)\n${lines.join('\n')}`,
          { report },
        );
      }
      return report;
    },

    async trainCandidate(input: TrainInput): Promise<TrainResult> {
      const dir = runDir(input.plan.stateDir, input.plan.name, input.runId);
      const outputDir = path.join(dir, 'train');
      await rm(outputDir, { recursive: true, force: true });
      await mkdir(path.join(outputDir, CONTRACT.modelDir), { recursive: true });
      const vars = {
        model: input.plan.name,
        data: input.plan.data.current,
        target: input.plan.data.target,
        output: outputDir,
        model_dir: path.join(outputDir, CONTRACT.modelDir),
        params: JSON.stringify(input.plan.train.params),
        run_id: input.runId,
      };
      const result = await runStepCommand(FailureType.TrainingCommand, input.plan.train, vars, dir, 'train');
      const trainMetrics = await readMetrics(outputDir, 'training command');
      return { outputDir, artifactDir: vars.model_dir, trainMetrics, durationMs: result.durationMs };
    },

    async evaluateModels(input: EvaluateInput): Promise<EvaluateResult> {
      const { plan } = input;
      const engine = await deps.engine();
      const evalFp = await fingerprint(engine, plan.data.evaluation, plan.data.format, plan.dataRoots);
      const candidate = await scoreModel(plan, input.runId, 'candidate', input.candidateDir);
      const production = input.productionDir ? await scoreModel(plan, input.runId, 'production', input.productionDir) : null;
      let comparison: PairedComparison | null = null;
      const sig = plan.promotion.significance;
      if (sig && production) {
        const dir = runDir(plan.stateDir, plan.name, input.runId);
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
    async scoreVersion(input: { plan: ModelPlan; runId: string; version: number; label: string }): Promise<Record<string, number>> {
      const registry = registryFor(input.plan);
      const v = await registry.getVersion(input.plan.name, input.version);
      if (!v) throw new RetrainError(FailureType.Registry, `model ${input.plan.name} has no version ${input.version}`);
      return scoreModel(input.plan, input.runId, input.label, await registry.localArtifact(v));
    },

    /** The optional deploy hook, run after the alias moved; a failure makes the pipeline move it back. */
    async deployVersion(input: { plan: ModelPlan; runId: string; version: number }): Promise<{ durationMs: number }> {
      const { plan } = input;
      const hook = plan.promotion.deploy;
      if (!hook) return { durationMs: 0 };
      const registry = registryFor(plan);
      const v = await registry.getVersion(plan.name, input.version);
      if (!v) throw new RetrainError(FailureType.Registry, `model ${plan.name} has no version ${input.version}`);
      const dir = runDir(plan.stateDir, plan.name, input.runId);
      const vars = { model: plan.name, version: String(v.version), model_dir: await registry.localArtifact(v), run_id: input.runId, alias: plan.registry.alias };
      const result = await runStepCommand(FailureType.DeployHook, hook, vars, dir, `deploy-v${v.version}`);
      return { durationMs: result.durationMs };
    },

    async registerCandidate(input: RegisterCandidateInput): Promise<ModelVersion> {
      // Lineage: the exact training data (Parquet) and its profile, kept by content hash.
      const engine = await deps.engine();
      const sha = input.fingerprint.sha256;
      await snapshotDataset(engine, input.plan.data.current, input.plan.data.format, dataDir(input.plan), sha);
      const profileFile = path.join(dataDir(input.plan), `${sha}.profile.json`);
      if (!existsSync(profileFile)) await writeFile(profileFile, JSON.stringify(await profile(engine, input.plan.data.current, input.plan.data.format), null, 2));
      return registryFor(input.plan).register({
        model: input.plan.name,
        runId: input.runId,
        workflowId: input.workflowId,
        artifactDir: input.artifactDir,
        dataFingerprint: input.fingerprint,
        params: input.plan.train.params,
        metrics: input.metrics,
        triggers: input.triggers,
        codeVersion: deps.codeVersion,
      });
    },

    async promoteVersion(input: PromoteInput): Promise<SetAliasResult> {
      return registryFor(input.plan).setAlias({
        model: input.plan.name,
        alias: input.plan.registry?.alias ?? 'production',
        version: input.version,
        expected: input.expected,
        actor: input.actor ?? 'pipeline',
        reason: input.reason,
        runId: input.runId,
      });
    },
  };
}
