/**
 * The fleet bench: N models, each with a Temporal Schedule compressed to seconds, checked by one
 * worker against the bench's dev server, every check ending in "skip" (unchanged data), as most
 * of a real fleet's checks do:
 *   npm run bench -- --only fleet [--models 1000] [--fleet-interval 300] [--fleet-window 300]
 * Baseline, in the same run and at the same N and interval: the same schedules starting a bare
 * workflow with one trivial activity (what Temporal itself costs per tick), on a worker process of
 * its own. Each side runs alone (the other's schedules deleted), so process CPU time from
 * /proc/<pid>/stat over the measuring window is that side's cost per check.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { execa, type ResultPromise } from 'execa';
import { stringify } from 'yaml';
import { defaultDeps } from '../src/activities/deps.js';
import { createPipelineSteps } from '../src/activities/pipeline-steps.js';
import { loadConfig } from '../src/config/load.js';
import { planModel } from '../src/config/plan.js';
import type { ModelConfig } from '../src/config/model-schema.js';
import { desiredSchedule } from '../src/client/schedules.js';
import { PROJECT_ROOT } from '../src/temporal/cli-binary.js';
import { RetrainModel } from '../src/temporal/search-attributes.js';
import { controllerId } from '../src/client/controller.js';
import type { retrainController } from '../src/workflows/index.js';
import { profileBreakdown } from './cpu-profile.js';
import { noopProjectDir } from './noop-project.js';
import { cpuSeconds, cpuSecondsWithChildren, rssMiB } from './proc.js';
import type { TemporalEnv } from './temporal.js';

export interface FleetRun {
  /** Checks (ours) or ticks (baseline) that finished inside the measuring window. Worker CPU includes its child processes. */
  checks: number;
  checksPerSec: number;
  worker: { cpuMsPerCheck: number; rssMiB: number };
  server: { cpuMsPerCheck: number; rssMiB: number };
  /** Nominal schedule slot → the check's decision recorded (ours) or the tick's activity ran (baseline). */
  delayMs: { p50: number; p99: number; max: number };
  outcomes: Record<string, number>;
  /** Shares of the checks decided with no pipeline run (quick-skip.ts), by where: the schedule's tick or the controller; absent in runs before. */
  decidedIn?: { schedule: number; controller: number };
  /** Creating the N schedules. */
  setupSeconds: number;
  /** Starting the N idle controllers (ours), before the schedules. */
  prestartSeconds?: number;
  /** os.loadavg() at the end of the window: the machine is shared, so figures are read against it. */
  loadavg: number[];
  /** Growth of the state folder (audit records, reports, run folders) per check over the window: files and bytes. */
  disk?: { filesPerCheck: number; bytesPerCheck: number };
  /** History sizes sampled after the window (ours only): what a check leaves on the server before retention. */
  storage?: { pipelineBytes: number | null; pipelineEvents: number | null; tickBytes: number; tickEvents: number; controllerBytesPerCheck: number; controllerEventsPerCheck: number; sampled: number };
  /** RETRAIN_MAX_CACHED_WORKFLOWS the worker ran with (ours only); absent: the SDK's default sticky cache. */
  maxCachedWorkflows?: number;
  /** With BENCH_CPU_PROF: the worker's CPU per check by where it went (ms), from its V8 profiles. */
  profile?: { mainMsPerCheck: number; workflowMsPerCheck: number; byFunction: Record<string, number> };
}

/** Activities and the helpers inside them whose share of a check the profile reports. */
export const PROFILED = ['deliverTrigger', 'planRun', 'checkData', 'recordRun', 'codeVersion', 'loadConfig', 'runEvidence', 'writeRunRecord', 'writeRunReport', 'describePipeline', 'findRunningPipeline'];

export interface FleetBenchResult {
  models: number;
  intervalSeconds: number;
  /** Seconds between the schedules' creation and the window (absent: one interval). */
  warmupSeconds?: number;
  windowSeconds: number;
  /** Checks per second the schedules ask for: models / interval. */
  offeredPerSec: number;
  ours: FleetRun;
  /** null when BENCH_SKIP_BASELINE=1 skipped it (a quick profiling run). */
  bare: FleetRun | null;
}

const node = process.execPath;
const pct = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : NaN;
};
const modelName = (i: number) => `m${i}`;

