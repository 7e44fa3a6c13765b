import { randomUUID } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { RetrainError, FailureType, isWorkflowNotFound } from '../errors.js';
import { controllerId, controllerStatus, sendTrigger } from './controller.js';
import { type retrainPipeline } from '../workflows/index.js';
import { pipelineStepQuery } from '../workflows/messages.js';
import { type ControllerStatus, type RequestStatus } from '../workflows/retrain-controller.js';
import { runForQuery } from '../workflows/messages.js';
import { pipelineWorkflowId } from '../workflows/workflow-ids.js';
import type { PipelineResult, TriggerReason } from '../workflows/types.js';

export { pipelineWorkflowId };

export interface RunRequest {
  model: string;
  reason?: TriggerReason;
  source: string;
  details?: Record<string, unknown>;
  idempotencyKey?: string;
  /** A forced trigger: skips the coalescing wait and the evidence check. */
  force?: boolean;
  /** Skip the coalescing wait, but let the evidence policy decide (what a person running it by hand expects). */
  now?: boolean;
  taskQueue?: string;
  /** The run that answers the trigger is known (it may be a run that was already waiting). */
  onStarted?: (workflowId: string) => void;
  onStep?: (step: string) => void;
  /** The controller's phase while the trigger waits for its run (coalescing, or a run ahead of it). */
  onWaiting?: (status: ControllerStatus) => void;
  pollMs?: number;
}

export type RunAnswer =
  | { state: 'finished'; workflowId: string; result: PipelineResult }
  /** Dropped as a duplicate idempotency key: an earlier trigger with that key was counted. */
  | { state: 'duplicate' }
  /** Accepted, but too many waiters on this controller to say which run answers it. */
  | { state: 'untracked' };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The one way to run the pipeline and wait for it: a trigger to the model's controller (so its
 * one-run-at-a-time gate, memory and cooldown apply), then the result of the run that answers
 * it. The trigger carries a unique requestId; the controller's `runFor` query says which run
 * took it: the run starting now, one already waiting (coalesced), or the follow-up after the
 * run in progress.
 */
export async function requestRun(client: Client, input: RunRequest): Promise<RunAnswer> {
  const requestId = randomUUID();
  await sendTrigger(client, {
    model: input.model,
    ...(input.taskQueue ? { taskQueue: input.taskQueue } : {}),
    trigger: {
      reason: input.reason ?? 'manual',
      source: input.source,
      requestId,
      ...(input.details ? { details: input.details } : {}),
      ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {}),
      ...(input.force ? { force: true } : {}),
      ...(input.now ? { now: true } : {}),
    },
  });
  const pollMs = input.pollMs ?? 500;
  const controller = client.workflow.getHandle(controllerId(input.model));
  let answer: RequestStatus = { state: 'unknown' };
  let seenPending = false;
  let lastPhase = '';
  // A signal delivered by signal-with-start is in the history before this returns, and queries
  // see it; "unknown" for long means the controller was replaced (terminated) under us.
  for (let unknownPolls = 0; ; ) {
    try {
      answer = await controller.query(runForQuery, requestId);
    } catch (err) {
      // Before its first workflow task a new controller cannot answer queries; a worker may be starting.
      if (isWorkflowNotFound(err) || ++unknownPolls > 240) {
        throw new Error(`${controllerId(input.model)} does not answer (${(err as Error).message}); is a worker running on its task queue?`, { cause: err });
      }
      await sleep(pollMs);
      continue;
    }
    if (answer.state === 'started') break;
    if (answer.state === 'duplicate' || answer.state === 'untracked') return { state: answer.state };
    if (answer.state === 'refused') throw new RetrainError(FailureType.Config, `trigger refused by ${controllerId(input.model)}: ${answer.reason}`);
    if (answer.state === 'pending') seenPending = true;
    else if (seenPending || ++unknownPolls > 240) {
      throw new Error(`${controllerId(input.model)} lost track of trigger ${requestId} (controller restarted?); see retrain status ${input.model}`);
    }
    if (input.onWaiting) {
      const s = await controllerStatus(client, input.model);
      // The run may have started between the two queries: then "waiting behind it" would name our own run.
      const again = await controller.query(runForQuery, requestId).catch(() => answer);
      if (again.state === 'started') {
        answer = again;
        break;
      }
      const phase = s ? `${s.phase}:${s.runAt ?? ''}:${s.running?.workflowId ?? ''}` : '';
      if (s && phase !== lastPhase) input.onWaiting(s);
      lastPhase = phase;
    }
    await sleep(pollMs);
  }
  const workflowId = answer.workflowId;
  input.onStarted?.(workflowId);
  const handle = client.workflow.getHandle<typeof retrainPipeline>(workflowId);
  // The controller names the run just before it starts it as a child; wait until it exists.
  for (let i = 0; ; i++) {
    try {
      await handle.describe();
      break;
    } catch (err) {
      if (!isWorkflowNotFound(err) || i > 600) throw err;
      await sleep(200);
    }
  }
  const result = await waitWithProgress(handle, input.onStep ?? (() => {}));
  return { state: 'finished', workflowId, result };
}

