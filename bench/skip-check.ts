/**
 * What a skipped check costs, and fingerprinting an unchanged large file, before and after the
 * lazy check and the stat cache, side by side in one process:
 *   npm run bench -- --only skip [--checks 20] [--fingerprint-gib 2]
 * "Before" is the same code with neither: no decision context (drift and scoring computed as
 * every check did) and no stat cache (every byte hashed, rows counted).
 */
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { generate } from '../examples/churn/generate.js';
import { defaultDeps, type ActivityDeps } from '../src/activities/deps.js';
import { createPipelineSteps } from '../src/activities/pipeline-steps.js';
import { loadConfig } from '../src/config/load.js';
import { planModel } from '../src/config/plan.js';
import { DataEngine } from '../src/data/engine.js';
import { fingerprint } from '../src/data/fingerprint.js';
import { StatCache } from '../src/data/stat-cache.js';
import { EMPTY_MEMORY } from '../src/policy/trigger-policy.js';
import { PROJECT_ROOT } from '../src/temporal/cli-binary.js';

export interface CheckCost {
  /** Worker (this process) CPU per check, user + system. */
  cpuMsPerCheck: number;
  /** CPU of the child processes the checks ran (the evaluation command), per check. */
  childCpuMsPerCheck: number;
  childProcessesPerCheck: number;
  wallMsPerCheck: number;
}

export interface SkipBenchResult {
  checks: number;
  rows: number;
  before: CheckCost;
  after: CheckCost;
  fingerprint: { gib: number; rows: number; rawSha256Seconds: number; uncachedSeconds: number; cachedMs: number };
}

/** CPU of this process's waited-for children, from /proc (Linux): node's cpuUsage() leaves them out. */
function childCpuMs(): number {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    // After "pid (comm) ": state is field 3, so cutime (16) and cstime (17) are at 13 and 14.
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

/** The bundled example's model, in a temp folder of its own with the example's 4,000 + 2,000 rows. */
async function exampleProject(): Promise<{ dir: string; configFile: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'retrain-bench-skip-'));
  const data = path.join(dir, 'examples', 'churn', 'data');
  await generate({ rows: 4000, seed: 1, shift: 0, out: path.join(data, 'current.csv') });
  await generate({ rows: 2000, seed: 2, shift: 0, out: path.join(data, 'eval.csv'), startId: 1_000_001 });
  const example = parse(readFileSync(path.join(PROJECT_ROOT, 'retrain.config.yaml'), 'utf8')) as { models: { churn: Record<string, unknown> & { train: object; evaluate: object } } };
  const churn = example.models.churn;
  delete churn.schedule;
  churn.train = { ...churn.train, workdir: PROJECT_ROOT };
  churn.evaluate = { ...churn.evaluate, workdir: PROJECT_ROOT };
  const configFile = path.join(dir, 'retrain.config.yaml');
  writeFileSync(configFile, stringify({ version: 1, dataRoots: ['examples'], stateDir: '.retrain', models: { churn } }));
  return { dir, configFile };
}

/** Train, evaluate, register and promote once, in-process, so the checks have a production model to compare with. */
async function promoteOnce(deps: ActivityDeps, configFile: string): Promise<void> {
  const steps = createPipelineSteps(deps);
  const plan = planModel(loadConfig(configFile), 'churn');
  const runId = 'bench-skip/first';
  const snap = await steps.snapshotData({ plan, pipelineId: runId });
  const data = { location: snap.location, sha256: snap.fingerprint.sha256 };
  const trained = await steps.trainCandidate({ plan, pipelineId: runId, data });
  const scores = await steps.evaluateModels({ plan, pipelineId: runId, candidate: trained.artifact!, productionVersion: null });
  const version = await steps.registerCandidate({ plan, pipelineId: runId, workflowId: runId, artifact: trained.artifact!, fingerprint: snap.fingerprint, metrics: scores.candidate, triggers: ['manual'], data });
  await steps.promoteVersion({ plan, recordId: runId, version: version.version, expected: null, reason: 'bench' });
}

