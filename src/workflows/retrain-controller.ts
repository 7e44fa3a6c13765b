import { FailureType } from '../failure-types.js';
import {
  CancellationScope,
  ChildWorkflowCancellationType,
  type ChildWorkflowHandle,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  executeChild,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  metricMeter,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { parseDurationMs } from '../duration.js';
import { rememberBudgetEntry } from '../policy/retrain-budget.js';
import { EMPTY_MEMORY, type PolicyMemory } from '../policy/trigger-policy.js';
import { RetrainModel } from '../temporal/search-attributes.js';
import { jsonBytes, TRIGGER_LIMITS, triggerProblem, utf8Bytes } from '../triggers/trigger-limits.js';
import { countReasons, retrainPipeline } from './retrain-pipeline.js';
import { quickSkip } from './quick-skip.js';
import { runFinished, runFinishedSignal, runForQuery, statusQuery, triggerSignal, type RunFinished } from './messages.js';
import type { CoalescedTriggers, PipelineOutcome, TriggerReason, TriggerRequest } from './types.js';
import { pipelineWorkflowId } from './workflow-ids.js';

export { pipelineWorkflowId };

/**
 * What the controller carries is bounded in bytes, not only in count: it travels as the
 * continue-as-new input and (pending triggers) as the pipeline's input, both Temporal payloads
 * (2 MB blob limit on the dev server). The budgets below keep the whole state under ~450 KB.
 */
export const CONTROLLER_BUDGET = {
  /** Details of at most this many pending triggers travel with a run; the rest are counted by reason. */
  pendingTriggers: 50,
  /** … and at most this many bytes of them (a trigger is at most ~9 KB, see TRIGGER_LIMITS). */
  pendingBytes: 128 * 1024,
  /** Idempotency keys remembered across runs (and continue-as-new) to drop duplicate deliveries. */
  keys: 2000,
  keyBytes: 96 * 1024,
  /** Gateway delivery ids, each kept until its signature can no longer be replayed. */
  deliveries: 3000,
  /** Waiters (requestIds) of triggers counted beyond the pending budget. */
  overflowRequests: 500,
  /** Which run answered which requestId, newest last. */
  answered: 300,
  recentRuns: 20,
  reasonChars: 1000,
  /** Log a warning when the carried state is larger than this. */
  warnStateBytes: 512 * 1024,
  /** Continue-as-new once the history is this large (bytes), before Temporal's limits. */
  historyBytes: 4 * 1024 * 1024,
  /** How often a run carried across continue-as-new (or adopted) is checked, in case it ends without signalling. */
  carriedPollMs: 30_000,
} as const;
/** A delivery id is kept this long after its signature expires, for clock skew between gateway and server. */
const DELIVERY_GRACE_MS = 60_000;

export interface RunSummary {
  workflowId: string;
  outcome: PipelineOutcome;
  reason: string;
  version: number | null;
  startedAt: string;
  finishedAt: string;
  triggers: CoalescedTriggers;
  /** A run this controller found running when it started (left by a terminated controller), not one it started. */
  adopted?: boolean;
  /** A check the controller decided itself (quick-skip.ts): `workflowId` is the check's id, no pipeline ran. */
  decidedIn?: 'controller';
}

/**
 * The pipeline run in flight, carried into continue-as-new: the controller no longer holds it as
 * a child, so it waits for its `runFinished` signal and checks on it (describe by id and run id).
 */
export interface CarriedRun {
  workflowId: string;
  /** Temporal's run id of the pipeline's first execution (`runId` in states carried before 0.3, see normalise). */
  temporalRunId: string;
  startedAt: string;
  triggers: CoalescedTriggers;
  adopted?: boolean;
}

export interface ControllerState {
  pending: TriggerRequest[];
  /** Counts of pending triggers beyond the pending budget, by reason. */
  overflow: CoalescedTriggers;
  /** A trigger counted in `overflow` asked for force. */
  overflowForce?: boolean;
  /** requestIds of triggers counted in `overflow`, so their waiters still learn their run. */
  overflowRequests?: string[];
  seenKeys: string[];
  /** [deliveryId, expires at (epoch ms)] of gateway deliveries, oldest first. */
  deliveries?: [string, number][];
  /** [requestId, workflowId or `!duplicate` / `!refused: why` / `!untracked`], newest last. */
  answered?: [string, string][];
  memory: PolicyMemory;
  recent: RunSummary[];
  /** The pipeline run in flight when the controller continued-as-new. */
  running?: CarriedRun;
  counters: {
    received: number;
    duplicates: number;
    runs: number;
    continuedAsNew: number;
    /** Triggers kept (not duplicates, not refused). */
    accepted?: number;
    /** Signals that were not a valid trigger (shape, reason, ids), or a delivery when the delivery memory is full. */
    refused?: number;
    /** Kept with their `details` (or `source`) cut because they exceeded TRIGGER_LIMITS. */
    truncated?: number;
    /** Gateway deliveries seen before (a replayed signature); also counted in `duplicates`. */
    replays?: number;
    /** Batches skipped by the controller's quick check, with no pipeline run (not counted in `runs`). */
    quickSkips?: number;
  };
}

/** What the `runFor` query says about one requestId. */
export type RequestStatus =
  | { state: 'pending' }
  | { state: 'started'; workflowId: string }
  | { state: 'duplicate' }
  | { state: 'refused'; reason: string }
  | { state: 'untracked' }
  | { state: 'unknown' };

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
  /** Size of the state the controller would carry into continue-as-new, as JSON. */
  stateBytes: number;
}


