import path from 'node:path';
import { Context, log } from '@temporalio/activity';
import { pruneQuickSkips, writeRunRecord, type RunRecord } from '../audit/audit-log.js';
import { parseDurationMs } from '../duration.js';
import type { LoadedConfig } from '../config/load.js';
import { codeVersion } from '../lineage/git.js';
import { dvcLineage, type DvcLineage } from '../lineage/dvc.js';
import type { TrainLineage } from '../lineage/train-lineage.js';
import { tagVersionOutcome, trackDecision, type TrackingTarget } from '../tracking/mlflow-tracking.js';
import { evidenceFromHistory, type RunEvidence } from '../report/run-evidence.js';
import { writeRunReport } from '../report/write-report.js';
import { runDir, type ActivityDeps } from './deps.js';

/** Where decisions are tracked in MLflow, or null when `tracking.mlflow` is not configured. */
function trackingTarget(config: LoadedConfig, model: string, env = process.env): TrackingTarget | null {
  const m = config.tracking.mlflow;
  if (!m) return null;
  const uri = m.trackingUri ?? config.registry.mlflow.trackingUri ?? env.MLFLOW_TRACKING_URI;
  if (!uri) return null;
  const token = env[m.tokenEnv];
  return {
    uri,
    experiment: m.experiment.replaceAll('{model}', model),
    ...(token ? { token } : {}),
    ...(env.TEMPORAL_UI_URL ? { uiUrl: env.TEMPORAL_UI_URL } : {}),
    namespace: env.TEMPORAL_NAMESPACE || 'default',
  };
}

/**
 * The DVC lineage a record names: the registered version's (read when its data was frozen), else
 * what DVC says about the checked data now. Never fails the record: a broken `.dvc` file is logged.
 */
async function runDvcLineage(deps: ActivityDeps, config: LoadedConfig, record: RunRecord): Promise<{ dvc: DvcLineage | null; lineage?: TrainLineage }> {
  try {
    const result = record.result;
    if ('version' in result && typeof result.version === 'number') {
      const v = await deps.registry(config).getVersion(record.model, result.version);
      if (v) return { dvc: v.dvc ?? null, ...(v.lineage ? { lineage: v.lineage } : {}) };
    }
    const data = record.dataLocation ?? config.models[record.model]?.data.current;
    return { dvc: data ? await dvcLineage(path.resolve(config.dir, data)) : null };
  } catch (err) {
    log.warn('DVC lineage not recorded', { workflowId: record.workflowId, error: (err as Error).message });
    return { dvc: null };
  }
}

/**
 * What the run's steps returned beyond its result (validation report, training time, paired
 * comparison), read from its own history through the worker's client. Never fails the record.
 */
async function runEvidence(record: RunRecord): Promise<RunEvidence | null> {
  try {
    const history = await Context.current().client.workflow.getHandle(record.workflowId, record.temporalRunId).fetchHistory();
    return evidenceFromHistory(history);
  } catch (err) {
    log.warn('run evidence not read from history', { workflowId: record.workflowId, error: (err as Error).message });
    return null;
  }
}

/** The run's HTML report next to its record; a failure to write it costs a warning, not the record. */
async function report(file: string, record: RunRecord, config: LoadedConfig): Promise<string> {
  try {
    await writeRunReport(file, record, {
      temporalUi: process.env.TEMPORAL_UI_URL,
      namespace: process.env.TEMPORAL_NAMESPACE || 'default',
      mlflowUri: config.tracking.mlflow?.trackingUri ?? config.registry.mlflow.trackingUri ?? process.env.MLFLOW_TRACKING_URI,
    });
  } catch (err) {
    log.warn('run report not written', { workflowId: record.workflowId, error: (err as Error).message });
  }
  return file;
}

/** When this process last pruned each model's quick skips: at most once an hour each, so a fleet's checks stay cheap. */
const lastPruned = new Map<string, number>();
const PRUNE_EVERY_MS = 3_600_000;

