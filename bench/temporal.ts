/**
 * Temporal-side benchmarks, each against a baseline measured in the same run:
 * - trigger latency: trigger signal → training activity started, through the controller, against
 *   starting the pipeline workflow directly;
 * - pipeline overhead: runs per second of our six-step pipeline with no-op commands, against a bare
 *   workflow of six trivial activities, one worker each;
 * - controller scale: 1,000 idle model controllers, worker and server memory and CPU, against the
 *   same processes with none.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode, Worker, type NativeConnection } from '@temporalio/worker';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { defaultDeps } from '../src/activities/deps.js';
import { PROJECT_ROOT } from '../src/temporal/cli-binary.js';
import { controllerId, sendTrigger } from '../src/client/controller.js';
import { retrainController, retrainPipeline } from '../src/workflows/index.js';
import { statusQuery } from '../src/workflows/messages.js';
import { createWorker, WORKFLOWS_PATH } from '../src/worker.js';
import { connectClient, connectNative } from '../src/temporal/connection.js';
import { startDevServer } from '../src/temporal/dev-server.js';
import { noopProjectDir } from './noop-project.js';
import { cpuSeconds, rssMiB } from './proc.js';
import { stepTimes, type StepTime } from './step-times.js';

export interface TemporalEnv {
  client: Client;
  connection: NativeConnection;
  address: string;
  serverPid: number;
}

const node = process.execPath;

/** A project whose models train and evaluate with no-op commands on a 20-row dataset. */
function noopProject(models: string[], commands: 'node' | 'sh' = 'node'): string {
  const { dir, model: base } = noopProjectDir('retrain-bench-', commands);
  const quick = { retry: { maximumAttempts: 3, initialInterval: '100ms' } };
  const model = { ...base, steps: Object.fromEntries(['check', 'validate', 'train', 'evaluate', 'register', 'promote'].map((s) => [s, { timeout: '1m', ...quick }])) };
  const file = path.join(dir, 'retrain.config.yaml');
  writeFileSync(file, stringify({ version: 1, dataRoots: ['.'], stateDir: '.retrain', models: Object.fromEntries(models.map((m) => [m, model])) }, { aliasDuplicateObjects: false }));
  return file;
}

const pct = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

async function trainStartedMs(client: Client, workflowId: string): Promise<number> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const scheduled = new Set<string>();
  for (const e of history.events ?? []) {
    if (e.activityTaskScheduledEventAttributes?.activityType?.name === 'trainCandidate') scheduled.add(String(e.eventId));
    const st = e.activityTaskStartedEventAttributes;
    if (st && scheduled.has(String(st.scheduledEventId))) {
      const t = e.eventTime!;
      return Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
    }
  }
  throw new Error(`${workflowId}: no training started`);
}

export interface LatencyResult {
  triggers: number;
  controller: { p50: number; p99: number };
  direct: { p50: number; p99: number };
  /** Where the time goes, up to the training activity's start (step-times.ts): the controller's own steps, then the pipeline's, both paths. */
  steps?: { controller: StepTime[]; signalToChildStartedMs: number; viaController: StepTime[]; direct: StepTime[] };
}

export async function benchTriggerLatency(env: TemporalEnv, n: number, bundle: { code: string }): Promise<LatencyResult> {
  const config = noopProject(['lat']);
  const taskQueue = `bench-lat-${Date.now()}`;
  const worker = await createWorker({ connection: env.connection, namespace: 'default', taskQueue, deps: defaultDeps(config), workflowBundle: bundle });
  const viaController: number[] = [];
  const direct: number[] = [];
  const viaIds: string[] = [];
  const directIds: string[] = [];
  await worker.runUntil(async () => {
    for (let i = 0; i < n; i++) {
      // Through the controller: a forced trigger skips the coalescing wait, so this is pure overhead.
      const t0 = Date.now();
      await sendTrigger(env.client, { model: 'lat', taskQueue, trigger: { reason: 'manual', source: 'bench', force: true } });
      const runId = await waitForNewRun(env.client, 'lat', i + 1);
      viaIds.push(runId);
      viaController.push((await trainStartedMs(env.client, runId)) - t0);
      // Baseline: the same pipeline started directly.
      const t1 = Date.now();
      const h = await env.client.workflow.start(retrainPipeline, { taskQueue, workflowId: `bench-direct/${Date.now()}-${i}`, args: [{ model: 'lat', triggers: [{ reason: 'manual', source: 'bench' }], force: true }] });
      await h.result();
      directIds.push(h.workflowId);
      direct.push((await trainStartedMs(env.client, h.workflowId)) - t1);
    }
  });
  const untilTraining = (e: { activityTaskScheduledEventAttributes?: { activityType?: { name?: string | null } | null } | null }) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'trainCandidate';
  const steps = {
    controller: await stepTimes(env.client, [controllerId('lat')]),
    signalToChildStartedMs: await signalToChildStarted(env.client, controllerId('lat')),
    viaController: await stepTimes(env.client, viaIds, untilTraining),
    direct: await stepTimes(env.client, directIds, untilTraining),
  };
  await env.client.workflow.getHandle(controllerId('lat')).terminate('bench done');
  return { triggers: n, controller: { p50: pct(viaController, 0.5), p99: pct(viaController, 0.99) }, direct: { p50: pct(direct, 0.5), p99: pct(direct, 0.99) }, steps };
}

