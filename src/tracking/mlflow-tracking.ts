import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { MlflowError } from '../errors.js';
import type { RunRecord } from '../audit/audit-log.js';
import type { ModelConfig } from '../config/model-schema.js';
import type { DriftReport } from '../data/drift/detect.js';

/**
 * One MLflow run per pipeline decision, skipped, rejected and failed included, so a data scientist
 * sees every retrain (and every decision not to) in the MLflow UI next to their own experiments:
 * named after the trigger (`retrain_drift_alert`), with the thresholds that decided as params, both
 * models' metrics, drift and the trainer's own metrics as metrics, the outcome and lineage as tags,
 * and the check report and the audit record as artifacts. Idempotent through the workflow-id tag.
 */
export interface TrackingTarget {
  uri: string;
  experiment: string;
  token?: string;
  /** The Temporal Web UI base, for a link to the run. */
  uiUrl?: string;
  namespace?: string;
}

export const TRACKING_TAG = {
  workflowId: 'retrain.workflow_id',
  outcome: 'retrain.outcome',
  reason: 'retrain.reason',
  dataSha256: 'retrain.data_sha256',
  gitCommit: 'retrain.git_commit',
  codeVersion: 'retrain.code_version',
  webUi: 'retrain.web_ui',
  model: 'retrain.model',
  version: 'retrain.version',
} as const;

// MLflow's limits: param values 6,000 characters, tag values 8,000; keys 250.
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const MAX_PARAMS = 100;
const MAX_METRICS = 500;

async function call<T>(t: TrackingTarget, method: 'GET' | 'POST', api: string, body?: Record<string, unknown>): Promise<T> {
  const base = t.uri.replace(/\/+$/, '');
  let url = `${base}/api/2.0/mlflow/${api}`;
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(t.token ? { authorization: `Bearer ${t.token}` } : {}) };
  const init: RequestInit = { method, headers };
  if (method === 'GET' && body) url += `?${new URLSearchParams(body as Record<string, string>)}`;
  else if (body) init.body = JSON.stringify(body);
  const res = await fetch(url, init).catch((err: unknown) => {
    throw new Error(`MLflow tracking at ${base} unreachable: ${(err as Error).message}`);
  });
  const text = await res.text();
  if (!res.ok) {
    throw new MlflowError(res.status, api, text);
  }
  return (text ? JSON.parse(text) : {}) as T;
}

async function experimentId(t: TrackingTarget): Promise<string> {
  try {
    return (await call<{ experiment: { experiment_id: string } }>(t, 'GET', 'experiments/get-by-name', { experiment_name: t.experiment })).experiment.experiment_id;
  } catch (err) {
    if (!(err instanceof MlflowError && err.code === 'RESOURCE_DOES_NOT_EXIST')) throw err;
  }
  try {
    return (await call<{ experiment_id: string }>(t, 'POST', 'experiments/create', { name: t.experiment })).experiment_id;
  } catch (err) {
    if (err instanceof MlflowError && err.code === 'RESOURCE_ALREADY_EXISTS') return experimentId(t);
    throw err;
  }
}

const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);
const safeKey = (k: string) => k.replace(/[^A-Za-z0-9_\-. /]/g, '_').slice(0, 250);

