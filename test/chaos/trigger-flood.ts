/**
 * A flood of trigger signals at the model controllers, then an accounting of every one of them.
 * Shared by the CI test (small) and `npm run flood` (the 10,000 signals).
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { listRunRecords } from '../../src/audit/audit-log.js';
import { controllerId, controllerStatus, sendTrigger } from '../../src/client/controller.js';
import { type ControllerStatus } from '../../src/workflows/retrain-controller.js';
import { triggerSignal } from '../../src/workflows/messages.js';
import type { TriggerReason } from '../../src/workflows/types.js';

export interface FloodOptions {
  client: Client;
  taskQueue: string;
  models: string[];
  /** Signals in total, spread round-robin over the models. */
  signals: number;
  /** Signals in flight at once. */
  concurrency: number;
  /** Every n-th signal repeats an earlier idempotency key (a duplicate delivery). */
  duplicateEvery: number;
  stateDir: string;
  maxHistoryEvents?: number;
  log?: (line: string) => void;
}

export interface FloodReport {
  sendSeconds: number;
  settleSeconds: number;
  perModel: {
    model: string;
    sent: number;
    duplicatesSent: number;
    received: number;
    duplicates: number;
    /** Pipeline runs started for the model's batches. */
    runs: number;
    /** Batches the controller skipped itself (data unchanged), with an audit record and no pipeline. */
    quickSkips: number;
    coalescedInRuns: number;
    auditRecords: number;
    auditCoalesced: number;
    continuedAsNew: number;
    historyLength: number;
  }[];
}

const REASONS: TriggerReason[] = ['new_data', 'drift_alert', 'manual', 'performance_alert', 'business_change'];

export async function floodTriggers(opts: FloodOptions): Promise<FloodReport> {
  const say = opts.log ?? (() => {});
  const { client } = opts;
  // Start each controller with one signal-with-start, then plain signals: what a busy gateway does.
  for (const m of opts.models) {
    await sendTrigger(client, { model: m, taskQueue: opts.taskQueue, trigger: { reason: 'new_data', source: 'flood', idempotencyKey: `${m}:0` }, ...(opts.maxHistoryEvents ? { maxHistoryEvents: opts.maxHistoryEvents } : {}) });
  }
  const sent = new Map(opts.models.map((m) => [m, { total: 1, dup: 0 }]));
  const started = Date.now();
  let next = opts.models.length;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= opts.signals) return;
      const model = opts.models[i % opts.models.length]!;
      const dup = opts.duplicateEvery > 0 && i % opts.duplicateEvery === 0;
      // A duplicate delivery repeats the key of this model's previous signal, as a retrying sender does;
      // the controller's dedupe window is the last 2,000 keys (README, "Triggers").
      const keyOf = (j: number): string => (j < opts.models.length ? `${model}:0` : j % opts.duplicateEvery === 0 ? keyOf(j - opts.models.length) : `${model}:${j}`);
      const key = dup ? keyOf(i - opts.models.length) : `${model}:${i}`;
      await client.workflow.getHandle(controllerId(model)).signal(triggerSignal, { reason: REASONS[i % REASONS.length]!, source: 'flood', idempotencyKey: key });
      const s = sent.get(model)!;
      s.total++;
      if (dup) s.dup++;
      if (i % 1000 === 0) say(`${i} signals sent`);
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  const sendSeconds = (Date.now() - started) / 1000;
  say(`${opts.signals} signals sent in ${sendSeconds.toFixed(1)} s; waiting for the controllers to settle …`);

  const settledAt = Date.now();
  const statuses = new Map<string, ControllerStatus>();
  for (;;) {
    for (const m of opts.models) {
      if (statuses.has(m)) continue;
      const s = await controllerStatus(client, m).catch(() => null);
      if (s && s.phase === 'idle' && s.pending.total === 0 && s.counters.received === sent.get(m)!.total && s.recent.length > 0) statuses.set(m, s);
    }
    if (statuses.size === opts.models.length) break;
    if (Date.now() - settledAt > 20 * 60_000) throw new Error(`controllers not settled: ${opts.models.filter((m) => !statuses.has(m)).join(', ')}`);
    await sleep(500);
  }
  const settleSeconds = (Date.now() - settledAt) / 1000;
  const perModel: FloodReport['perModel'] = [];
  for (const m of opts.models) {
    const s = statuses.get(m)!;
    const records = await listRunRecords(opts.stateDir, m);
    const d = await client.workflow.getHandle(controllerId(m)).describe();
    perModel.push({
      model: m,
      sent: sent.get(m)!.total,
      duplicatesSent: sent.get(m)!.dup,
      received: s.counters.received,
      duplicates: s.counters.duplicates,
      runs: s.counters.runs,
      quickSkips: s.counters.quickSkips ?? 0,
      coalescedInRuns: s.recent.reduce((n, r) => n + r.triggers.total, 0),
      auditRecords: records.length,
      auditCoalesced: records.reduce((n, r) => n + r.coalesced.total, 0),
      continuedAsNew: s.counters.continuedAsNew,
      historyLength: d.historyLength,
    });
  }
  return { sendSeconds, settleSeconds, perModel };
}

export const floodStateDir = (projectDir: string) => path.join(projectDir, '.retrain');