async function measureChecks(deps: ActivityDeps, configFile: string, checks: number, lazy: boolean, tag: string): Promise<CheckCost> {
  const steps = createPipelineSteps(deps);
  const runsDir = path.join(path.dirname(configFile), '.retrain', 'runs', 'churn');
  const spawned = () => (existsSync(runsDir) ? readdirSync(runsDir).filter((r) => r.startsWith(tag) && existsSync(path.join(runsDir, r, 'evaluate-check-production'))).length : 0);
  const one = async (i: number) => {
    // As the workflow does: the plan comes from the (cached) config on every run.
    const plan = planModel(deps.config(), 'churn');
    const context = { reasons: ['schedule'], force: false, explicit: plan.trigger.explicitReasons, nowMs: Date.now() };
    const result = await steps.checkData({ plan, pipelineId: `${tag}-${i}`, ...(lazy ? { decision: { context, memory: EMPTY_MEMORY } } : {}) });
    if (!result.dataUnchanged) throw new Error('bench: the data should be unchanged');
  };
  await one(-1); // warm-up: DuckDB, the CSV sniffer, the config parse, and (after) the cache entry
  const spawnedBefore = spawned();
  const cpu = process.cpuUsage();
  const child = childCpuMs();
  const start = performance.now();
  for (let i = 0; i < checks; i++) await one(i);
  const wall = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return {
    cpuMsPerCheck: (used.user + used.system) / 1000 / checks,
    childCpuMsPerCheck: (childCpuMs() - child) / checks,
    childProcessesPerCheck: (spawned() - spawnedBefore) / checks,
    wallMsPerCheck: wall / checks,
  };
}

/** A CSV of about `gib` GiB: the example's rows, repeated with fresh ids. */
function bigCsv(file: string, gib: number): void {
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, 'customer_id,tenure_months,monthly_charges,contract,internet_service,support_calls,churned\n');
    const block: string[] = [];
    let id = 0;
    const row = () => `${id++},${id % 120},${(20 + (id % 97)).toFixed(2)},${['month-to-month', 'one-year', 'two-year'][id % 3]},${['dsl', 'fiber', 'none'][id % 3]},${id % 7},${id % 5 === 0 ? 1 : 0}`;
    let written = 0;
    while (written < gib * 2 ** 30) {
      block.length = 0;
      for (let i = 0; i < 100_000; i++) block.push(row());
      const text = `${block.join('\n')}\n`;
      writeSync(fd, text);
      written += Buffer.byteLength(text);
    }
  } finally {
    closeSync(fd);
  }
}

async function rawSha256(file: string): Promise<void> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  hash.digest('hex');
}

async function seconds(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

export async function benchSkipCheck(checks: number, gib: number, say: (l: string) => void = () => {}): Promise<SkipBenchResult> {
  const { dir, configFile } = await exampleProject();
  try {
    const cached = defaultDeps(configFile);
    const eager: ActivityDeps = { ...defaultDeps(configFile), statCache: () => undefined };
    say('  promoting a first model …');
    await promoteOnce(cached, configFile);
    say(`  ${checks} skipped checks before (eager, no stat cache) …`);
    const before = await measureChecks(eager, configFile, checks, false, 'before');
    say(`  ${checks} skipped checks after (lazy, stat cache) …`);
    const after = await measureChecks(cached, configFile, checks, true, 'after');
    (await eager.engine()).close();
    (await cached.engine()).close();

    say(`  fingerprint of an unchanged ${gib} GiB CSV …`);
    const file = path.join(dir, 'big.csv');
    bigCsv(file, gib);
    const engine = await DataEngine.open();
    try {
      const raw = await seconds(() => rawSha256(file));
      let rows = 0;
      const uncached = await seconds(async () => (rows = (await fingerprint(engine, file)).rows));
      // Only a file last written more than 2 s before its hash began is kept (the race window).
      const st = statSync(file);
      const settle = Math.max(st.mtimeMs, st.ctimeMs) + 2100 - Date.now();
      if (settle > 0) await sleep(settle);
      const cache = new StatCache(path.join(dir, '.retrain', 'cache', 'fingerprints.jsonl'));
      await fingerprint(engine, file, 'auto', undefined, { cache });
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const fresh = new StatCache(cache.file); // a new process's view: the cache file is read, not this one's memory
        times.push(await seconds(() => fingerprint(engine, file, 'auto', undefined, { cache: fresh })));
        if (fresh.stats.datasetHits !== 1) throw new Error('bench: the cached fingerprint missed');
      }
      times.sort((a, b) => a - b);
      return { checks, rows: 4000, before, after, fingerprint: { gib, rows, rawSha256Seconds: raw, uncachedSeconds: uncached, cachedMs: times[2]! * 1000 } };
    } finally {
      engine.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