/**
 * audit.keepQuickSkips: a fleet records one skip per model and check (3.6 KiB; 10,000 models checked hourly write
 * 240,000 files a day), so the records of checks decided without a pipeline go after a while. Housekeeping only:
 * a failure is logged and the check's own record stands.
 */
async function pruneOldQuickSkips(stateDir: string, model: string, keep: string, now = Date.now()): Promise<void> {
  if (keep === 'forever') return;
  const key = `${stateDir}\0${model}`;
  if (now - (lastPruned.get(key) ?? -Infinity) < PRUNE_EVERY_MS) return;
  lastPruned.set(key, now);
  try {
    const removed = await pruneQuickSkips(stateDir, model, new Date(now - parseDurationMs(keep)));
    if (removed) log.info('old quick-skip records pruned (audit.keepQuickSkips)', { model, removed, keep });
  } catch (err) {
    log.warn('old quick-skip records not pruned', { model, error: (err as Error).message });
  }
}

export function createAuditSteps(deps: ActivityDeps) {
  return {
    /**
     * Writes the run's audit record, with the code version read now (git commit, or
     * RETRAIN_CODE_VERSION), then its MLflow decision run when tracking is configured. A tracking
     * server that is down costs a warning in the record, never the audit record itself.
     */
    async recordRun(record: RunRecord): Promise<string> {
      const config = deps.config();
      const model = config.models[record.model];
      const dirs = [config.dir, ...(model ? [model.train.workdir, model.evaluate.workdir].map((w) => path.resolve(config.dir, w)) : [])];
      // A skipped check trained nothing, so no code version or step evidence belongs to it: reading
      // them cost a git process per repository and a full history fetch on every check of a fleet.
      const skipped = record.result.outcome === 'skipped';
      const code = skipped ? { label: null, repos: [] } : await codeVersion(dirs);
      const { dvc, lineage } = await runDvcLineage(deps, config, record);
      // A run recorded since the pipeline's patches were folded hands its evidence over; older ones (and evidence too
      // large to pass twice) are read from the history.
      const { evidence: handed, ...told } = record;
      const evidence = skipped ? null : (handed ?? (await runEvidence(record)));
      const why = 'skipped: nothing was trained, so the decision does not depend on it';
      const notRead = skipped ? { notRead: [{ what: 'code version' as const, why }, { what: 'evidence from history' as const, why }] } : {};
      const full: RunRecord = { ...told, codeVersion: record.codeVersion ?? code.label, code: code.repos, ...notRead, ...(dvc ? { dvc } : {}), ...(lineage ? { lineage } : {}), ...(evidence ? { evidence } : {}) };
      const file = await writeRunRecord(config.stateDir, full);
      if (record.decidedIn) await pruneOldQuickSkips(config.stateDir, record.model, config.audit.keepQuickSkips);
      const result = record.result;
      const registryUri = config.registry.mlflow.trackingUri ?? process.env.MLFLOW_TRACKING_URI;
      if (config.registry.backend === 'mlflow' && registryUri && 'version' in result) {
        const token = process.env[config.registry.mlflow.tokenEnv];
        await tagVersionOutcome({ uri: registryUri, ...(token ? { token } : {}) }, record.model, result.version, result.outcome);
      }
      const target = trackingTarget(config, record.model);
      // A check decided without a pipeline (a schedule's tick, a controller) is most of what a fleet records: its HTML
      // page would double the state folder's files per check, so it is written on demand (`retrain report <id>`, which
      // `retrain explain` names).
      if (!target) return record.decidedIn ? file : report(file, full, config);
      let tracked: RunRecord;
      try {
        const mlflowRunId = await trackDecision(target, full, model, runDir(config.stateDir, record.model, record.workflowId));
        tracked = { ...full, tracking: { mlflowRunId } };
      } catch (err) {
        log.warn('MLflow tracking run not written', { workflowId: record.workflowId, error: (err as Error).message });
        tracked = { ...full, tracking: { error: (err as Error).message.slice(0, 500) } };
      }
      const trackedFile = await writeRunRecord(config.stateDir, tracked);
      return record.decidedIn ? trackedFile : report(trackedFile, tracked, config);
    },
  };
}