/**
 * N models sharing one YAML anchor (one config block, aliased), one tiny dataset, no-op commands.
 * The schedule in the config only carries the overlap and catch-up policy: the bench sets each
 * schedule's spec itself, with offsets that spread the N models evenly over the interval, as jitter
 * or staggered crons spread a real fleet.
 */
function fleetProject(n: number): { dir: string; configFile: string } {
  const { dir, model: base } = noopProjectDir('retrain-bench-fleet-');
  const model = {
    ...base,
    // Only the policies count here (the bench sets each spec); a short value keeps 10,000 aliased copies under the config's 4 MiB.
    schedule: { every: '1h', catchupWindow: '10m' },
  };
  const configFile = path.join(dir, 'retrain.config.yaml');
  // One object referenced N times: yaml writes it once with an anchor and N aliases.
  writeFileSync(configFile, stringify({ version: 1, dataRoots: ['.'], stateDir: '.retrain', models: Object.fromEntries(Array.from({ length: n }, (_, i) => [modelName(i), model])) }));
  return { dir, configFile };
}

/** Trains and promotes m0 once in-process, then gives every other model a copy of its registry entry (same data, same params). */
async function seedProduction(configFile: string, n: number): Promise<void> {
  const deps = defaultDeps(configFile);
  const steps = createPipelineSteps(deps);
  const plan = planModel(loadConfig(configFile), modelName(0));
  const pipelineId = 'bench-fleet/seed';
  const snap = await steps.snapshotData({ plan, pipelineId });
  const data = { location: snap.location, sha256: snap.fingerprint.sha256 };
  const trained = await steps.trainCandidate({ plan, pipelineId, data });
  const scores = await steps.evaluateModels({ plan, pipelineId, candidate: trained.artifact!, productionVersion: null });
  const version = await steps.registerCandidate({ plan, pipelineId, workflowId: pipelineId, artifact: trained.artifact!, fingerprint: snap.fingerprint, metrics: scores.candidate, triggers: ['manual'], data });
  await steps.promoteVersion({ plan, recordId: pipelineId, version: version.version, expected: null, reason: 'bench seed' });
  (await deps.engine()).close();
  const root = path.join(plan.stateDir, 'registry');
  const index = readFileSync(path.join(root, modelName(0), 'index.json'), 'utf8');
  for (let i = 1; i < n; i++) {
    const to = path.join(root, modelName(i));
    cpSync(path.join(root, modelName(0)), to, { recursive: true });
    writeFileSync(path.join(to, 'index.json'), index.replaceAll(`"${modelName(0)}"`, `"${modelName(i)}"`).replaceAll(`retrain-local:${modelName(0)}/`, `retrain-local:${modelName(i)}/`));
  }
}

/** Creates the schedules 50 at a time; returns the seconds it took. */
async function createSchedules(client: Client, n: number, make: (i: number) => ScheduleOptions): Promise<number> {
  const t = performance.now();
  for (let i = 0; i < n; i += 50) await Promise.all(Array.from({ length: Math.min(50, n - i) }, (_, k) => client.schedule.create(make(i + k))));
  return (performance.now() - t) / 1000;
}

async function deleteSchedules(client: Client, ids: string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 50) await Promise.all(ids.slice(i, i + 50).map((id) => client.schedule.getHandle(id).delete().catch(() => {})));
}

/** Every model's slot `offset` within the interval, evenly spread. */
const spreadSpec = (i: number, n: number, intervalSeconds: number): ScheduleOptions['spec'] => ({
  intervals: [{ every: `${intervalSeconds}s`, offset: `${Math.floor((i * intervalSeconds * 1000) / n)}ms` }],
});

interface Window {
  startMs: number;
  endMs: number;
  /** The same bounds on CLOCK_MONOTONIC (µs), the clock of V8's CPU profiles. */
  startUs: number;
  endUs: number;
  disk: { files: number; bytes: number };
  worker: { cpu: number; rss: number };
  server: { cpu: number; rss: number };
  loadavg: number[];
}

/** Waits one interval (every schedule has fired once: controllers started, caches warm), then measures `windowSeconds`. */
/** Files and bytes under a folder (0 when it does not exist). */
function usage(dir: string | undefined): { files: number; bytes: number } {
  const out = { files: 0, bytes: 0 };
  if (!dir || !existsSync(dir)) return out;
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    out.files++;
    out.bytes += statSync(path.join(e.parentPath, e.name)).size;
  }
  return out;
}

