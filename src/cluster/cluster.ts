/**
 * `retrain cluster up|down`: the production-shaped topology on this machine, natively:
 * PostgreSQL (own data folder and port), both schemas set up with temporal-sql-tool, the Temporal
 * server with all four services, the namespace, and the Temporal UI server. The processes outlive
 * the command (like `docker compose up -d`); their pids and ports are kept in <stateDir>/cluster.json.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { answers } from '../temporal/dev-server.js';
import { freePort } from '../temporal/ports.js';
import { ensureNamespace } from '../temporal/provision.js';
import { ensureClusterBinaries, type ClusterBinaries } from './binaries.js';
import { dataDirFor, ensurePostgres, findPostgresBin, initPostgres, postgresRunning, startPostgres, stopPostgres } from './postgres.js';
import { DYNAMIC_CONFIG_FILE, SERVER_ARGS, schemaSteps, serverEnv, TEMPORAL_SERVER_VERSION, uiEnv, type ServerPorts } from './topology.js';

type Progress = (line: string) => void;
const HOST = '127.0.0.1';

export interface ClusterOptions {
  stateDir: string;
  /** Created (with the default namespace) when missing. */
  namespace?: string;
  /** Preferred frontend port; another free one is used when taken. */
  port?: number;
  ui?: boolean;
  uiPort?: number;
  progress?: Progress;
}

export interface ClusterRecord {
  address: string;
  namespace: string;
  uiUrl?: string;
  serverVersion: string;
  serverPid: number;
  uiPid?: number;
  postgres: { bin: string; dataDir: string; port: number };
  binaries: ClusterBinaries;
  logs: string[];
}

const recordFile = (stateDir: string) => path.join(stateDir, 'cluster.json');
const schemaMarker = (dataDir: string) => path.join(dataDir, '..', `${path.basename(dataDir)}.temporal-schema`);

export function readRecord(stateDir: string): ClusterRecord | undefined {
  const file = recordFile(stateDir);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ClusterRecord) : undefined;
}

/** The variables a worker, the CLI and the tests need to use this cluster. */
export function clusterEnv(r: Pick<ClusterRecord, 'address' | 'namespace' | 'uiUrl'>): Record<string, string> {
  return { TEMPORAL_ADDRESS: r.address, TEMPORAL_NAMESPACE: r.namespace, ...(r.uiUrl ? { TEMPORAL_UI_URL: r.uiUrl } : {}) };
}

/** Only the variables a child needs: secrets in our environment stay out of the cluster's processes. */
function childEnv(extra: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/', ...extra };
}

function startDetached(bin: string, args: string[], env: Record<string, string>, log: string, cwd: string) {
  const fd = openSync(log, 'a');
  const child = spawn(bin, args, { env, cwd, detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.unref();
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  return { pid: child.pid!, exitedWith: () => exited };
}

const tail = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-8).map((l) => l.slice(0, 400)).join('\n') : '');