/** What the MLflow run says about one decision, from the audit record and the model's config. */
export async function decisionRun(record: RunRecord, model: ModelConfig | undefined, runDir: string | null) {
  const result = record.result;
  const reasons = [...new Set(record.triggers.map((t) => t.reason))];
  const params: Record<string, string> = {
    'trigger.type': reasons.join(',') || 'none',
    'trigger.source': [...new Set(record.triggers.map((t) => t.source))].join(',').slice(0, 500) || 'none',
    'trigger.force': String(record.force),
    'trigger.count': String(record.coalesced.total),
  };
  const detailKeys = [...new Set(record.triggers.flatMap((t) => Object.keys(t.details ?? {})))].slice(0, 20);
  if (detailKeys.length) params['trigger.detail_keys'] = detailKeys.join(',');
  for (const t of record.triggers.slice(0, 5)) {
    for (const [k, v] of Object.entries(t.details ?? {}).slice(0, 20)) params[safeKey(`trigger.details.${k}`)] = clip(typeof v === 'string' ? v : JSON.stringify(v), 500);
  }
  if (model) {
    const p = model.promotion;
    Object.assign(params, {
      'promotion.metric': p.metric,
      'promotion.direction': p.direction,
      ...(p.floor !== undefined ? { 'promotion.floor': String(p.floor) } : {}),
      ...(p.minImprovement !== undefined ? { 'promotion.minImprovement': String(p.minImprovement) } : {}),
      ...(p.guards && Object.keys(p.guards).length ? { 'promotion.guards': clip(JSON.stringify(p.guards), 6000) } : {}),
      ...(model.drift.datasetShare !== undefined ? { 'drift.datasetShare': String(model.drift.datasetShare) } : {}),
    });
    for (const [k, v] of Object.entries(model.trigger)) {
      if (v !== undefined && !(Array.isArray(v) && v.length === 0)) params[safeKey(`trigger.${k}`)] = clip(Array.isArray(v) ? v.join(',') : String(v), 500);
    }
  }
  for (const rule of record.decision?.rules ?? []) params[safeKey(`rule.${rule.rule}.threshold`)] = clip(String(rule.threshold), 500);
  // Evidence the check left out (a skip decided by the cheap rules): say why, so a missing metric is not a mystery.
  for (const n of record.decision?.notComputed ?? []) params[safeKey(`not_computed.${n.what}`)] = clip(`${n.kind}: ${n.why}`, 500);

  const metrics: Record<string, number> = {};
  const put = (k: string, v: unknown) => {
    const x = num(v);
    if (x !== null) metrics[safeKey(k)] = x;
  };
  const production = 'metrics' in result ? result.metrics.production : (record.check?.production?.metrics ?? null);
  for (const [k, v] of Object.entries(production ?? {})) put(`production.${k}`, v);
  if ('metrics' in result) for (const [k, v] of Object.entries(result.metrics.candidate)) put(`candidate.${k}`, v);
  const check = record.check;
  if (check) {
    put('new_rows', check.newRows);
    put('data.rows', check.fingerprint.rows);
    if (check.drift) put('drift.share', check.drift.driftedShare);
    if (check.performance) put(`production.current.${check.performance.metric}`, check.performance.current);
    if (check.production) put('model_age_days', (Date.parse(record.startedAt) - Date.parse(check.production.createdAt)) / 86_400_000);
    if (check.drift?.reportFile && existsSync(check.drift.reportFile)) {
      const report = JSON.parse(await readFile(check.drift.reportFile, 'utf8')) as DriftReport;
      for (const c of report.columns) put(`drift.${c.column}.${c.test}`, c.pValue ?? c.statistic);
    }
  }
  for (const rule of record.decision?.rules ?? []) put(`rule.${rule.rule}.measured`, rule.measured);
  // The trainer's own metrics.json: checked by the contract, and kept here for the data scientist.
  const trainMetrics = runDir ? path.join(runDir, 'train', 'metrics.json') : null;
  if (trainMetrics && existsSync(trainMetrics)) {
    for (const [k, v] of Object.entries(JSON.parse(await readFile(trainMetrics, 'utf8')) as Record<string, unknown>)) put(`train.${k}`, v);
  }

  const commit = /^([0-9a-f]{40,64})/.exec(record.codeVersion ?? '')?.[1];
  const tags: Record<string, string> = {
    'mlflow.runName': `retrain_${reasons.join('_') || 'run'}`,
    [TRACKING_TAG.model]: record.model,
    [TRACKING_TAG.workflowId]: record.workflowId,
    [TRACKING_TAG.outcome]: result.outcome,
    [TRACKING_TAG.reason]: clip(result.reason, 8000),
    ...(result.dataFingerprint ? { [TRACKING_TAG.dataSha256]: result.dataFingerprint.sha256 } : {}),
    ...(commit ? { [TRACKING_TAG.gitCommit]: commit } : {}),
    ...(record.codeVersion ? { [TRACKING_TAG.codeVersion]: clip(record.codeVersion, 8000) } : {}),
    ...('version' in result ? { [TRACKING_TAG.version]: String(result.version) } : {}),
    // The trainer's lineage.json tags, under the same names as on the model version.
    ...Object.fromEntries(Object.entries(record.lineage?.tags ?? {}).map(([k, v]) => [`lineage.${k}`, v])),
    ...(record.lineage?.dvc ? { 'retrain.dvc_stage': record.lineage.dvc.stage, 'retrain.dvc_model_md5': record.lineage.dvc.model.md5 } : {}),
  };
  return { params, metrics, tags };
}