/** Median ms from a trigger signal reaching the controller to its pipeline child started. */
async function signalToChildStarted(client: Client, workflowId: string): Promise<number> {
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const at = (e: (typeof events)[number]) => Number(e.eventTime!.seconds) * 1000 + Math.floor((e.eventTime!.nanos ?? 0) / 1e6);
  const gaps: number[] = [];
  let signalled: number | null = null;
  for (const e of events) {
    if (e.workflowExecutionSignaledEventAttributes?.signalName === 'trigger' && signalled === null) signalled = at(e);
    if (e.childWorkflowExecutionStartedEventAttributes && signalled !== null) {
      gaps.push(at(e) - signalled);
      signalled = null;
    }
  }
  return pct(gaps, 0.5);
}

async function waitForNewRun(client: Client, model: string, runs: number): Promise<string> {
  for (;;) {
    const s = await client.workflow.getHandle(controllerId(model)).query(statusQuery);
    // `recent` keeps the last 20 runs only; the run counter says when this one has finished.
    if (s.counters.runs >= runs && s.phase === 'idle' && s.recent[0]) return s.recent[0].workflowId;
    // Latency is read from the histories, not from this loop: poll slowly, as each query is a task for the
    // same worker and the controller, which would otherwise compete with the run being measured.
    await sleep(250);
  }
}

export interface OverheadResult {
  runs: number;
  /** With Node.js no-op commands (two Node.js starts a run). */
  ours: { runsPerSec: number; seconds: number };
  /** With shell no-op commands: the process starts cost what a shell's do (absent in runs before). */
  oursShell?: { runsPerSec: number; seconds: number };
  bare: { runsPerSec: number; seconds: number };
  /** Per-step medians from the runs' histories (step-times.ts). */
  steps?: { ours: StepTime[]; bare: StepTime[] };
  /** Rounds run (shell, Node.js, bare, alternating); the figures above are each kind's median round (absent: 1). */
  rounds?: number;
  /** Each round's ratio to the same round's bare run: the spread a single round would hide. */
  roundRatios?: { shell: number[]; node: number[] };
  /** The worker's event-loop delay, p99 ms, in each kind's median round (perf_hooks.monitorEventLoopDelay). */
  stallP99Ms?: { shell: number; node: number };
  /** CPU ms per run in each kind's median round: the whole machine's, the server's, and this process's (worker + client). */
  cpuPerRun?: Record<'shell' | 'node' | 'bare', CpuPerRun>;
  /** The server's CPU ms per run of the bare workflow with no, one and two upserts in each of its tasks (medians of rounds). */
  upsertCost?: { rounds: number; none: number; one: number; two: number };
}

export interface CpuPerRun {
  machineMs: number;
  serverMs: number;
  workerMs: number;
}

/** Busy CPU seconds of the whole machine (user, nice, system, irq, softirq of /proc/stat's first line). */
function machineCpuSeconds(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return (f[0]! + f[1]! + f[2]! + f[5]! + f[6]!) / 100;
}

/** The CPU `fn` cost per run, on the machine, in the server and in this process (the worker runs in it). */
async function cpuOf(serverPid: number, runs: number, fn: () => Promise<void>): Promise<CpuPerRun> {
  const own = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  const [m0, s0, w0] = [machineCpuSeconds(), cpuSeconds(serverPid), own()];
  await fn();
  await serverSettled(serverPid);
  const per = (sec: number) => (sec * 1000) / runs;
  return { machineMs: per(machineCpuSeconds() - m0), serverMs: per(cpuSeconds(serverPid) - s0), workerMs: per(own() - w0) };
}

