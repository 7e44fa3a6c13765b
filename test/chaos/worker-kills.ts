/**
 * Runs pipelines while a spawned worker is SIGKILLed at random moments and restarted, then checks
 * what production cares about. Shared by the CI test (small) and `npm run chaos` (large).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { execa, type ResultPromise } from 'execa';
import { stringify } from 'yaml';
import { LocalRegistry } from '../../src/registry/local.js';
import { PROJECT_ROOT } from '../../src/temporal/cli-binary.js';
import { retrainPipeline } from '../../src/workflows/index.js';
import type { PipelineResult } from '../../src/workflows/types.js';
import { makeProject } from '../helpers/project.js';

export interface ChaosOptions {
  client: Client;
  address: string;
  bundleFile: string;
  models: number;
  /** Random pause between kills. */
  killEveryMs: [number, number];
  /**
   * Stop killing after this many (then the runs finish on a worker left alone). Unbounded kills can starve a run on a
   * slow machine: each restart costs the worker's start-up and the sticky queue's timeout, and a kill every few seconds
   * can land before any step finishes, so the run never ends.
   */
  maxKills?: number;
  /** Fails the run, naming each run's step, if the runs have not all ended by then (default 8 min). */
  deadlineMs?: number;
  seed?: number;
  log?: (line: string) => void;
}

export interface ChaosReport {
  runs: { model: string; workflowId: string; outcome: PipelineResult['outcome']; reason: string; trainAttempts: number; trainStarts: number }[];
  kills: { at: number; steps: string[] }[];
  killsDuringTraining: number;
  killsDuringPromotion: number;
  versionsPerModel: Record<string, number>;
  aliasMovesPerModel: Record<string, number>;
  orphans: string[];
  seconds: number;
}

const quick = { maximumAttempts: 20, initialInterval: '200ms', maximumInterval: '2s' };
// Short timeouts so a step on a killed worker is retried in seconds, not minutes.
const steps = {
  // No heartbeats in these (a few ms of work on 1,500 rows), so their timeout is how long a kill mid-step costs.
  check: { timeout: '20s', retry: quick },
  validate: { timeout: '20s', retry: quick },
  train: { timeout: '10m', heartbeatTimeout: '3s', retry: quick },
  evaluate: { timeout: '10m', heartbeatTimeout: '3s', retry: quick },
  register: { timeout: '30s', retry: quick },
  promote: { timeout: '30s', retry: quick },
};