/** Creates (or finds, on a retry) the decision's MLflow run and fills it; returns the MLflow run id. */
export async function trackDecision(t: TrackingTarget, record: RunRecord, model: ModelConfig | undefined, runDir: string | null): Promise<string> {
  const exp = await experimentId(t);
  const content = await decisionRun(record, model, runDir);
  if (t.uiUrl) content.tags[TRACKING_TAG.webUi] = `${t.uiUrl.replace(/\/+$/, '')}/namespaces/${t.namespace ?? 'default'}/workflows/${encodeURIComponent(record.workflowId)}`;
  const escaped = record.workflowId.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
  const found = await call<{ runs?: { info: { run_id: string; artifact_uri: string; status: string } }[] }>(t, 'POST', 'runs/search', {
    experiment_ids: [exp],
    filter: `tags.\`${TRACKING_TAG.workflowId}\` = '${escaped}'`,
    max_results: 1,
  });
  let run = found.runs?.[0]?.info;
  if (run?.status === 'FINISHED') return run.run_id;
  if (!run) {
    const created = await call<{ run: { info: { run_id: string; artifact_uri: string; status: string } } }>(t, 'POST', 'runs/create', {
      experiment_id: exp,
      run_name: content.tags['mlflow.runName'],
      start_time: Date.parse(record.startedAt),
      tags: [{ key: TRACKING_TAG.workflowId, value: record.workflowId }],
    });
    run = created.run.info;
  }
  const mlflowRunId = run.run_id;
  const at = Date.parse(record.finishedAt);
  const params = Object.entries(content.params).slice(0, MAX_PARAMS).map(([key, value]) => ({ key, value: clip(value, 6000) }));
  const metrics = Object.entries(content.metrics).slice(0, MAX_METRICS).map(([key, value]) => ({ key, value, timestamp: at, step: 0 }));
  const tags = Object.entries(content.tags).map(([key, value]) => ({ key, value }));
  // log-batch takes at most 100 params and 1,000 entries in all; a retry re-logs the same values.
  await call(t, 'POST', 'runs/log-batch', { run_id: mlflowRunId, params, tags });
  for (let i = 0; i < metrics.length; i += 900) await call(t, 'POST', 'runs/log-batch', { run_id: mlflowRunId, metrics: metrics.slice(i, i + 900) });
  await uploadArtifacts(t, run.artifact_uri, record);
  await call(t, 'POST', 'runs/update', { run_id: mlflowRunId, status: record.result.outcome === 'failed' ? 'FAILED' : 'FINISHED', end_time: at });
  return mlflowRunId;
}

async function uploadArtifacts(t: TrackingTarget, artifactUri: string, record: RunRecord): Promise<void> {
  const prefix = 'mlflow-artifacts:/';
  // A server without --serve-artifacts stores artifacts where only MLflow's Python client writes; the run keeps its params and metrics.
  if (!artifactUri.startsWith(prefix)) return;
  const files: [string, Buffer][] = [['audit-record.json', Buffer.from(JSON.stringify(record, null, 2))]];
  const drift = record.check?.drift?.reportFile;
  if (drift && existsSync(drift)) files.push(['check/drift.json', await readFile(drift)]);
  const base = t.uri.replace(/\/+$/, '');
  for (const [rel, body] of files) {
    const p = [...artifactUri.slice(prefix.length).split('/'), ...rel.split('/')].filter(Boolean).map(encodeURIComponent).join('/');
    const res = await fetch(`${base}/api/2.0/mlflow-artifacts/artifacts/${p}`, { method: 'PUT', headers: t.token ? { authorization: `Bearer ${t.token}` } : {}, body });
    if (!res.ok) throw new Error(`MLflow artifact upload ${rel}: ${res.status} ${(await res.text()).slice(0, 200)}`);
  }
}

/**
 * Marks a registered MLflow model version with what came of it (promoted, rejected, rolled_back),
 * since versions are registered before the decision: MLflow's UI then tells rejected candidates apart.
 */
export async function tagVersionOutcome(t: Pick<TrackingTarget, 'uri' | 'token'>, model: string, version: number, outcome: string): Promise<void> {
  await call({ ...t, experiment: '' }, 'POST', 'model-versions/set-tag', { name: model, version: String(version), key: TRACKING_TAG.outcome, value: outcome });
}