/**
 * Waits until the server is back at rest after a round: it finishes a run's visibility updates after the run's result
 * has reached the client, and a round that started while the last round's were still running would pay for them (in
 * its time and its CPU figure). At rest the dev server takes about 7 % of a core: settled is a 200 ms window under 15 %.
 */
async function serverSettled(serverPid: number, deadlineMs = 5000): Promise<void> {
  const end = Date.now() + deadlineMs;
  for (let before = cpuSeconds(serverPid); Date.now() < end; ) {
    await sleep(200);
    const now = cpuSeconds(serverPid);
    if (now - before < 0.03) return;
    before = now;
  }
}

/** Rounds of the pipeline-overhead bench: one round's ratio moved by a tenth between runs minutes apart. */
const OVERHEAD_ROUNDS = 5;

export async function benchPipelineOverhead(env: TemporalEnv, n: number, bundle: { code: string }): Promise<OverheadResult> {
  const models = Array.from({ length: n }, (_, i) => `ov-${i}`);
  const oursRun = async (commands: 'node' | 'sh') => {
    const config = noopProject(models, commands);
    const tq = `bench-ov-${commands}-${Date.now()}`;
    const worker = await createWorker({ connection: env.connection, namespace: 'default', taskQueue: tq, deps: defaultDeps(config), workflowBundle: bundle });
    const ids = models.map((_, i) => `bench-ov-${commands}/${Date.now()}-${i}`);
    let seconds = 0;
    // How long the worker's event loop stalled (the main thread runs every activity): p99 over the round.
    const stalls = monitorEventLoopDelay({ resolution: 5 });
    stalls.enable();
    let cpu: CpuPerRun | undefined;
    await worker.runUntil(async () => {
      cpu = await cpuOf(env.serverPid, n, async () => {
        const t = performance.now();
        const results = await Promise.all(models.map((m, i) => env.client.workflow.execute(retrainPipeline, { taskQueue: tq, workflowId: ids[i]!, args: [{ model: m, triggers: [{ reason: 'manual', source: 'bench' }], force: true }] })));
        seconds = (performance.now() - t) / 1000;
        const bad = results.filter((r) => r.outcome !== 'promoted');
        if (bad.length) throw new Error(`pipeline overhead runs did not promote: ${bad[0]!.reason}`);
      });
    });
    stalls.disable();
    return { seconds, ids, stallP99Ms: stalls.percentile(99) / 1e6, cpu: cpu! };
  };
  const bareBundle = await bundleWorkflowCode({ workflowsPath: path.join(import.meta.dirname, 'bare-workflow.ts'), logger: undefined as never });
  const bareRun = async () => {
    const ids = models.map((_, i) => `bench-bare/${Date.now()}-${i}`);
    const tq = `bench-bare-${Date.now()}`;
    const bare = await Worker.create({ connection: env.connection, namespace: 'default', taskQueue: tq, workflowBundle: bareBundle, activities: { step: async (name: string) => name } });
    let seconds = 0;
    let cpu: CpuPerRun | undefined;
    await bare.runUntil(async () => {
      cpu = await cpuOf(env.serverPid, n, async () => {
        const t = performance.now();
        await Promise.all(models.map((_, i) => env.client.workflow.execute('barePipeline', { taskQueue: tq, workflowId: ids[i]! })));
        seconds = (performance.now() - t) / 1000;
      });
    });
    return { seconds, ids, cpu: cpu! };
  };
  // Rounds alternate the three kinds, so a slow minute of the machine (the page cache, a neighbour) hits each of them;
  // each kind reports its median round, and each round's ratios show the spread.
  type Round = { seconds: number; ids: string[]; stallP99Ms?: number; cpu: CpuPerRun };
  const rounds: { shell: Round; node: Round; bare: Round }[] = [];
  // One round of each kind first, not counted: a worker runs for days, so what counts is its steady state, not the
  // first minute of a process (JIT compilation of the activities' code paths, the first DuckDB statements, the server's
  // first task queues). The rounds that follow each start a new worker and project, as before.
  await oursRun('sh');
  await oursRun('node');
  await bareRun();
  for (let r = 0; r < OVERHEAD_ROUNDS; r++) rounds.push({ shell: await oursRun('sh'), node: await oursRun('node'), bare: await bareRun() });
  const median = (kind: 'shell' | 'node' | 'bare') => [...rounds].sort((x, y) => x[kind].seconds - y[kind].seconds)[Math.floor(rounds.length / 2)]![kind];
  const shell = median('shell');
  const ours = median('node');
  const bareMedian = median('bare');
  const bareSeconds = bareMedian.seconds;
  const bareIds = bareMedian.ids;
  const steps = { ours: await stepTimes(env.client, ours.ids), bare: await stepTimes(env.client, bareIds) };
  const upsertCost = await benchUpsertCost(env, n, bareBundle);
  return {
    runs: n,
    ours: { runsPerSec: n / ours.seconds, seconds: ours.seconds },
    oursShell: { runsPerSec: n / shell.seconds, seconds: shell.seconds },
    bare: { runsPerSec: n / bareSeconds, seconds: bareSeconds },
    steps,
    rounds: rounds.length,
    roundRatios: { shell: rounds.map((r) => r.bare.seconds / r.shell.seconds), node: rounds.map((r) => r.bare.seconds / r.node.seconds) },
    stallP99Ms: { shell: median('shell').stallP99Ms!, node: median('node').stallP99Ms! },
    cpuPerRun: { shell: shell.cpu, node: ours.cpu, bare: bareMedian.cpu },
    upsertCost,
  };
}