/** Waits `warmupSeconds`, then measures `windowSeconds`: CPU of worker and server, their memory, and the state folder's growth. */
async function measureWindow(workerPid: number, serverPid: number, warmupSeconds: number, windowSeconds: number, say: (l: string) => void, stateDir?: string): Promise<Window> {
  say(`    warming up for ${warmupSeconds} s …`);
  await sleep(warmupSeconds * 1000);
  say(`    measuring for ${windowSeconds} s …`);
  const disk0 = usage(stateDir);
  const w0 = cpuSecondsWithChildren(workerPid);
  const s0 = cpuSeconds(serverPid);
  const startMs = Date.now();
  const startUs = Number(process.hrtime.bigint() / 1000n);
  await sleep(windowSeconds * 1000);
  const endMs = Date.now();
  const endUs = Number(process.hrtime.bigint() / 1000n);
  const worker = { cpu: cpuSecondsWithChildren(workerPid) - w0, rss: rssMiB(workerPid) };
  const server = { cpu: cpuSeconds(serverPid) - s0, rss: rssMiB(serverPid) };
  const disk1 = usage(stateDir);
  return {
    disk: { files: disk1.files - disk0.files, bytes: disk1.bytes - disk0.bytes },
    startMs,
    endMs,
    startUs,
    endUs,
    worker,
    server,
    loadavg: os.loadavg(),
  };
}

function runOf(w: Window, delays: number[], outcomes: Record<string, number>, setupSeconds: number): FleetRun {
  const checks = delays.length;
  const perCheck = (cpu: number) => (checks ? (cpu * 1000) / checks : NaN);
  return {
    checks,
    checksPerSec: checks / ((w.endMs - w.startMs) / 1000),
    worker: { cpuMsPerCheck: perCheck(w.worker.cpu), rssMiB: w.worker.rss },
    server: { cpuMsPerCheck: perCheck(w.server.cpu), rssMiB: w.server.rss },
    delayMs: { p50: pct(delays, 0.5), p99: pct(delays, 0.99), max: delays.length ? Math.max(...delays) : NaN },
    outcomes,
    setupSeconds,
    loadavg: w.loadavg.map((x) => Number(x.toFixed(2))),
  };
}

async function stop(p: ResultPromise): Promise<void> {
  p.kill('SIGTERM');
  await Promise.race([p, sleep(15_000)]);
  p.kill('SIGKILL');
}

async function benchBare(env: TemporalEnv, n: number, intervalSeconds: number, warmupSeconds: number, windowSeconds: number, say: (l: string) => void): Promise<FleetRun> {
  const dir = mkdtempSync(path.join(tmpdir(), 'retrain-bench-fleet-bare-'));
  const taskQueue = `bench-fleet-bare-${Date.now()}`;
  const { code } = await bundleWorkflowCode({ workflowsPath: path.join(import.meta.dirname, 'bare-workflow.ts'), logger: undefined as never });
  const bundle = path.join(dir, 'bundle.js');
  writeFileSync(bundle, code);
  const ticks = path.join(dir, 'ticks.log');
  const worker = execa(node, [...process.execArgv, path.join(import.meta.dirname, 'bare-worker.ts')], {
    reject: false,
    stdio: 'ignore',
    env: { TEMPORAL_ADDRESS: env.address, BENCH_TASK_QUEUE: taskQueue, BENCH_BUNDLE: bundle, BENCH_TICKS: ticks },
  });
  const ids = Array.from({ length: n }, (_, i) => `bench-fleet-bare/${i}`);
  try {
    say(`  baseline: ${n} schedules of a bare one-activity workflow …`);
    const setupSeconds = await createSchedules(env.client, n, (i) => ({
      scheduleId: ids[i]!,
      spec: spreadSpec(i, n, intervalSeconds),
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '10m' },
      action: { type: 'startWorkflow', workflowType: 'bareTick', workflowId: `bench-fleet-bare-tick/${i}`, taskQueue, args: [] },
    }));
    const w = await measureWindow(worker.pid!, env.serverPid, warmupSeconds, windowSeconds, say);
    const delays: number[] = [];
    for (const line of existsSync(ticks) ? readFileSync(ticks, 'utf8').split('\n') : []) {
      const [at, slot] = line.split(' ').map(Number);
      if (at! >= w.startMs && at! < w.endMs) delays.push(at! - slot!);
    }
    return runOf(w, delays, { ticked: delays.length }, setupSeconds);
  } finally {
    await deleteSchedules(env.client, ids);
    await stop(worker);
    rmSync(dir, { recursive: true, force: true });
  }
}