async function until(what: string, check: () => Promise<boolean>, failed: () => string | undefined, seconds = 90) {
  const deadline = Date.now() + seconds * 1000;
  while (!(await check())) {
    const why = failed();
    if (why) throw new Error(`${what}: ${why}`);
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${seconds}s`);
    await sleep(200);
  }
}

async function httpOk(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

/**
 * A free port below 32768: the server stores membership ports in a SMALLINT column, so the OS's
 * ephemeral range (32768 and up) is refused at start ("out of range for type smallint").
 */
async function lowFreePort(taken: number[]): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const candidate = 20_000 + Math.floor(Math.random() * 12_000);
    if (!taken.includes(candidate) && (await freePort(candidate, HOST)) === candidate) return candidate;
  }
  throw new Error('no free port between 20000 and 32000');
}

async function serverPorts(preferred: number): Promise<ServerPorts> {
  const ports: number[] = [preferred > 0 && (await freePort(preferred, HOST)) === preferred ? preferred : await lowFreePort([])];
  // Distinct ports: a probe socket's port is free again once it closes.
  while (ports.length < 9) ports.push(await lowFreePort(ports));
  const [frontendGrpc, frontendHttp, frontendMembership, historyGrpc, historyMembership, matchingGrpc, matchingMembership, workerGrpc, workerMembership] = ports as [number, number, number, number, number, number, number, number, number];
  return { frontendGrpc, frontendHttp, frontendMembership, historyGrpc, historyMembership, matchingGrpc, matchingMembership, workerGrpc, workerMembership };
}

/** Starts what is not running and returns where it is. Running twice is safe: the second call reports. */
export async function clusterUp(opts: ClusterOptions): Promise<ClusterRecord & { reused: boolean; timings: Record<string, number> }> {
  const progress = opts.progress ?? (() => {});
  const namespace = opts.namespace ?? 'default';
  const stateDir = path.resolve(opts.stateDir);
  const timings: Record<string, number> = {};
  const t0 = Date.now();
  const lap = (name: string, since: number) => (timings[name] = (Date.now() - since) / 1000);

  const existing = readRecord(stateDir);
  if (existing && (await answers(existing.address))) {
    await ensureNamespace({ ...target(existing), namespace });
    return { ...existing, namespace, reused: true, timings };
  }
  if (existing) await clusterDown({ stateDir }); // stale record: whatever is left of it goes first

  const binaries = await ensureClusterBinaries(progress);
  const pgBin = await ensurePostgres(progress);
  lap('binaries', t0);
  mkdirSync(stateDir, { recursive: true });

  let t = Date.now();
  const dataDir = await dataDirFor(stateDir);
  // A data folder whose schema setup never finished is not worth repairing: start it over.
  if (existsSync(dataDir) && !existsSync(schemaMarker(dataDir))) rmSync(dataDir, { recursive: true, force: true });
  const fresh = await initPostgres(pgBin, dataDir);
  const pgPort = await freePort(0, HOST);
  await startPostgres(pgBin, dataDir, pgPort);
  lap('postgres', t);
  const record: ClusterRecord = {
    address: '',
    namespace,
    serverVersion: TEMPORAL_SERVER_VERSION,
    serverPid: 0,
    postgres: { bin: pgBin, dataDir, port: pgPort },
    binaries,
    logs: [],
  };
  const save = () => writeFileSync(recordFile(stateDir), JSON.stringify(record, null, 2));
  save(); // from here on, `cluster down` can clean up whatever a failure leaves behind

  try {
    if (fresh) {
      t = Date.now();
      progress(`setting up the temporal and temporal_visibility schemas on 127.0.0.1:${pgPort} …`);
      for (const step of schemaSteps({ host: HOST, port: pgPort })) await execa(binaries.sqlTool, step, { env: childEnv({}) });
      writeFileSync(schemaMarker(dataDir), TEMPORAL_SERVER_VERSION);
      lap('schema', t);
    }

    t = Date.now();
    const ports = await serverPorts(opts.port ?? 7233);
    const serverLog = path.join(stateDir, 'temporal-server.log');
    const env = childEnv(serverEnv({ host: HOST, dbHost: HOST, dbPort: pgPort, ports, dynamicConfigFile: DYNAMIC_CONFIG_FILE }));
    const server = startDetached(binaries.server, [...SERVER_ARGS], env, serverLog, stateDir);
    record.address = `${HOST}:${ports.frontendGrpc}`;
    record.serverPid = server.pid;
    record.logs.push(serverLog);
    save();
    progress(`starting Temporal server ${TEMPORAL_SERVER_VERSION} (frontend, history, matching, worker) on ${record.address} …`);
    await until('temporal server', () => answers(record.address), () => (server.exitedWith() !== undefined ? `exited (${server.exitedWith()}):\n${tail(serverLog)}` : undefined));
    lap('server', t);

    t = Date.now();
    for (const ns of new Set(['default', namespace])) {
      const change = await ensureNamespace({ ...target(record), namespace: ns });
      progress(`namespace ${ns}: ${change}`);
    }
    lap('namespace', t);

    if (opts.ui !== false) {
      t = Date.now();
      const uiPort = await freePort(opts.uiPort ?? 8080, HOST);
      const uiUrl = `http://localhost:${uiPort}`;
      const uiLog = path.join(stateDir, 'temporal-ui.log');
      const ui = startDetached(binaries.uiServer, ['--root', binaries.uiRoot, '--env', 'docker', 'start'], childEnv(uiEnv({ temporalAddress: record.address, port: uiPort, namespace, publicUrl: uiUrl })), uiLog, stateDir);
      record.uiPid = ui.pid;
      record.logs.push(uiLog);
      save();
      await until('temporal ui server', () => httpOk(`${uiUrl}/api/v1/settings`), () => (ui.exitedWith() !== undefined ? `exited (${ui.exitedWith()}):\n${tail(uiLog)}` : undefined));
      record.uiUrl = uiUrl;
      save();
      lap('ui', t);
    }
  } catch (err) {
    await clusterDown({ stateDir });
    throw err;
  }
  lap('total', t0);
  return { ...record, reused: false, timings };
}

const target = (r: Pick<ClusterRecord, 'address' | 'namespace'>) => ({ address: r.address, namespace: r.namespace, uiUrl: undefined, tls: undefined, apiKey: undefined, owned: undefined });

/** Whether `pid` is still the program we started (pids are reused; never signal a stranger). */
function isOurs(pid: number | undefined, bin: string): pid is number {
  if (!pid) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] === bin;
  } catch {
    return false;
  }
}

async function stopPid(pid: number, bin: string): Promise<void> {
  if (!isOurs(pid, bin)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 20_000;
  while (isOurs(pid, bin) && Date.now() < deadline) await sleep(100);
  if (isOurs(pid, bin)) process.kill(pid, 'SIGKILL');
}

/** Stops the UI, the server and PostgreSQL; `purge` also deletes the data. */
export async function clusterDown(opts: { stateDir: string; purge?: boolean }): Promise<ClusterRecord | undefined> {
  const stateDir = path.resolve(opts.stateDir);
  const record = readRecord(stateDir);
  if (record) {
    if (record.uiPid) await stopPid(record.uiPid, record.binaries.uiServer);
    if (record.serverPid) await stopPid(record.serverPid, record.binaries.server);
    await stopPostgres(record.postgres.bin, record.postgres.dataDir);
    rmSync(recordFile(stateDir), { force: true });
    if (opts.purge) {
      rmSync(record.postgres.dataDir, { recursive: true, force: true });
      rmSync(schemaMarker(record.postgres.dataDir), { force: true });
    }
  }
  if (opts.purge) {
    // Stopped earlier (no record left): the data folder is still where dataDirFor puts it.
    const dataDir = await dataDirFor(stateDir);
    if (!(await postgresRunning(findPostgresBin() ?? '', dataDir))) {
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(schemaMarker(dataDir), { force: true });
    }
    rmSync(stateDir, { recursive: true, force: true });
  }
  return record;
}
