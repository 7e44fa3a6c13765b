import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { ModelPlan } from '../config/plan.js';
import { FailureType, RetrainError } from '../errors.js';
import { fingerprint } from '../data/fingerprint.js';
import { detectDrift } from '../data/drift/detect.js';
import { detectSegmentDrift, segmentEvidence } from '../data/drift/segments.js';
import { rowIdentifierColumns } from '../data/drift/id-columns.js';
import { CONTRACT, readMetrics } from '../runner/contract.js';
import { listPartitions, type PartitionOrder } from '../backtest/partitions.js';
import type { Partition, ReplayProduction } from '../backtest/replay.js';
import type { Evidence, NotComputed } from '../policy/trigger-policy.js';
import { runStepCommand } from './command-step.js';
import type { ActivityDeps } from './deps.js';

/**
 * A backtest's scratch folder: `<stateDir>/backtests/<model>/<workflow id>/`. Models and scores live
 * here only; nothing goes to the registry, the runs folder or the audit trail.
 */
export function backtestDir(plan: ModelPlan, backtestId: string): string {
  return path.join(plan.stateDir, 'backtests', plan.name, backtestId.replace(/[^A-Za-z0-9._-]/g, '_'));
}

export interface BacktestEvidenceInput {
  plan: ModelPlan;
  backtestId: string;
  /** The partition production was trained on (the drift reference) and the one that "arrives" now. */
  reference: Partition;
  current: Partition;
  production: ReplayProduction;
  /** With --train: production's metric on this partition, and the value it had on the partition after its training one. */
  performance?: { current: number; baseline: number | null };
}

export interface BacktestEvidence {
  evidence: Evidence;
  rows: number;
  sha256: string;
}

/**
 * The backtest's steps: the check's evidence for one partition against production's training
 * partition, and training and scoring in the scratch folder. Same data code as the check
 * (fingerprint, detectDrift, row-identifier columns) and the same command runner as train/evaluate.
 */