/**
 * Counters exported on the worker's Prometheus endpoint when RETRAIN_METRICS_ADDRESS is set;
 * replay-safe. Created inside the workflow: the meter exists only in workflow context, and this
 * module is also imported by clients for its signal and query definitions.
 */
function controllerCounters() {
  return {
    received: metricMeter.createCounter('retrain_triggers_received', 'triggers', 'trigger signals received by model controllers'),
    duplicate: metricMeter.createCounter('retrain_triggers_duplicate', 'triggers', 'triggers dropped as duplicates by idempotency key or replayed gateway delivery'),
    refused: metricMeter.createCounter('retrain_triggers_refused', 'triggers', 'trigger signals refused by model controllers (invalid, or delivery memory full)'),
    coalesced: metricMeter.createCounter('retrain_triggers_coalesced', 'triggers', 'triggers answered by a pipeline run'),
    runs: metricMeter.createCounter('retrain_runs', 'runs', 'pipeline runs finished, by outcome'),
  };
}

const timingOptions = {
  startToCloseTimeout: '1m',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: [FailureType.Config as string] },
  summary: 'read the trigger timing from the config',
};
const { planRun } = proxyActivities<Activities>(timingOptions);
// Reading the (cached) config takes a millisecond: as a local activity it costs no activity task and
// no extra workflow task per run, a fifth of a skipped check's round trips in a fleet (BENCHMARKS.md).
const { planRun: planRunLocally } = proxyLocalActivities<Activities>(timingOptions);

// Retries until it answers: a failed activity would fail the controller, and the answer decides
// whether a second pipeline may start.
const { describePipeline } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
  summary: 'is the carried pipeline run still running?',
});

const { findRunningPipeline } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 5, initialInterval: '1s', maximumInterval: '10s' },
  summary: 'is a pipeline of this model still running (left by an earlier controller)?',
});

const emptyState = (): ControllerState => ({
  pending: [],
  overflow: { total: 0, byReason: {} },
  seenKeys: [],
  memory: EMPTY_MEMORY,
  recent: [],
  counters: { received: 0, duplicates: 0, runs: 0, continuedAsNew: 0, accepted: 0, refused: 0, truncated: 0, replays: 0, quickSkips: 0 },
});

/** Fills in what states carried by older controller versions lack. */
function normalise(state: ControllerState): ControllerState {
  state.overflowForce ??= false;
  state.overflowRequests ??= [];
  state.deliveries ??= [];
  state.answered ??= [];
  const c = state.counters;
  c.accepted ??= 0;
  c.refused ??= 0;
  c.truncated ??= 0;
  c.replays ??= 0;
  c.quickSkips ??= 0;
  if (state.running) state.running = withTemporalRunId(state.running);
  return state;
}

/** A run reference recorded before 0.3 (carried state, or a findRunningPipeline result in an old history) named Temporal's run id `runId`. */
function withTemporalRunId<T extends { temporalRunId: string }>(ref: T): T {
  const legacy = ref as T & { runId?: string };
  if (legacy.runId === undefined) return ref;
  const { runId, ...rest } = legacy;
  return { ...rest, temporalRunId: ref.temporalRunId ?? runId } as unknown as T;
}

