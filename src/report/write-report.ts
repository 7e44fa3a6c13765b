import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { recordWorkflow, reportFileOf, type RunRecord } from '../audit/audit-log.js';
import type { DriftReport } from '../data/drift/detect.js';
import { renderRunReport } from './run-report.js';

export interface ReportLinks {
  /** Temporal Web UI base URL (TEMPORAL_UI_URL, or the dev server's). */
  temporalUi?: string | undefined;
  namespace?: string | undefined;
  /** MLflow tracking server base URL. */
  mlflowUri?: string | undefined;
}

/** The run's page in the Temporal Web UI, built as `retrain status` builds it. */
export function temporalRunUrl(base: string | undefined, namespace: string, workflowId: string, temporalRunId?: string): string | undefined {
  if (!base) return undefined;
  return `${base.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}${temporalRunId ? `/${encodeURIComponent(temporalRunId)}` : ''}/history`;
}

/** MLflow's run page by id alone (its UI resolves the experiment). */
export function mlflowRunUrl(base: string | undefined, mlflowRunId: string): string | undefined {
  return base ? `${base.replace(/\/+$/, '')}/#/runs/${encodeURIComponent(mlflowRunId)}` : undefined;
}

/** The drift report the check wrote, or null when there was none (or it was removed since). */
export async function readDriftReport(record: RunRecord): Promise<DriftReport | null> {
  const file = record.check?.drift?.reportFile;
  if (!file || !existsSync(file)) return null;
  try {
    return JSON.parse(await readFile(file, 'utf8')) as DriftReport;
  } catch {
    return null;
  }
}

/** The run's page, from its record and the stored drift statistics only: no data row is read. */
export async function buildRunReport(record: RunRecord, links: ReportLinks = {}): Promise<string> {
  const mlflowRunId = record.tracking && 'mlflowRunId' in record.tracking ? record.tracking.mlflowRunId : undefined;
  const held = recordWorkflow(record);
  const temporalUrl = temporalRunUrl(links.temporalUi, links.namespace ?? 'default', held.workflowId, held.temporalRunId);
  const mlflowUrl = mlflowRunId ? mlflowRunUrl(links.mlflowUri, mlflowRunId) : undefined;
  return renderRunReport({ record, drift: await readDriftReport(record), ...(temporalUrl ? { temporalUrl } : {}), ...(mlflowUrl ? { mlflowUrl } : {}) });
}

/** Write-then-rename, so a reader sees a whole page or none. */
export async function writeHtmlAtomic(file: string, html: string): Promise<void> {
  const tmp = `${file}.${randomUUID()}.tmp`;
  await writeFile(tmp, html);
  await rename(tmp, file);
}

/** Writes `report.html` next to the record (`<record>.html`) and returns its path. */
export async function writeRunReport(recordFile: string, record: RunRecord, links: ReportLinks = {}): Promise<string> {
  const file = reportFileOf(recordFile);
  await writeHtmlAtomic(file, await buildRunReport(record, links));
  return file;
}