export function createBacktestSteps(deps: ActivityDeps) {
  return {
    async backtestPartitions(input: { plan: ModelPlan; pattern: string; order: PartitionOrder }): Promise<Partition[]> {
      return listPartitions(await deps.engine(), input.pattern, input.order, input.plan.data.format, input.plan.dataRoots);
    },

    async backtestEvidence(input: BacktestEvidenceInput): Promise<BacktestEvidence> {
      const { plan } = input;
      const engine = await deps.engine();
      // No stat cache: a backtest writes nothing to the state folder outside its scratch folder.
      const ref = await fingerprint(engine, input.reference.file, plan.data.format, plan.dataRoots);
      const cur = await fingerprint(engine, input.current.file, plan.data.format, plan.dataRoots);
      if (cur.rows === 0) throw new RetrainError(FailureType.DataSource, `${input.current.file}: no data rows`, { file: input.current.file });
      const t = plan.trigger;
      const predictionColumn = plan.drift.predictionColumn;
      const refSide = { location: input.reference.file, format: plan.data.format };
      const curSide = { location: input.current.file, format: plan.data.format };
      const notComputed: NotComputed[] = [];
      let drift: Evidence['drift'] = null;
      if (t.dataDrift || t.driftColumns.length > 0) {
        const skip = plan.drift.testIdColumns ? {} : await rowIdentifierColumns(engine, refSide, plan.validation.uniqueKey);
        const report = await detectDrift(engine, refSide, curSide, { ...plan.drift, exclude: [plan.data.target, ...(predictionColumn ? [predictionColumn] : []), ...plan.drift.exclude], skip });
        drift = {
          datasetDrift: report.datasetDrift,
          driftedShare: report.driftedShare,
          datasetShareThreshold: report.datasetShareThreshold,
          driftedColumns: report.columns.filter((c) => c.drifted).map((c) => c.column),
        };
      } else notComputed.push({ what: 'drift', why: 'no trigger rule uses it', kind: 'unused' });
      let predictionDrift: Evidence['predictionDrift'] = null;
      if (t.predictionDrift && predictionColumn) {
        const p = await detectDrift(engine, refSide, curSide, { ...plan.drift, columns: [predictionColumn], datasetShare: 1 });
        const col = p.columns[0];
        if (col) predictionDrift = { column: predictionColumn, drifted: col.drifted, test: col.test, statistic: col.pValue ?? col.statistic, threshold: col.threshold };
      }
      // trigger.segmentDrift replays too: the same per-segment report as the check.
      const segments = t.segmentDrift && plan.drift.segments.length
        ? segmentEvidence(await detectSegmentDrift(engine, refSide, curSide, plan.drift.segments, { ...plan.drift, exclude: [plan.data.target, ...(predictionColumn ? [predictionColumn] : []), ...plan.drift.exclude], skip: plan.drift.testIdColumns ? {} : await rowIdentifierColumns(engine, refSide, plan.validation.uniqueKey) }), t.segmentDrift)
        : undefined;
      const wantsPerformance = t.performanceFloor !== undefined || t.maxRelativeDrop !== undefined;
      if (wantsPerformance && !input.performance) notComputed.push({ what: 'score', why: 'backtest without --train: no model to score', kind: 'unavailable' });
      const evidence: Evidence = {
        dataUnchanged: ref.sha256 === cur.sha256,
        // The same config is replayed throughout: params and inputs never change.
        paramsUnchanged: true,
        production: { version: input.production.version, createdAt: input.production.createdAt },
        drift,
        predictionDrift,
        performance: wantsPerformance && input.performance ? { metric: plan.promotion.metric, direction: plan.promotion.direction, ...input.performance } : null,
        newRows: Math.max(0, cur.rows - ref.rows),
        ...(segments ? { segmentDrift: segments } : {}),
        ...(notComputed.length ? { notComputed } : {}),
      };
      return { evidence, rows: cur.rows, sha256: cur.sha256 };
    },

    /** Trains on one partition into the scratch folder; returns where the model is and how long it took. */
    async backtestTrain(input: { plan: ModelPlan; backtestId: string; partition: Partition }): Promise<{ modelDir: string; durationMs: number; trainMetrics: Record<string, number> }> {
      const { plan } = input;
      if (!plan.train.command) throw new RetrainError(FailureType.Config, `${plan.configFile}: models.${plan.name}.train: backtest --train needs train.command (train.dvc is not replayed)`, { field: 'train.command' });
      const dir = path.join(backtestDir(plan, input.backtestId), `p${input.partition.index}`);
      const outputDir = path.join(dir, 'train');
      await rm(outputDir, { recursive: true, force: true });
      await mkdir(path.join(outputDir, CONTRACT.modelDir), { recursive: true });
      const vars = {
        model: plan.name,
        data: input.partition.file,
        target: plan.data.target,
        output: outputDir,
        model_dir: path.join(outputDir, CONTRACT.modelDir),
        params: JSON.stringify(plan.train.params),
        run_id: input.backtestId,
      };
      const { command, ...spec } = plan.train;
      const result = await runStepCommand(FailureType.TrainingCommand, { ...spec, command }, vars, dir, 'train');
      return { modelDir: vars.model_dir, durationMs: result.durationMs, trainMetrics: await readMetrics(outputDir, 'training command') };
    },

    /** The evaluation command for the model trained on partition `model`, on partition `on`. */
    async backtestScore(input: { plan: ModelPlan; backtestId: string; modelDir: string; model: number; on: Partition }): Promise<Record<string, number>> {
      const { plan } = input;
      const dir = path.join(backtestDir(plan, input.backtestId), `p${input.on.index}`);
      const outputDir = path.join(dir, `evaluate-m${input.model}`);
      await rm(outputDir, { recursive: true, force: true });
      await mkdir(outputDir, { recursive: true });
      const vars = { model: plan.name, data: input.on.file, target: plan.data.target, model_dir: input.modelDir, output: outputDir, run_id: input.backtestId };
      await runStepCommand(FailureType.EvaluationCommand, plan.evaluate, vars, dir, `evaluate-m${input.model}`);
      return readMetrics(outputDir, `evaluation command (model of partition ${input.model})`);
    },
  };
}