type Admitted = { ok: true; trigger: TriggerRequest; truncated: boolean } | { ok: false; reason: string; requestId: string | undefined };

/**
 * A signal as it arrived (anything: the Temporal CLI can send any JSON) → a trigger within
 * TRIGGER_LIMITS. Unknown fields are dropped; oversized `details`/`source` are cut and the
 * trigger kept (it still asks for a retrain); a wrong shape, reason or id is refused.
 */
function admit(raw: unknown): Admitted {
  const r = (raw && typeof raw === 'object' && !Array.isArray(raw) ? raw : {}) as Record<string, unknown>;
  const requestId = typeof r.requestId === 'string' && r.requestId.length <= TRIGGER_LIMITS.requestIdChars ? r.requestId : undefined;
  const source = typeof r.source === 'string' ? r.source : '';
  const tooBig = jsonBytes(r.details) > TRIGGER_LIMITS.detailsBytes || (r.details !== undefined && (typeof r.details !== 'object' || r.details === null || Array.isArray(r.details)));
  const cut = {
    reason: r.reason,
    source: source.slice(0, TRIGGER_LIMITS.sourceChars) || '(none)',
    ...(r.details === undefined ? {} : { details: tooBig ? { truncated: true, bytes: Math.min(jsonBytes(r.details), Number.MAX_SAFE_INTEGER) } : r.details }),
    ...(r.idempotencyKey === undefined ? {} : { idempotencyKey: r.idempotencyKey }),
    ...(r.force === undefined ? {} : { force: r.force }),
    ...(r.now === undefined ? {} : { now: r.now }),
    ...(r.requestId === undefined ? {} : { requestId: r.requestId }),
    ...(r.deliveryId === undefined ? {} : { deliveryId: r.deliveryId }),
    ...(r.deliveryExpiresAt === undefined ? {} : { deliveryExpiresAt: r.deliveryExpiresAt }),
  };
  const problem = triggerProblem(cut);
  if (problem) return { ok: false, reason: `${problem.field}: ${problem.message}`, requestId };
  return { ok: true, trigger: cut as TriggerRequest, truncated: tooBig || source.length > TRIGGER_LIMITS.sourceChars || source.length === 0 };
}

