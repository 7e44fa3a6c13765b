import {
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  executeChild,
  isCancellation,
  metricMeter,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { parseDurationMs } from '../duration.js';
import { EMPTY_MEMORY, type PolicyMemory } from '../policy/trigger-policy.js';
import { RetrainModel } from '../temporal/search-attributes.js';
import { countReasons, retrainPipeline } from './retrain-pipeline.js';
import type { CoalescedTriggers, PipelineOutcome, TriggerReason, TriggerRequest } from './types.js';

/** Details of this many triggers travel with a run; the rest are counted by reason. */
const MAX_TRIGGER_DETAILS = 50;
/** Idempotency keys remembered across runs (and continue-as-new) to drop duplicate deliveries. */
const MAX_REMEMBERED_KEYS = 2000;
const RECENT_RUNS = 20;

export interface RunSummary {
  workflowId: string;
  outcome: PipelineOutcome;
  reason: string;
  version: number | null;
  startedAt: string;
  finishedAt: string;
  triggers: CoalescedTriggers;
}

export interface ControllerState {
  pending: TriggerRequest[];
  /** Counts of pending triggers beyond MAX_TRIGGER_DETAILS, by reason. */
  overflow: CoalescedTriggers;
  seenKeys: string[];
  memory: PolicyMemory;
  recent: RunSummary[];
  counters: { received: number; duplicates: number; runs: number; continuedAsNew: number };
}

export interface ControllerInput {
  model: string;
  state?: ControllerState;
  /** Continue-as-new once the history has this many events (Temporal also suggests it on its own). */
  maxHistoryEvents?: number;
}

export interface ControllerStatus {
  model: string;
  phase: 'idle' | 'waiting' | 'running';
  /** When the coalescing wait ends, while waiting. */
  runAt: string | null;
  running: { workflowId: string; startedAt: string; triggers: CoalescedTriggers } | null;
  pending: { total: number; byReason: CoalescedTriggers['byReason']; first: TriggerRequest[] };
  memory: PolicyMemory;
  recent: RunSummary[];
  counters: ControllerState['counters'];
}

export const triggerSignal = defineSignal<[TriggerRequest]>('trigger');
export const statusQuery = defineQuery<ControllerStatus>('status');

/**
 * Counters exported on the worker's Prometheus endpoint when RETRAIN_METRICS_ADDRESS is set;
 * replay-safe. Created inside the workflow: the meter exists only in workflow context, and this
 * module is also imported by clients for its signal and query definitions.
 */
function controllerCounters() {
  return {
    received: metricMeter.createCounter('retrain_triggers_received', 'triggers', 'trigger signals received by model controllers'),
    duplicate: metricMeter.createCounter('retrain_triggers_duplicate', 'triggers', 'triggers dropped as duplicates by idempotency key'),
    coalesced: metricMeter.createCounter('retrain_triggers_coalesced', 'triggers', 'triggers answered by a pipeline run'),
    runs: metricMeter.createCounter('retrain_runs', 'runs', 'pipeline runs finished, by outcome'),
  };
}

const { planRun } = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: ['ConfigError'] },
  summary: 'read the trigger timing from the config',
});

const emptyState = (): ControllerState => ({
  pending: [],
  overflow: { total: 0, byReason: {} },
  seenKeys: [],
  memory: EMPTY_MEMORY,
  recent: [],
  counters: { received: 0, duplicates: 0, runs: 0, continuedAsNew: 0 },
});

function addCounts(into: CoalescedTriggers, from: CoalescedTriggers): CoalescedTriggers {
  const byReason = { ...into.byReason };
  for (const [k, n] of Object.entries(from.byReason) as [TriggerReason, number][]) byReason[k] = (byReason[k] ?? 0) + n;
  return { total: into.total + from.total, byReason };
}

/**
 * One per model (`retrain-controller/<model>`): the single gate every trigger goes through.
 * It merges bursts of triggers into one pipeline run, never runs two at once, queues at most one
 * follow-up, and keeps the trigger policy's memory between runs.
 */