interface AuditLike {
  workflowId: string;
  decidedIn?: 'controller' | 'schedule';
  finishedAt: string;
  triggers: { reason: string; details?: { scheduledAt?: string } }[];
  result: { outcome: string };
}

async function benchOurs(env: TemporalEnv, n: number, intervalSeconds: number, warmupSeconds: number, windowSeconds: number, bundleFile: string, say: (l: string) => void): Promise<FleetRun> {
  const { dir, configFile } = fleetProject(n);
  const taskQueue = `bench-fleet-${Date.now()}`;
  say(`  ours: ${n} models (one aliased config block, one 20-row dataset), production seeded …`);
  await seedProduction(configFile, n);
  // BENCH_CPU_PROF=<folder>: V8 CPU profiles of the worker (main thread and workflow threads), for where the time goes.
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const worker = execa(node, [...prof, path.join(PROJECT_ROOT, 'bin/retrain.js'), 'worker'], {
    reject: false,
    stdio: 'ignore',
    env: {
      RETRAIN_CONFIG: configFile,
      TEMPORAL_ADDRESS: env.address,
      RETRAIN_TASK_QUEUE: taskQueue,
      RETRAIN_WORKFLOW_BUNDLE: bundleFile,
      RETRAIN_LOG_LEVEL: 'ERROR',
      ...(process.env.RETRAIN_MAX_CACHED_WORKFLOWS ? { RETRAIN_MAX_CACHED_WORKFLOWS: process.env.RETRAIN_MAX_CACHED_WORKFLOWS } : {}),
    },
  });
  const config = loadConfig(configFile);
  const ids: string[] = [];
  try {
    // A running fleet's controllers exist before its checks: start them idle (no trigger, so no
    // check), so a warm-up shorter than one interval measures steady-state checks only.
    say(`  ours: starting ${n} idle controllers …`);
    const t0 = performance.now();
    for (let i = 0; i < n; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, n - i) }, (_, k) =>
          env.client.workflow.start<typeof retrainController>('retrainController', { taskQueue, workflowId: controllerId(modelName(i + k)), args: [{ model: modelName(i + k) }], typedSearchAttributes: [{ key: RetrainModel, value: modelName(i + k) }] }),
        ),
      );
    }
    const prestartSeconds = (performance.now() - t0) / 1000;
    say(`  ours: ${n} schedules through scheduledTrigger (quick check, else controller → pipeline) …`);
    const setupSeconds = await createSchedules(env.client, n, (i) => {
      const m = modelName(i);
      const { options } = desiredSchedule(m, config.models[m]!.schedule as NonNullable<ModelConfig['schedule']>, taskQueue);
      ids.push(options.scheduleId);
      return { ...options, spec: spreadSpec(i, n, intervalSeconds) };
    });
    const w = await measureWindow(worker.pid!, env.serverPid, warmupSeconds, windowSeconds, say, path.join(dir, '.retrain'));
    const delays: number[] = [];
    const outcomes: Record<string, number> = {};
    const sampled: { model: string; workflowId: string | null }[] = [];
    const quick = { schedule: 0, controller: 0 };
    const audit = path.join(dir, '.retrain', 'audit');
    for (const m of existsSync(audit) ? readdirSync(audit) : []) {
      for (const f of readdirSync(path.join(audit, m))) {
        if (!f.endsWith('.json')) continue;
        const r = JSON.parse(readFileSync(path.join(audit, m, f), 'utf8')) as AuditLike;
        const done = Date.parse(r.finishedAt);
        const slot = r.triggers.find((t) => t.reason === 'schedule')?.details?.scheduledAt;
        if (done < w.startMs || done >= w.endMs || !slot) continue;
        delays.push(done - Date.parse(slot));
        if (r.decidedIn) quick[r.decidedIn]++;
        if (sampled.length < 20 && !sampled.some((x) => x.model === m)) sampled.push({ model: m, workflowId: r.decidedIn ? null : r.workflowId });
        outcomes[r.result.outcome] = (outcomes[r.result.outcome] ?? 0) + 1;
      }
    }
    const run = { ...runOf(w, delays, outcomes, setupSeconds), prestartSeconds, decidedIn: { schedule: delays.length ? quick.schedule / delays.length : 0, controller: delays.length ? quick.controller / delays.length : 0 } };
    if (process.env.RETRAIN_MAX_CACHED_WORKFLOWS) run.maxCachedWorkflows = Number(process.env.RETRAIN_MAX_CACHED_WORKFLOWS);
    run.storage = await sampleStorage(env.client, sampled, taskQueue);
    run.disk = { filesPerCheck: Number((w.disk.files / run.checks).toFixed(2)), bytesPerCheck: Math.round(w.disk.bytes / run.checks) };
    if (process.env.BENCH_CPU_PROF) {
      await stop(worker); // the profiles are written when it exits
      const b = profileBreakdown(process.env.BENCH_CPU_PROF, PROFILED, w);
      const per = (ms: number) => Number((ms / run.checks).toFixed(2));
      run.profile = { mainMsPerCheck: per(b.mainMs), workflowMsPerCheck: per(b.workflowMs), byFunction: Object.fromEntries(Object.entries(b.byFunction).map(([k, v]) => [k, per(v)])) };
    }
    return run;
  } finally {
    // Ours runs last: its schedules go with the bench's dev server (deleting 10,000 takes minutes).
    await stop(worker);
    rmSync(dir, { recursive: true, force: true });
  }
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