const keyCost = (k: string) => utf8Bytes(k) + 3;

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
  const state = normalise(input.state ?? emptyState());
  // New controllers also continue-as-new on history bytes; recorded histories replay without it.
  const bounded = patched('controller-bounded-state');
  // New controllers start pipelines abandoned on close and carry the run in flight into
  // continue-as-new; recorded histories replay the old executeChild path.
  const carryRun = patched('controller-carry-run');
  // New controllers remember the runs that trained (for trigger.budget) and carry them across
  // continue-as-new in state.memory; recorded histories replay without it.
  const budgets = patched('controller-budget-window');
  // A batch nobody waits on is checked by the controller first (quick-skip.ts). Asked here, before any
  // local activity: a patch first asked after one resolved does not replay reliably.
  const quickFirst = patched('controller-quick-skip');
  // The two patches the loop needs are asked here too, for the same reason; histories recorded before
  // `controller-patches-first` ask them in the loop, where they were first recorded.
  const patchesFirst = patched('controller-patches-first');
  const forcedSkipsTiming = patchesFirst ? patched('controller-forced-skips-timing') : undefined;
  const localTiming = patchesFirst ? patched('controller-local-timing') : undefined;
  const remember = (outcome: PipelineOutcome, breaches: number | null, trainingMs: number | undefined) => {
    state.memory = nextMemory(state.memory, outcome, breaches, new Date(), budgets ? trainingMs : undefined);
  };
  const seen = new Set(state.seenKeys);
  let keyBytes = state.seenKeys.reduce((n, k) => n + keyCost(k), 0);
  let pendingBytes = state.pending.reduce((n, t) => n + jsonBytes(t), 0);
  const deliveries = new Map(state.deliveries);
  let phase: ControllerStatus['phase'] = 'idle';
  let runAt: number | null = null;
  let running: ControllerStatus['running'] = null;
  let lastArrival = state.pending.length ? Math.max(...state.pending.map((t) => Date.parse(t.receivedAt!))) : 0;
  /** The carried run's pipeline said it finished: check on it now rather than at the next poll. */
  let wake = false;

  const answer = (requestId: string | undefined, to: string) => {
    if (!requestId) return;
    state.answered!.push([requestId, to]);
    if (state.answered!.length > CONTROLLER_BUDGET.answered) state.answered!.splice(0, state.answered!.length - CONTROLLER_BUDGET.answered);
  };
  /** Remembers a delivery until its signature expires; false when the memory is full of live ones. */
  const rememberDelivery = (id: string, expiresAt: number): boolean => {
    const now = Date.now();
    if (state.deliveries!.length >= CONTROLLER_BUDGET.deliveries) {
      state.deliveries = state.deliveries!.filter(([, exp]) => exp + DELIVERY_GRACE_MS > now);
      deliveries.clear();
      for (const [d, exp] of state.deliveries) deliveries.set(d, exp);
    }
    // Full of deliveries that could still be replayed: refusing is the only way to never count a replay twice.
    if (state.deliveries!.length >= CONTROLLER_BUDGET.deliveries) return false;
    state.deliveries!.push([id, expiresAt]);
    deliveries.set(id, expiresAt);
    return true;
  };

  setHandler(triggerSignal, (raw) => {
    state.counters.received++;
    const admitted = admit(raw);
    if (!admitted.ok) {
      state.counters.refused!++;
      metrics.refused.add(1, { model });
      answer(admitted.requestId, `!refused: ${admitted.reason}`);
      log.warn('trigger refused', { model, reason: admitted.reason });
      return;
    }
    const trigger = admitted.trigger;
    metrics.received.add(1, { model, reason: trigger.reason });
    if (trigger.deliveryId) {
      const known = deliveries.get(trigger.deliveryId);
      if (known !== undefined && known + DELIVERY_GRACE_MS > Date.now()) {
        state.counters.duplicates++;
        state.counters.replays!++;
        metrics.duplicate.add(1, { model });
        answer(trigger.requestId, '!duplicate');
        return;
      }
      const expires = trigger.deliveryExpiresAt ? Date.parse(trigger.deliveryExpiresAt) : Date.now();
      if (!rememberDelivery(trigger.deliveryId, expires)) {
        state.counters.refused!++;
        metrics.refused.add(1, { model });
        answer(trigger.requestId, '!refused: delivery memory full');
        log.warn('gateway delivery refused: too many live deliveries to remember', { model, limit: CONTROLLER_BUDGET.deliveries });
        return;
      }
    }
    if (trigger.idempotencyKey) {
      if (seen.has(trigger.idempotencyKey)) {
        state.counters.duplicates++;
        metrics.duplicate.add(1, { model });
        answer(trigger.requestId, '!duplicate');
        return;
      }
      seen.add(trigger.idempotencyKey);
      state.seenKeys.push(trigger.idempotencyKey);
      keyBytes += keyCost(trigger.idempotencyKey);
      while (state.seenKeys.length > CONTROLLER_BUDGET.keys || keyBytes > CONTROLLER_BUDGET.keyBytes) {
        const old = state.seenKeys.shift()!;
        seen.delete(old);
        keyBytes -= keyCost(old);
      }
    }
    state.counters.accepted!++;
    if (admitted.truncated) state.counters.truncated!++;
    const received = { ...trigger, receivedAt: new Date().toISOString() };
    const cost = jsonBytes(received);
    if (state.pending.length < CONTROLLER_BUDGET.pendingTriggers && pendingBytes + cost <= CONTROLLER_BUDGET.pendingBytes) {
      state.pending.push(received);
      pendingBytes += cost;
    } else {
      state.overflow = addCounts(state.overflow, countReasons([received]));
      if (received.force) state.overflowForce = true;
      if (received.requestId) {
        if (state.overflowRequests!.length < CONTROLLER_BUDGET.overflowRequests) state.overflowRequests!.push(received.requestId);
        else answer(received.requestId, '!untracked');
      }
    }
    // The newest arrival moves the quiet-period deadline even when its details are not kept.
    lastArrival = Date.now();
  });

  // Registered on every path (it issues no command), so a pipeline's report never waits unhandled.
  setHandler(runFinishedSignal, (report) => {
    if (state.running && report && typeof report === 'object' && report.workflowId === state.running.workflowId) wake = true;
  });

  setHandler(runForQuery, (requestId) => {
    for (let i = state.answered!.length - 1; i >= 0; i--) {
      const [id, to] = state.answered![i]!;
      if (id !== requestId) continue;
      if (to === '!duplicate') return { state: 'duplicate' };
      if (to === '!untracked') return { state: 'untracked' };
      if (to.startsWith('!refused: ')) return { state: 'refused', reason: to.slice('!refused: '.length) };
      return { state: 'started', workflowId: to };
    }
    if (state.pending.some((t) => t.requestId === requestId) || state.overflowRequests!.includes(requestId)) return { state: 'pending' };
    return { state: 'unknown' };
  });

  const carried = (): ControllerState => {
    state.deliveries = [...deliveries.entries()].filter(([, exp]) => exp + DELIVERY_GRACE_MS > Date.now());
    return state;
  };

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
    stateBytes: jsonBytes({ ...input, state }),
  }));

  upsertSearchAttributes([{ key: RetrainModel, value: model }]);
  const describe = () =>
    setCurrentDetails(
      `**${phase}**${running ? ` — ${running.workflowId}` : ''}; pending ${pendingCount()}; ` +
        `received ${state.counters.received}, duplicates ${state.counters.duplicates}, runs ${state.counters.runs}, quick skips ${state.counters.quickSkips}` +
        (state.recent[0] ? `\n\nlast: ${state.recent[0].workflowId} ${state.recent[0].outcome}: ${state.recent[0].reason.slice(0, 300)}` : ''),
    );

  const historyFull = () => {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength > (input.maxHistoryEvents ?? 5000) || (bounded && info.historySize > CONTROLLER_BUDGET.historyBytes);
  };
  const rollOver = async (): Promise<never> => {
    await condition(allHandlersFinished);
    state.counters.continuedAsNew++;
    const next = { ...input, state: carried() };
    const bytes = jsonBytes(next);
    if (bytes > CONTROLLER_BUDGET.warnStateBytes) log.warn('controller state is large', { model, bytes });
    return continueAsNew<typeof retrainController>(next);
  };
  const forcePending = () => state.overflowForce || state.pending.some((t) => t.force);
  // Old histories carry no `now`, so this only changes runs that ask for it.
  const nowPending = () => state.pending.some((t) => t.now);

  const record = (summary: RunSummary) => {
    running = null;
    delete state.running;
    metrics.coalesced.add(summary.triggers.total, { model });
    metrics.runs.add(1, { model, outcome: summary.outcome });
    state.recent = [summary, ...state.recent].slice(0, CONTROLLER_BUDGET.recentRuns);
  };
  const settle = (run: CarriedRun, finished: RunFinished) => {
    remember(finished.outcome, finished.breaches, finished.trainingMs);
    record({
      workflowId: run.workflowId,
      outcome: finished.outcome,
      reason: finished.reason.slice(0, CONTROLLER_BUDGET.reasonChars),
      version: finished.version,
      startedAt: run.startedAt,
      finishedAt: new Date().toISOString(),
      triggers: run.triggers,
      ...(run.adopted ? { adopted: true } : {}),
    });
  };
  const abnormal = (workflowId: string, err: unknown): RunFinished => ({
    workflowId,
    outcome: 'failed',
    reason: `pipeline ended abnormally: ${(err as Error).message}`.slice(0, CONTROLLER_BUDGET.reasonChars),
    version: null,
    breaches: null,
  });

  /**
   * Waits for a run this controller does not hold as a child (carried across continue-as-new, or
   * adopted): the pipeline's `runFinished` signal wakes it, and a describe every carriedPollMs
   * catches runs that end without one (terminated, timed out, cancelled, started by older code).
   * The describe decides, so the next run never starts before this one is closed.
   */
  const awaitCarried = async (run: CarriedRun): Promise<RunFinished> => {
    for (;;) {
      const seen = await describePipeline({ workflowId: run.workflowId, temporalRunId: run.temporalRunId });
      if (seen.state === 'closed') return seen.finished;
      // Signalled but not closed yet: the pipeline is finishing its last workflow task.
      const signalled = wake;
      wake = false;
      await condition(() => wake || historyFull(), signalled ? 1000 : CONTROLLER_BUDGET.carriedPollMs);
      if (historyFull()) await rollOver();
    }
  };

  /**
   * A controller started without state (first use, or after `temporal workflow terminate`) may
   * find a pipeline of its model still running: pipelines are abandoned when a controller closes.
   * It waits for that run rather than start a second one. Visibility is eventually consistent, so
   * a pipeline started a moment (tens of milliseconds on an idle dev server) before the terminate can be missed.
   */
  const adopted: string[] = [];
  const adopt = async () => {
    let found: Awaited<ReturnType<typeof findRunningPipeline>> = null;
    try {
      found = await findRunningPipeline({ model, exclude: adopted });
    } catch (err) {
      if (isCancellation(err)) throw err;
      log.error('could not ask whether a pipeline of this model still runs; going on without adopting one', { model, error: String(err) });
    }
    if (!found) return;
    adopted.push(found.workflowId);
    const ref = withTemporalRunId(found);
    state.running = { workflowId: ref.workflowId, temporalRunId: ref.temporalRunId, startedAt: ref.startedAt, triggers: { total: 0, byReason: {} }, adopted: true };
    wake = false;
  };

  const startRun = async (workflowId: string, startedAt: Date, args: Parameters<typeof retrainPipeline>[0], staticSummary: string): Promise<RunSummary> => {
    const triggers = args.coalesced!;
    const summaryOf = (finished: RunFinished): RunSummary => ({ workflowId, outcome: finished.outcome, reason: finished.reason.slice(0, CONTROLLER_BUDGET.reasonChars), version: finished.version, startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), triggers });
    if (!carryRun) {
      try {
        const result = await executeChild(retrainPipeline, { workflowId, args: [args], parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL, staticSummary });
        remember(result.outcome, result.decision?.breaches ?? null, result.trainingMs);
        return summaryOf(runFinished(workflowId, result));
      } catch (err) {
        if (isCancellation(err)) throw err;
        // The pipeline reports its own failures as results; reaching here means it was terminated or timed out.
        return summaryOf(abnormal(workflowId, err));
      }
    }
    // Abandoned on close, so continue-as-new (and a terminated controller) leaves it running; started
    // outside the cancellable scope, so only the explicit cancel below (controller cancelled) reaches it.
    let child: ChildWorkflowHandle<typeof retrainPipeline>;
    try {
      child = await CancellationScope.nonCancellable(() =>
        startChild(retrainPipeline, {
          workflowId,
          args: [args],
          parentClosePolicy: ParentClosePolicy.ABANDON,
          cancellationType: ChildWorkflowCancellationType.ABANDON,
          staticSummary,
          // Set at start, so a controller started after a terminate finds it at once (see adopt).
          typedSearchAttributes: [{ key: RetrainModel, value: model }],
        }),
      );
    } catch (err) {
      if (isCancellation(err)) throw err;
      return summaryOf(abnormal(workflowId, err));
    }
    state.running = { workflowId, temporalRunId: child.firstExecutionRunId, startedAt: startedAt.toISOString(), triggers };
    wake = false;
    let done: RunFinished | undefined;
    child.result().then(
      (result) => (done = runFinished(workflowId, result)),
      (err) => (done = abnormal(workflowId, err)),
    );
    await condition(() => done !== undefined || historyFull());
    if (done === undefined) await rollOver();
    remember(done!.outcome, done!.breaches, done!.trainingMs);
    return summaryOf(done!);
  };

  const loop = async (): Promise<never> => {
    if (carryRun && !input.state) await adopt();
    for (;;) {
      if (carryRun && state.running) {
        const run = state.running;
        phase = 'running';
        runAt = null;
        running = { workflowId: run.workflowId, startedAt: run.startedAt, triggers: run.triggers };
        describe();
        settle(run, await awaitCarried(run));
        if (run.adopted) await adopt();
        if (historyFull()) await rollOver();
        continue;
      }
      phase = 'idle';
      runAt = null;
      describe();
      await condition(() => pendingCount() > 0 || historyFull());
      if (historyFull()) await rollOver();

      // A forced (or "now") batch waits for no quiet period, so it need not read the timing first; histories
      // recorded before read it for every batch.
      const waitsNot = (forcePending() || nowPending()) && (forcedSkipsTiming ?? patched('controller-forced-skips-timing'));
      const timing = waitsNot ? { quietMs: 0, maxWaitMs: 0 } : await triggerTiming(model, localTiming);
      phase = 'waiting';
      // Quiet period after the last trigger, but never more than maxWait after the first; force (and now) skip it.
      const firstArrival = Math.min(...state.pending.map((t) => Date.parse(t.receivedAt!)));
      while (!forcePending() && !nowPending()) {
        runAt = Math.min(lastArrival + timing.quietMs, firstArrival + timing.maxWaitMs);
        const remaining = runAt - Date.now();
        if (remaining <= 0) break;
        describe();
        const before = state.counters.received;
        await condition(() => state.counters.received !== before || historyFull(), remaining);
        if (historyFull()) await rollOver();
      }

      const force = forcePending();
      const batch = state.pending.splice(0);
      pendingBytes = 0;
      const coalesced = addCounts(countReasons(batch), state.overflow);
      state.overflow = { total: 0, byReason: {} };
      state.overflowForce = false;
      const waiters = [...batch.flatMap((t) => (t.requestId ? [t.requestId] : [])), ...state.overflowRequests!.splice(0)];
      const startedAt = new Date();
      // A batch nobody waits on (schedule ticks, fire-and-forget signals) that the cheap evidence
      // skips is decided here, with no pipeline run (quick-skip.ts). Waiters await a pipeline's
      // result, so their batches always start one. Histories recorded before replay without it.
      if (!force && waiters.length === 0 && quickFirst) {
        const skip = await quickSkip(model, batch, coalesced, state.memory, startedAt);
        if (skip) {
          state.counters.quickSkips!++;
          remember('skipped', skip.decision.breaches, undefined);
          record({ workflowId: skip.checkId, outcome: 'skipped', reason: skip.reason.slice(0, CONTROLLER_BUDGET.reasonChars), version: null, startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), triggers: coalesced, decidedIn: 'controller' });
          if (historyFull()) await rollOver();
          continue;
        }
      }
      const workflowId = pipelineWorkflowId(model, startedAt);
      for (const id of waiters) answer(id, workflowId);
      const reasons = Object.keys(coalesced.byReason);
      phase = 'running';
      runAt = null;
      running = { workflowId, startedAt: startedAt.toISOString(), triggers: coalesced };
      describe();
      state.counters.runs++;
      const staticSummary = `retrain ${model}: ${reasons.join(', ')} (${coalesced.total} trigger${coalesced.total === 1 ? '' : 's'})`;
      const summary = await startRun(workflowId, startedAt, { model, triggers: batch, force, memory: state.memory, coalesced }, staticSummary);
      record(summary);
      if (historyFull()) await rollOver();
    }
  };

  try {
    return await loop();
  } catch (err) {
    // Cancelling the controller cancels its run in flight, as REQUEST_CANCEL did for a child.
    const run = state.running;
    if (carryRun && run && isCancellation(err)) {
      await CancellationScope.nonCancellable(() => getExternalWorkflowHandle(run.workflowId, run.temporalRunId).cancel()).catch((e: unknown) =>
        log.warn('could not cancel the running pipeline', { model, workflowId: run.workflowId, error: String(e) }),
      );
    }
    throw err;
  }
}

