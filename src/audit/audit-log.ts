import type { DvcLineage } from '../lineage/dvc.js';
import type { TrainLineage } from '../lineage/train-lineage.js';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { TriggerDecision } from '../policy/trigger-policy.js';
import type { GitState } from '../lineage/git.js';
import { readJson, writeJsonAtomic } from '../registry/json-store.js';
import type { RunEvidence } from '../report/run-evidence.js';
import type { CoalescedTriggers, PipelineResult, TriggerRequest } from '../workflows/types.js';
import type { CheckResult } from '../activities/types.js';

/**
 * One pipeline run as the audit trail keeps it: why it ran, on which data, what it decided and what
 * came of it. Files live under `<stateDir>/audit/<model>/`, outside Temporal, so they outlive its
 * retention period.
 */
export interface RunRecord {
  model: string;
  workflowId: string;
  temporalRunId: string;
  /** The controller that started the run, if any. */
  parentWorkflowId: string | null;
  /**
   * A skip decided before any pipeline ran (quick-skip.ts): by the model's controller, or by a
   * schedule's tick on unchanged data. `workflowId` is then the check's id, not a workflow; the
   * check is in the history of `parentWorkflowId`'s run `temporalRunId`.
   */
  decidedIn?: 'controller' | 'schedule';
  startedAt: string;
  finishedAt: string;
  triggers: TriggerRequest[];
  coalesced: CoalescedTriggers;
  force: boolean;
  decision: TriggerDecision | null;
  /** The dataset the run checked and trained on (file or glob). */
  dataLocation: string | null;
  check: CheckResult | null;
  result: PipelineResult;
  codeVersion: string | null;
  /** The repositories behind the code version: commit and dirty flag of each (absent in records before 0.2). */
  code?: GitState[];
  /** What the record left out and why: a skipped check trains nothing, so it reads no code version (git) and no evidence. */
  notRead?: { what: 'code version' | 'evidence from history'; why: string }[];
  /** Where DVC tracks the data the run checked or trained on (absent when DVC does not). */
  dvc?: DvcLineage;
  /** The version's training lineage: lineage.json tags, and the train.dvc stage, commit and model md5. */
  lineage?: TrainLineage;
  configFile: string | null;
  /** The decision's MLflow run, when `tracking.mlflow` is configured (or why it could not be written). */
  tracking?: { mlflowRunId: string } | { error: string };
  /** The validation report, training time and paired comparison, read from the run's history (absent before 0.3). */
  evidence?: RunEvidence;
}

/** The Temporal workflow that holds the record's decision: the pipeline run, or the controller or tick run that decided a quick check. */
export function recordWorkflow(record: Pick<RunRecord, 'workflowId' | 'temporalRunId' | 'parentWorkflowId' | 'decidedIn'>): { workflowId: string; temporalRunId: string } {
  return { workflowId: record.decidedIn && record.parentWorkflowId ? record.parentWorkflowId : record.workflowId, temporalRunId: record.temporalRunId };
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');
/** A model's folder in the audit trail: its run records, their reports, and its timeline page. */
export const modelDir = (stateDir: string, model: string) => path.join(stateDir, 'audit', safe(model));

/** Where a run's record is kept; its HTML report sits next to it (`reportFileOf`). */
export const runRecordFile = (stateDir: string, record: Pick<RunRecord, 'model' | 'startedAt' | 'workflowId'>) =>
  path.join(modelDir(stateDir, record.model), `${safe(record.startedAt)}__${safe(record.workflowId)}.json`);
export const reportFileOf = (recordFile: string) => recordFile.replace(/\.json$/, '.html');

/** Idempotent: a retried write replaces the same file with the same content. */
export async function writeRunRecord(stateDir: string, record: RunRecord): Promise<string> {
  await mkdir(modelDir(stateDir, record.model), { recursive: true });
  const file = runRecordFile(stateDir, record);
  await writeJsonAtomic(file, record);
  return file;
}

/** A check decided without a pipeline: its id is `retrain-check/<model>/<time>` (quickCheckId), as its file name says. */
const QUICK_SKIP_FILE = /^(.+?)__retrain-check_.*\.(json|html)$/;

/**
 * Deletes the records (and on-demand pages) of one model's checks skipped without a pipeline run that started before
 * `before`. Decided from the file names alone, which start with the check's start time, so a fleet's folders are not
 * read record by record. A pipeline run's record never matches. Returns how many files went.
 */
export async function pruneQuickSkips(stateDir: string, model: string, before: Date): Promise<number> {
  const dir = modelDir(stateDir, model);
  const cutoff = safe(before.toISOString());
  let removed = 0;
  for (const f of await readdir(dir).catch(() => [] as string[])) {
    const startedAt = QUICK_SKIP_FILE.exec(f)?.[1];
    // Same ISO format on both sides, so the names compare as the times do.
    if (startedAt === undefined || startedAt >= cutoff) continue;
    await rm(path.join(dir, f), { force: true });
    removed++;
  }
  return removed;
}

export interface RecordFilter {
  since?: Date;
  trigger?: string;
  outcome?: string;
}

/** Records of one model (or all), oldest first. File names start with the start time, so order is by name. */
export async function listRunRecords(stateDir: string, model?: string, filter: RecordFilter = {}): Promise<RunRecord[]> {
  const root = path.join(stateDir, 'audit');
  const models = model ? [safe(model)] : await readdir(root).catch(() => [] as string[]);
  const records: RunRecord[] = [];
  for (const m of models) {
    const files = (await readdir(path.join(root, m)).catch(() => [] as string[])).filter((f) => f.endsWith('.json')).sort();
    for (const f of files) {
      const r = await readJson<RunRecord | null>(path.join(root, m, f), null);
      if (!r) continue;
      if (filter.since && Date.parse(r.startedAt) < filter.since.getTime()) continue;
      if (filter.trigger && !r.triggers.some((t) => t.reason === filter.trigger) && !(filter.trigger in r.coalesced.byReason)) continue;
      if (filter.outcome && r.result.outcome !== filter.outcome) continue;
      records.push(r);
    }
  }
  return records.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}

/** A run by its workflow id, or by a unique suffix of it (`2026-03-15T02:00`). */
export async function findRunRecord(stateDir: string, id: string): Promise<RunRecord | RunRecord[] | null> {
  const all = await listRunRecords(stateDir);
  const exact = all.find((r) => r.workflowId === id);
  if (exact) return exact;
  const partial = all.filter((r) => r.workflowId.includes(id));
  if (partial.length === 1) return partial[0]!;
  return partial.length ? partial : null;
}