export async function runWorkerChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const say = opts.log ?? (() => {});
  const started = Date.now();
  const p = await makeProject({}, 1500, 'chaos-0');
  const marker = `chaos-marker-${path.basename(p.dir)}`;
  const starts = path.join(p.dir, 'train-starts.log');
  writeFileSync(starts, '');
  const names = Array.from({ length: opts.models }, (_, i) => `chaos-${i}`);
  const model = {
    data: { current: 'data/current.csv', evaluation: 'data/eval.csv', target: 'churned' },
    train: { command: [process.execPath, path.join(PROJECT_ROOT, 'test/fixtures/commands/counted-train.mjs'), marker], workdir: PROJECT_ROOT, env: { TRAIN_STARTS: starts }, params: { epochs: 150 } },
    evaluate: { command: [process.execPath, '--import', 'tsx', 'examples/churn/evaluate.ts'], workdir: PROJECT_ROOT },
    validation: { minRows: 100 },
    promotion: { metric: 'auc', floor: 0.55 },
    steps,
  };
  writeFileSync(p.configFile, stringify({ version: 1, dataRoots: ['.'], stateDir: '.retrain', models: Object.fromEntries(names.map((n) => [n, model])) }));
  const taskQueue = `chaos-${Date.now()}`;

  let worker: ResultPromise | undefined;
  const spawnWorker = () => {
    worker = execa(process.execPath, [path.join(PROJECT_ROOT, 'bin/retrain.js'), 'worker'], {
      reject: false,
      stdio: 'ignore',
      env: { RETRAIN_CONFIG: p.configFile, TEMPORAL_ADDRESS: opts.address, RETRAIN_TASK_QUEUE: taskQueue, RETRAIN_WORKFLOW_BUNDLE: opts.bundleFile, RETRAIN_LOG_LEVEL: 'ERROR' },
    });
  };
  /**
   * Until the spawned worker polls the activity queue (its identity is pid@host). The pause before the next kill starts
   * here, not at the spawn: on a slow machine a worker's start-up can outlast the pause, and a worker killed before it
   * polls does no work, so the runs would never end.
   */
  const polling = async () => {
    const pid = worker?.pid;
    // Ends with the runs too: it is raced against them, and must not poll on (or fail) after they won.
    while (!finished) {
      const { pollers } = await opts.client.workflowService.describeTaskQueue({
        namespace: opts.client.options.namespace,
        taskQueue: { name: taskQueue, kind: 1 }, // TASK_QUEUE_KIND_NORMAL
        taskQueueType: 2, // TASK_QUEUE_TYPE_ACTIVITY
      });
      if (pollers?.some((poller) => poller.identity?.startsWith(`${pid}@`))) return;
      if (worker?.exitCode !== null && worker?.exitCode !== undefined) throw new Error(`the chaos worker exited (${worker.exitCode}) before it polled`);
      await sleep(100);
    }
  };
  spawnWorker();
  const handles = await Promise.all(
    names.map((name, i) => opts.client.workflow.start(retrainPipeline, { taskQueue, workflowId: `retrain/${name}/chaos-${started}-${i}`, args: [{ model: name, triggers: [{ reason: 'manual', source: 'chaos' }] }] })),
  );
  let seed = opts.seed ?? 42;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const kills: ChaosReport['kills'] = [];
  // What each run is doing, from visibility (no worker needed to answer).
  const stepsOfRuns = () =>
    Promise.all(
      handles.map(async (h) => {
        const d = await h.describe();
        return d.status.name === 'RUNNING' ? String(d.typedSearchAttributes.get({ name: 'RetrainStep', type: 'KEYWORD' } as never) ?? 'plan') : 'done';
      }),
    );
  const results = new Map<string, PipelineResult>();
  const deadlineMs = opts.deadlineMs ?? 8 * 60_000;
  let stuck: NodeJS.Timeout | undefined;
  const done = Promise.race([
    Promise.all(handles.map(async (h) => results.set(h.workflowId, await h.result()))),
    new Promise<never>((_resolve, reject) => {
      stuck = setTimeout(() => {
        const fail = (steps: string) => reject(new Error(`the chaos runs did not end in ${deadlineMs / 1000} s (${kills.length} kill(s)); steps now: ${steps}`));
        stepsOfRuns().then((steps) => fail(steps.join(', ')), (err: Error) => fail(`unknown (${err.message})`));
      }, deadlineMs);
    }),
  ]).finally(() => clearTimeout(stuck));
  let finished = false;
  done.then(
    () => (finished = true),
    () => (finished = true),
  );

  try {
    while (!finished && kills.length < (opts.maxKills ?? Infinity)) {
      if (kills.length === 0) {
        // The first kill lands mid-training, however fast the machine: wait for a run to be training.
        while (!finished && !(await stepsOfRuns()).includes('train')) await Promise.race([sleep(50), done]);
      } else {
        // The second comes before the killed training's heartbeat timeout (3s) can retry it, so no
        // run can have finished by then; later ones at random.
        const pause = opts.killEveryMs[0] + rand() * (opts.killEveryMs[1] - opts.killEveryMs[0]);
        await Promise.race([sleep(kills.length === 1 ? Math.min(pause, 2500) : pause), done]);
      }
      if (finished) break;
      const stepsNow = await stepsOfRuns();
      worker?.kill('SIGKILL');
      await worker;
      kills.push({ at: Date.now() - started, steps: stepsNow });
      say(`kill #${kills.length} at ${((Date.now() - started) / 1000).toFixed(1)}s; steps: ${stepsNow.join(', ')}`);
      await sleep(300);
      spawnWorker();
      await Promise.race([polling(), done]);
    }
    await done;
  } finally {
    // Also when a run failed or the deadline passed: no worker outlives the chaos run.
    worker?.kill('SIGTERM');
    await Promise.race([worker, sleep(10_000)]);
    worker?.kill('SIGKILL');
  }

  const registry = new LocalRegistry(path.join(p.dir, '.retrain', 'registry'));
  const startLines = readFileSync(starts, 'utf8').split('\n').filter(Boolean);
  const runs: ChaosReport['runs'] = [];
  for (const h of handles) {
    const r = results.get(h.workflowId)!;
    const history = await h.fetchHistory();
    const trainScheduled = new Set<string>();
    let trainAttempts = 0;
    for (const e of history.events ?? []) {
      const s = e.activityTaskScheduledEventAttributes;
      if (s?.activityType?.name === 'trainCandidate') trainScheduled.add(String(e.eventId));
      const st = e.activityTaskStartedEventAttributes;
      if (st && trainScheduled.has(String(st.scheduledEventId))) trainAttempts = Math.max(trainAttempts, st.attempt ?? 1);
    }
    runs.push({ model: r.model, workflowId: h.workflowId, outcome: r.outcome, reason: r.reason, trainAttempts, trainStarts: startLines.filter((l) => l === h.workflowId).length });
  }
  const versionsPerModel: Record<string, number> = {};
  const aliasMovesPerModel: Record<string, number> = {};
  for (const n of names) {
    versionsPerModel[n] = (await registry.listVersions(n)).length;
    aliasMovesPerModel[n] = (await registry.aliasHistory(n)).length;
  }
  await sleep(500);
  const ps = await execa('ps', ['-eo', 'pid=,args='], { reject: false });
  const orphans = ps.stdout.split('\n').filter((l) => l.includes(marker) && !l.includes(' ps '));
  const during = (step: string) => kills.filter((k) => k.steps.includes(step)).length;
  return { runs, kills, killsDuringTraining: during('train'), killsDuringPromotion: during('promote') + during('register'), versionsPerModel, aliasMovesPerModel, orphans, seconds: (Date.now() - started) / 1000 };
}