export async function retrainController(input: ControllerInput): Promise<void> {
  const { model } = input;
  const metrics = controllerCounters();
  const state = input.state ?? emptyState();
  const seen = new Set(state.seenKeys);
  let phase: ControllerStatus['phase'] = 'idle';
  let runAt: number | null = null;
  let running: ControllerStatus['running'] = null;
  let lastArrival = state.pending.length ? Math.max(...state.pending.map((t) => Date.parse(t.receivedAt!))) : 0;

  setHandler(triggerSignal, (trigger) => {
    state.counters.received++;
    metrics.received.add(1, { model, reason: trigger.reason });
    if (trigger.idempotencyKey) {
      if (seen.has(trigger.idempotencyKey)) {
        state.counters.duplicates++;
        metrics.duplicate.add(1, { model });
        return;
      }
      seen.add(trigger.idempotencyKey);
      state.seenKeys.push(trigger.idempotencyKey);
      if (state.seenKeys.length > MAX_REMEMBERED_KEYS) seen.delete(state.seenKeys.shift()!);
    }
    const received = { ...trigger, receivedAt: new Date().toISOString() };
    if (state.pending.length < MAX_TRIGGER_DETAILS || trigger.force) state.pending.push(received);
    else state.overflow = addCounts(state.overflow, countReasons([received]));
    // The newest arrival moves the quiet-period deadline even when its details are not kept.
    lastArrival = Date.now();
  });

  const pendingCount = () => state.pending.length + state.overflow.total;
  setHandler(statusQuery, () => ({
    model,
    phase,
    runAt: runAt === null ? null : new Date(runAt).toISOString(),
    running,
    pending: { ...addCounts(countReasons(state.pending), state.overflow), first: state.pending.slice(0, 10) },
    memory: state.memory,
    recent: state.recent,
    counters: state.counters,
  }));

  upsertSearchAttributes([{ key: RetrainModel, value: model }]);
  const describe = () =>
    setCurrentDetails(
      `**${phase}**${running ? ` — ${running.workflowId}` : ''}; pending ${pendingCount()}; ` +
        `received ${state.counters.received}, duplicates ${state.counters.duplicates}, runs ${state.counters.runs}`,
    );

  const historyFull = () => {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength > (input.maxHistoryEvents ?? 5000);
  };
  const rollOver = async (): Promise<never> => {
    await condition(allHandlersFinished);
    state.counters.continuedAsNew++;
    return continueAsNew<typeof retrainController>({ ...input, state });
  };

  for (;;) {
    phase = 'idle';
    runAt = null;
    describe();
    await condition(() => pendingCount() > 0 || historyFull());
    if (historyFull()) await rollOver();

    const timing = await triggerTiming(model);
    phase = 'waiting';
    // Quiet period after the last trigger, but never more than maxWait after the first; force skips it.
    const firstArrival = Math.min(...state.pending.map((t) => Date.parse(t.receivedAt!)));
    while (!state.pending.some((t) => t.force)) {
      runAt = Math.min(lastArrival + timing.quietMs, firstArrival + timing.maxWaitMs);
      const remaining = runAt - Date.now();
      if (remaining <= 0) break;
      describe();
      const before = state.counters.received;
      await condition(() => state.counters.received !== before || historyFull(), remaining);
      if (historyFull()) await rollOver();
    }

    const batch = state.pending.splice(0);
    const coalesced = addCounts(countReasons(batch), state.overflow);
    state.overflow = { total: 0, byReason: {} };
    const startedAt = new Date();
    const workflowId = `retrain/${model}/${startedAt.toISOString()}`;
    const reasons = Object.keys(coalesced.byReason);
    phase = 'running';
    runAt = null;
    running = { workflowId, startedAt: startedAt.toISOString(), triggers: coalesced };
    describe();
    state.counters.runs++;
    let summary: RunSummary;
    try {
      const result = await executeChild(retrainPipeline, {
        workflowId,
        args: [{ model, triggers: batch, force: batch.some((t) => t.force), memory: state.memory, coalesced }],
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        staticSummary: `retrain ${model}: ${reasons.join(', ')} (${coalesced.total} trigger${coalesced.total === 1 ? '' : 's'})`,
      });
      state.memory = nextMemory(state.memory, result.outcome, result.decision?.breaches ?? null, new Date());
      summary = { workflowId, outcome: result.outcome, reason: result.reason, version: 'version' in result ? result.version : null, startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), triggers: coalesced };
    } catch (err) {
      if (isCancellation(err)) throw err;
      // The pipeline reports its own failures as results; reaching here means it was terminated or timed out.
      summary = { workflowId, outcome: 'failed', reason: `pipeline ended abnormally: ${(err as Error).message}`, version: null, startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), triggers: coalesced };
    }
    running = null;
    metrics.coalesced.add(coalesced.total, { model });
    metrics.runs.add(1, { model, outcome: summary.outcome });
    state.recent = [summary, ...state.recent].slice(0, RECENT_RUNS);
    if (historyFull()) await rollOver();
  }
}

function nextMemory(memory: PolicyMemory, outcome: PipelineOutcome, breaches: number | null, now: Date): PolicyMemory {
  if (outcome === 'promoted' || outcome === 'rejected' || outcome === 'rolled_back') return { lastRetrainAt: now.toISOString(), breaches: 0 };
  if (outcome === 'skipped') return { ...memory, breaches: breaches ?? memory.breaches };
  return memory;
}

/** Quiet period and max wait from the config; a broken config must not stop the controller. */
async function triggerTiming(model: string): Promise<{ quietMs: number; maxWaitMs: number }> {
  try {
    const plan = await planRun({ model });
    return { quietMs: parseDurationMs(plan.trigger.quietPeriod), maxWaitMs: parseDurationMs(plan.trigger.maxWait) };
  } catch (err) {
    if (isCancellation(err)) throw err;
    // The pipeline run will fail with the config error and record it; start it without waiting.
    return { quietMs: 0, maxWaitMs: 0 };
  }
}