/** Rounds of the upsert-cost measurement: the server's CPU per run is all it reports, and it varies less than time. */
const UPSERT_ROUNDS = 3;

/**
 * The server's CPU per run of the bare workflow as it is, with one search-attribute upsert in each of its tasks, and
 * with two: what a visibility update costs (the pipeline's RetrainStep sets one in most tasks), and what a second in
 * the same task adds (what sending a task's upserts as one would save). Alternating rounds, one worker, on the bench's server.
 */
async function benchUpsertCost(env: TemporalEnv, n: number, bareBundle: { code: string }): Promise<NonNullable<OverheadResult['upsertCost']>> {
  const tq = `bench-upserts-${Date.now()}`;
  const worker = await Worker.create({ connection: env.connection, namespace: 'default', taskQueue: tq, workflowBundle: bareBundle, activities: { step: async (name: string) => name } });
  const kinds = { none: 'barePipeline', one: 'bareUpsertEachTask', two: 'bareTwoUpsertsEachTask' } as const;
  const perRun: Record<keyof typeof kinds, number[]> = { none: [], one: [], two: [] };
  await worker.runUntil(async () => {
    for (let r = 0; r <= UPSERT_ROUNDS; r++) {
      for (const [kind, workflow] of Object.entries(kinds) as [keyof typeof kinds, string][]) {
        const cpu = await cpuOf(env.serverPid, n, async () => {
          await Promise.all(Array.from({ length: n }, (_, i) => env.client.workflow.execute(workflow, { taskQueue: tq, workflowId: `bench-upserts/${kind}/${Date.now()}-${r}-${i}` })));
        });
        if (r > 0) perRun[kind].push(cpu.serverMs); // round 0 warms up
      }
    }
  });
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return { rounds: UPSERT_ROUNDS, none: median(perRun.none), one: median(perRun.one), two: median(perRun.two) };
}

export interface ScaleResult {
  controllers: number;
  startSeconds: number;
  worker: { idleMiB: number; loadedMiB: number };
  server: { idleMiB: number; loadedMiB: number; cpuSecondsToStart: number };
}

