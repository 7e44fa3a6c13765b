import { Context } from '@temporalio/activity';
import { isWorkflowNotFound } from '../errors.js';
import type { Client } from '@temporalio/client';
import type { PipelineResult } from '../workflows/types.js';
import { RUN_FINISHED_REASON_CHARS, runFinished, type RunFinished } from '../workflows/messages.js';
import { pipelineWorkflowIdPrefix } from '../workflows/workflow-ids.js';

/** A pipeline run the controller waits for without holding it as a child. */
export interface RunRef {
  workflowId: string;
  /** Temporal's run id of the execution. */
  temporalRunId: string;
}

export type RunState = { state: 'running' } | { state: 'closed'; finished: RunFinished };

/** A value inside a single-quoted visibility query string. */
const quoted = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;


/** Whether a run still runs and, once closed, how it ended. Cheap: one describe (and one result read). */
export async function describeRun(client: Client, ref: RunRef): Promise<RunState> {
  const handle = client.workflow.getHandle(ref.workflowId, ref.temporalRunId, { followRuns: false });
  let status: string;
  try {
    status = (await handle.describe()).status.name;
  } catch (err) {
    if (!isWorkflowNotFound(err)) throw err;
    status = 'NOT_FOUND';
  }
  if (status === 'RUNNING') return { state: 'running' };
  if (status === 'COMPLETED') return { state: 'closed', finished: runFinished(ref.workflowId, (await handle.result()) as PipelineResult) };
  // The pipeline reports its own failures as results: anything else was terminated, timed out or cancelled.
  const reason = `pipeline ended abnormally: ${status}`.slice(0, RUN_FINISHED_REASON_CHARS);
  return { state: 'closed', finished: { workflowId: ref.workflowId, outcome: 'failed', reason, version: null, breaches: null } };
}

/**
 * The oldest running pipeline of a model, by visibility (the RetrainModel search attribute, set at
 * start, or the workflow id prefix). Visibility is eventually consistent: a run started a moment
 * ago may not be listed yet (on an idle dev server, tens of milliseconds).
 */
export async function findRunningRun(client: Client, model: string, exclude: string[] = []): Promise<(RunRef & { startedAt: string }) | null> {
  const query =
    `WorkflowType = 'retrainPipeline' AND ExecutionStatus = 'Running' AND ` +
    `(RetrainModel = ${quoted(model)} OR WorkflowId STARTS_WITH ${quoted(pipelineWorkflowIdPrefix(model))})`;
  let oldest: (RunRef & { startedAt: string }) | null = null;
  for await (const w of client.workflow.list({ query, pageSize: 100 })) {
    if (exclude.includes(w.workflowId)) continue;
    if (!oldest || w.startTime.toISOString() < oldest.startedAt) oldest = { workflowId: w.workflowId, temporalRunId: w.runId, startedAt: w.startTime.toISOString() };
  }
  return oldest;
}

export function createControllerSteps() {
  return {
    /** The controller's safety net for a run it does not hold as a child: still running, or how it ended. */
    async describePipeline(input: RunRef): Promise<RunState> {
      return describeRun(Context.current().client, input);
    },
    /** A fresh controller's question: does a pipeline of this model still run (left by a terminated controller)? */
    async findRunningPipeline(input: { model: string; exclude?: string[] }): Promise<(RunRef & { startedAt: string }) | null> {
      return findRunningRun(Context.current().client, input.model, input.exclude ?? []);
    },
  };
}