/** The steps every retraining run goes through, in order, before the conditional ones (approval, deploy, watch). */
const LINEAR_STEPS = ['check', 'validate', 'train', 'evaluate', 'register'];
const AFTER_REGISTER = ['approval', 'promote', 'deploy', 'watch'];
/** Position in LINEAR_STEPS; a step past register (approval, promote, deploy, watch) means every linear step ran. */
// `queue` (waiting for a fleet training slot) ranks halfway between validate and train.
const linearRank = (step: string) => (AFTER_REGISTER.includes(step) ? LINEAR_STEPS.length : step === 'queue' ? LINEAR_STEPS.indexOf('train') - 0.5 : LINEAR_STEPS.indexOf(step));

/** The linear steps a run passed between two polls that saw `last` and then `step`. */
export function stepsBetween(last: string, step: string): string[] {
  const from = Math.floor(linearRank(last)) + 1;
  const to = Math.ceil(linearRank(step));
  return to > from ? LINEAR_STEPS.slice(from, to) : [];
}

/**
 * The steps a finished run proves it entered that no poll reported: a result can arrive before a poll saw its last
 * steps (a fast register and promote), and progress then stopped at "evaluate". Only steps up to the first one past
 * register, and only when the last one reported was a linear step.
 */
export function stepsAfterResult(last: string, result: PipelineResult): string[] {
  const reached = result.outcome === 'failed' ? result.step : 'version' in result ? (result.outcome === 'rejected' ? 'register' : 'promote') : null;
  if (!reached || linearRank(reached) < 0 || (last && linearRank(last) >= LINEAR_STEPS.length) || reached === last) return [];
  if (last && linearRank(reached) < linearRank(last)) return [];
  return [...stepsBetween(last, reached), reached];
}

/** Waits for the result, reporting each step as the pipeline enters it. */
export async function waitWithProgress(
  handle: WorkflowHandle<typeof retrainPipeline>,
  onStep: (step: string) => void,
): Promise<PipelineResult> {
  let last = '';
  let done = false;
  // A step query can hang (no worker answers queries for the run's queue any more); abort the
  // ones in flight when the result arrives, so nothing outlives this call.
  // One controller per query (a shared signal would collect a listener per poll for the whole run).
  const inFlight = new Set<AbortController>();
  const poll = setInterval(() => {
    const ac = new AbortController();
    inFlight.add(ac);
    handle.client
      .withAbortSignal(ac.signal, () => handle.query(pipelineStepQuery))
      .then((step) => {
        // A query answered after the result would report a step the run has already left.
        if (done || step === last) return;
        // Steps passed between two polls ran all the same: the pipeline's first steps always run in this order.
        for (const passed of stepsBetween(last, step)) onStep(passed);
        onStep((last = step));
      })
      .catch(() => {})
      .finally(() => inFlight.delete(ac));
  }, 500);
  try {
    const result = await handle.result();
    done = true;
    for (const step of stepsAfterResult(last, result)) onStep(step);
    return result;
  } finally {
    done = true;
    clearInterval(poll);
    for (const ac of inFlight) ac.abort();
  }
}