export async function benchControllerScale(env: TemporalEnv, n: number, bundleFile: string): Promise<ScaleResult> {
  const models = Array.from({ length: n }, (_, i) => `idle-${i}`);
  const config = noopProject(models);
  const taskQueue = `bench-scale-${Date.now()}`;
  // The worker runs in its own process so its memory is its own.
  const worker = execa(node, [path.join(PROJECT_ROOT, 'bin/retrain.js'), 'worker'], {
    reject: false,
    stdio: 'ignore',
    env: { RETRAIN_CONFIG: config, TEMPORAL_ADDRESS: env.address, RETRAIN_TASK_QUEUE: taskQueue, RETRAIN_WORKFLOW_BUNDLE: bundleFile, RETRAIN_LOG_LEVEL: 'ERROR' },
  });
  try {
    await sleep(8000);
    const workerIdle = rssMiB(worker.pid!);
    const serverIdle = rssMiB(env.serverPid);
    const cpu0 = cpuSeconds(env.serverPid);
    const t = performance.now();
    for (let i = 0; i < n; i += 50) {
      await Promise.all(models.slice(i, i + 50).map((m) => env.client.workflow.start(retrainController, { taskQueue, workflowId: `bench-${controllerId(m)}`, args: [{ model: m }] })));
    }
    // Every controller has run its first workflow task and answers its status query.
    for (let i = 0; i < n; i += 50) await Promise.all(models.slice(i, i + 50).map((m) => env.client.workflow.getHandle(`bench-${controllerId(m)}`).query(statusQuery)));
    const startSeconds = (performance.now() - t) / 1000;
    const cpuSecondsToStart = cpuSeconds(env.serverPid) - cpu0;
    await sleep(3000);
    const result = { controllers: n, startSeconds, worker: { idleMiB: workerIdle, loadedMiB: rssMiB(worker.pid!) }, server: { idleMiB: serverIdle, loadedMiB: rssMiB(env.serverPid), cpuSecondsToStart } };
    for (let i = 0; i < n; i += 50) await Promise.all(models.slice(i, i + 50).map((m) => env.client.workflow.getHandle(`bench-${controllerId(m)}`).terminate('bench done').catch(() => {})));
    return result;
  } finally {
    worker.kill('SIGTERM');
    await Promise.race([worker, sleep(10_000)]);
    worker.kill('SIGKILL');
  }
}

export async function workflowBundle(): Promise<{ code: string; file: string }> {
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: undefined as never });
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'retrain-bundle-')), 'bundle.js');
  writeFileSync(file, code);
  return { code, file };
}

export interface HandoffResult {
  runs: number;
  /** The same bare six-activity workflow, one run at a time, on a dev server with the shipped dynamic config … */
  ours: HandoffRun;
  /** … and on one with the server's default task-queue read rates (20 a second per shard). */
  defaults: HandoffRun;
}
interface HandoffRun {
  p50Ms: number;
  workflowTaskQueueMs: number;
  /** The server's CPU while idle after the runs (share of one core over IDLE_SECONDS): what the higher rates cost at rest. */
  idleCpuShare: number;
}
const IDLE_SECONDS = 30;

/** The server's default task-queue read rates, which src/cluster/dynamicconfig.yaml raises. */
export const DEFAULT_READ_RATES = { 'history.transferProcessorMaxPollRPS': 20, 'history.timerProcessorMaxPollRPS': 20, 'history.visibilityProcessorMaxPollRPS': 20 };

/** Sequential bare runs on two fresh dev servers, the shipped dynamic config and the defaults: what each handoff waits. */
export async function benchTaskHandoff(n: number, progress: (line: string) => void): Promise<HandoffResult> {
  const bareBundle = await bundleWorkflowCode({ workflowsPath: path.join(import.meta.dirname, 'bare-workflow.ts'), logger: undefined as never });
  const one = async (dynamicConfig: Record<string, unknown>) => {
    const server = await startDevServer({ headless: true, port: 0, progress, dynamicConfig });
    const target = { address: server.address, namespace: 'default', uiUrl: undefined } as Parameters<typeof connectClient>[0];
    const [client, connection] = [await connectClient(target), await connectNative(target)];
    try {
      const taskQueue = `bench-handoff-${Date.now()}`;
      const worker = await Worker.create({ connection, namespace: 'default', taskQueue, workflowBundle: bareBundle, activities: { step: async (name: string) => name } });
      const ids: string[] = [];
      const ms: number[] = [];
      await worker.runUntil(async () => {
        for (let i = 0; i < n + 3; i++) {
          const workflowId = `bench-handoff/${Date.now()}-${i}`;
          const t = performance.now();
          await client.workflow.execute('barePipeline', { taskQueue, workflowId });
          // The first runs warm the worker up.
          if (i >= 3) {
            ids.push(workflowId);
            ms.push(performance.now() - t);
          }
        }
      });
      const wft = (await stepTimes(client, ids)).find((s) => s.step === 'workflow task');
      const cpu0 = cpuSeconds(server.pid);
      await sleep(IDLE_SECONDS * 1000);
      const idleCpuShare = (cpuSeconds(server.pid) - cpu0) / IDLE_SECONDS;
      return { p50Ms: Math.round(pct(ms, 0.5)), workflowTaskQueueMs: wft?.queueMs ?? NaN, idleCpuShare };
    } finally {
      await client.connection.close();
      await connection.close();
      await server.stop();
    }
  };
  return { runs: n, ours: await one({}), defaults: await one(DEFAULT_READ_RATES) };
}