/** Describes a sample of pipeline runs, their models' controllers and last schedule ticks: history bytes and events (server-side figures). */
async function sampleStorage(client: Client, sampled: { model: string; workflowId: string | null }[], taskQueue: string): Promise<FleetRun['storage']> {
  const pipe: [number, number][] = [];
  const tick: [number, number][] = [];
  const ctrl: [number, number][] = [];
  for (const { model, workflowId } of sampled) {
    // A check the controller decided itself has no pipeline history.
    if (workflowId) {
      const d = await client.workflow.getHandle(workflowId).describe();
      pipe.push([Number(d.raw.workflowExecutionInfo?.historySizeBytes ?? 0), d.historyLength]);
    }
    const c = await client.workflow.getHandle(controllerId(model)).describe();
    const status = await client.workflow.getHandle(controllerId(model)).query<{ counters: { runs: number; continuedAsNew: number; quickSkips?: number } }>('status');
    const checks = status.counters.runs + (status.counters.quickSkips ?? 0);
    // Only a controller that has not continued-as-new holds all of its checks in one history.
    if (status.counters.continuedAsNew === 0 && checks > 0) ctrl.push([Number(c.raw.workflowExecutionInfo?.historySizeBytes ?? 0) / checks, c.historyLength / checks]);
    const s = await client.schedule.getHandle(desiredSchedule(model, { every: '1s', timezone: 'UTC', catchupWindow: '10m', overlap: 'skip', paused: false }, taskQueue).options.scheduleId).describe().catch(() => null);
    const last = s?.info.recentActions.at(-1)?.action.workflow.workflowId;
    if (last) {
      const t = await client.workflow.getHandle(last).describe();
      tick.push([Number(t.raw.workflowExecutionInfo?.historySizeBytes ?? 0), t.historyLength]);
    }
  }
  const col = (xs: [number, number][], i: 0 | 1) => Math.round(mean(xs.map((x) => x[i])));
  return { pipelineBytes: pipe.length ? col(pipe, 0) : null, pipelineEvents: pipe.length ? col(pipe, 1) : null, tickBytes: col(tick, 0), tickEvents: col(tick, 1), controllerBytesPerCheck: col(ctrl, 0), controllerEventsPerCheck: col(ctrl, 1), sampled: sampled.length };
}

export async function benchFleet(env: TemporalEnv, n: number, intervalSeconds: number, windowSeconds: number, bundleFile: string, say: (l: string) => void = () => {}, warmupSeconds = intervalSeconds): Promise<FleetBenchResult> {
  const bare = process.env.BENCH_SKIP_BASELINE ? null : await benchBare(env, n, intervalSeconds, warmupSeconds, windowSeconds, say);
  const ours = await benchOurs(env, n, intervalSeconds, warmupSeconds, windowSeconds, bundleFile, say);
  return { models: n, intervalSeconds, warmupSeconds, windowSeconds, offeredPerSec: n / intervalSeconds, ours, bare };
}