/**
 * `trainingMs` is set (budget-aware controllers) when the run reached the train step: the run then
 * enters the budget window, counted as a retrain when it trained a candidate.
 */
function nextMemory(memory: PolicyMemory, outcome: PipelineOutcome, breaches: number | null, now: Date, trainingMs?: number): PolicyMemory {
  const candidate = outcome === 'promoted' || outcome === 'rejected' || outcome === 'rolled_back';
  const budget = trainingMs === undefined ? memory.budget : rememberBudgetEntry(memory.budget, { at: now.toISOString(), trainingMs, candidate });
  const kept = budget ? { budget } : {};
  if (candidate) return { lastRetrainAt: now.toISOString(), breaches: 0, ...kept };
  if (outcome === 'skipped') return { ...memory, breaches: breaches ?? memory.breaches, ...kept };
  return { ...memory, ...kept };
}

/** Quiet period and max wait from the config; a broken config must not stop the controller. */
async function triggerTiming(model: string, local: boolean | undefined): Promise<{ quietMs: number; maxWaitMs: number }> {
  try {
    // Recorded histories replay the activity-task path.
    const plan = await ((local ?? patched('controller-local-timing')) ? planRunLocally : planRun)({ model });
    return { quietMs: parseDurationMs(plan.trigger.quietPeriod), maxWaitMs: parseDurationMs(plan.trigger.maxWait) };
  } catch (err) {
    if (isCancellation(err)) throw err;
    // The pipeline run will fail with the config error and record it; start it without waiting.
    return { quietMs: 0, maxWaitMs: 0 };
  }
}
