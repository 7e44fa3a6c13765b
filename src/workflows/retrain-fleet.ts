import { acquireSignal, fleetGrantSignal, fleetQuery, releaseSignal } from './messages.js';
import { allHandlersFinished, condition, continueAsNew, getExternalWorkflowHandle, isCancellation, log, proxyActivities, setCurrentDetails, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';

/** A pipeline asking for a training slot; each controller runs one pipeline at a time, so one per model. */
export interface FleetRequest {
  workflowId: string;
  model: string;
  /** fleet.maxConcurrentTrainings as the requester read it: the newest request sets the limit. */
  limit: number;
}

export interface FleetEntry {
  workflowId: string;
  model: string;
  /** When the fleet received the request (queued) or granted it (holders), on its own clock. */
  at: string;
}

export interface FleetState {
  limit: number;
  holders: FleetEntry[];
  /** FIFO by arrival at the fleet. */
  queue: FleetEntry[];
  counters: { granted: number; released: number; dropped: number; continuedAsNew: number };
  /** The last FLEET_BUDGET.grants grants, oldest first: the order slots were given in. */
  grants: FleetEntry[];
}

export type FleetStatus = FleetState;


export const FLEET_BUDGET = {
  /** Requests beyond this are refused (logged): a queue this long means something is wrong upstream. */
  queue: 1000,
  /** How often holders and queued requests are checked for pipelines that closed without releasing. */
  checkMs: 30_000,
  historyEvents: 4000,
  grants: 50,
} as const;

const { closedWorkflows } = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
  summary: 'which slot holders and waiters have closed without releasing',
});

/**
 * One per task queue (`retrain-fleet/<queue>`): a counting semaphore for the train step across
 * models. Pipelines signal-with-start `acquire`, wait for `fleetGrant`, and `release` when the
 * train step ends (also when it fails or the pipeline is cancelled). As a safety net it describes
 * holders and waiters every 30 s and drops closed ones (terminated or timed-out pipelines).
 */
export async function retrainFleet(input: { state?: FleetState }): Promise<void> {
  const { workflowId: fleetId } = workflowInfo();
  const state: FleetState = input.state ?? { limit: 1, holders: [], queue: [], counters: { granted: 0, released: 0, dropped: 0, continuedAsNew: 0 }, grants: [] };
  let changed = true;
  let lastCheck = Date.now();
  /** Holders that asked again (a pipeline re-asks while it waits): their grant is sent again. */
  const regrant = new Set<string>();
  const known = (id: string) => state.holders.some((h) => h.workflowId === id) || state.queue.some((q) => q.workflowId === id);

  setHandler(acquireSignal, (r) => {
    if (!r || typeof r.workflowId !== 'string' || typeof r.model !== 'string' || !Number.isInteger(r.limit) || r.limit < 1) {
      log.warn('fleet: malformed acquire ignored', { request: JSON.stringify(r).slice(0, 300) });
      return;
    }
    state.limit = r.limit;
    changed = true;
    if (state.holders.some((h) => h.workflowId === r.workflowId)) regrant.add(r.workflowId);
    else if (!known(r.workflowId)) {
      if (state.queue.length >= FLEET_BUDGET.queue) log.error('fleet: queue full, request dropped', { workflowId: r.workflowId });
      else state.queue.push({ workflowId: r.workflowId, model: r.model, at: new Date().toISOString() });
    }
  });
  setHandler(releaseSignal, (r) => {
    const before = state.holders.length + state.queue.length;
    state.holders = state.holders.filter((h) => h.workflowId !== r?.workflowId);
    state.queue = state.queue.filter((q) => q.workflowId !== r?.workflowId);
    if (state.holders.length + state.queue.length < before) state.counters.released++;
    changed = true;
  });
  setHandler(fleetQuery, () => state);

  const grant = async (workflowId: string) => {
    try {
      await getExternalWorkflowHandle(workflowId).signal(fleetGrantSignal, { fleetId });
      return true;
    } catch (err) {
      if (isCancellation(err)) throw err;
      // The pipeline is gone (closed or never existed): its slot goes to the next one.
      log.warn('fleet: grant not delivered, slot freed', { workflowId, error: String(err) });
      return false;
    }
  };

  for (;;) {
    changed = false;
    for (const id of [...regrant]) {
      regrant.delete(id);
      if (state.holders.some((h) => h.workflowId === id) && !(await grant(id))) state.holders = state.holders.filter((h) => h.workflowId !== id);
    }
    while (state.holders.length < state.limit && state.queue.length > 0) {
      const next = state.queue.shift()!;
      const held = { ...next, at: new Date().toISOString() };
      state.holders.push(held);
      state.grants = [...state.grants, held].slice(-FLEET_BUDGET.grants);
      state.counters.granted++;
      if (!(await grant(next.workflowId))) {
        state.holders = state.holders.filter((h) => h.workflowId !== next.workflowId);
        state.counters.dropped++;
      }
    }
    setCurrentDetails(`**${state.holders.length}/${state.limit} training**: ${state.holders.map((h) => h.model).join(', ') || 'none'}; queued ${state.queue.length}: ${state.queue.map((q) => q.model).join(', ')}`);
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength > FLEET_BUDGET.historyEvents) {
      await condition(allHandlersFinished);
      if (!changed) {
        state.counters.continuedAsNew++;
        return continueAsNew<typeof retrainFleet>({ state });
      }
      continue;
    }
    // The safety net runs every checkMs while anyone holds or waits, however busy the signals keep it.
    const busy = state.holders.length + state.queue.length > 0;
    if (!busy) {
      await condition(() => changed);
      continue;
    }
    const dueIn = lastCheck + FLEET_BUDGET.checkMs - Date.now();
    if (dueIn > 0 && (await condition(() => changed, dueIn))) continue;
    lastCheck = Date.now();
    const ids = [...state.holders, ...state.queue].map((e) => e.workflowId);
    const closed = new Set(await closedWorkflows({ workflowIds: ids }));
    if (closed.size === 0) continue;
    log.warn('fleet: dropping closed pipelines that did not release', { workflowIds: [...closed] });
    state.holders = state.holders.filter((h) => !closed.has(h.workflowId));
    state.queue = state.queue.filter((q) => !closed.has(q.workflowId));
    state.counters.dropped += closed.size;
  }
}
