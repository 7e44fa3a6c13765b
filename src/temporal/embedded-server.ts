import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import lockfile from 'proper-lockfile';
import { isAlive } from '../runner/process-group.js';
import { answers, startDevServer, type DevServer } from './dev-server.js';

/**
 * Exactly one embedded Temporal server per state folder: two servers on one SQLite file corrupt
 * each other's state. A record file alone cannot promise that (a stopping process deleted a
 * live server's record, and the next `retrain dev` started a second server), so:
 * - only the holder of the state folder's lock starts a server or writes the record; it holds
 *   the lock for as long as its server lives (proper-lockfile: a lock folder whose mtime the
 *   holder refreshes; it goes stale within STALE_MS when the holder dies);
 * - under the lock, a recorded server process that is still alive is never replaced, even when
 *   its owner died (an orphan keeps serving and is reused);
 * - a process removes the record only when it names its own server, and only while it holds the lock.
 */

export interface ServerRecord {
  address: string;
  uiUrl?: string;
  /** The `temporal server start-dev` process. */
  pid: number;
  /** The `retrain` process that started it and holds the lock. */
  ownerPid?: number;
}

const STALE_MS = 20_000;
const UPDATE_MS = 4_000;
/** How long a second `retrain dev` waits for the lock holder's server to answer. */
const WAIT_FOR_HOLDER_MS = 120_000;

const temporalDir = (stateDir: string) => path.join(stateDir, 'temporal');
export const recordFile = (stateDir: string) => path.join(temporalDir(stateDir), 'server.json');
export const sqliteFile = (stateDir: string) => path.join(temporalDir(stateDir), 'temporal.sqlite');
const lockTarget = (stateDir: string) => path.join(temporalDir(stateDir), 'server');

export function readRecord(stateDir: string): ServerRecord | undefined {
  const file = recordFile(stateDir);
  if (!existsSync(file)) return undefined;
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as ServerRecord;
    return typeof r.address === 'string' && Number.isInteger(r.pid) ? r : undefined;
  } catch {
    return undefined; // half-written or damaged: treated as no record, the lock still decides
  }
}

/** The embedded dev server another `retrain` process started on this state folder, if it answers. */
export async function runningEmbedded(stateDir: string): Promise<ServerRecord | undefined> {
  const record = readRecord(stateDir);
  return record && (await answers(record.address)) ? record : undefined;
}

/** Alive and, where /proc tells, a Temporal dev server (a reused pid is some other program). */
export function isServerProcess(pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('start-dev');
  } catch {
    return !existsSync('/proc/self'); // no /proc (macOS): alive is all we can know
  }
}

type Release = () => Promise<void>;

async function tryLock(stateDir: string, say: (line: string) => void): Promise<Release | undefined> {
  mkdirSync(temporalDir(stateDir), { recursive: true });
  try {
    const release = await lockfile.lock(lockTarget(stateDir), {
      realpath: false,
      stale: STALE_MS,
      update: UPDATE_MS,
      retries: 0,
      // The default throws from a timer and would end the process. The record check under the
      // lock still keeps a second server off the SQLite file, so saying so is enough.
      onCompromised: (err) => say(`warning: the lock on ${temporalDir(stateDir)} was lost (${err.message})`),
    });
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      await release().catch(() => {});
    };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOCKED') return undefined;
    throw err;
  }
}

export interface EmbeddedServer {
  record: ServerRecord;
  /** Set when this process started the server: it holds the lock until `stop`. */
  owned: DevServer | undefined;
}

/** The state folder's server: the running one, or one this process starts while holding the lock. */
export async function embeddedServer(stateDir: string, progress: (line: string) => void = () => {}): Promise<EmbeddedServer> {
  const deadline = Date.now() + WAIT_FOR_HOLDER_MS;
  let said = false;
  for (;;) {
    const running = await runningEmbedded(stateDir);
    if (running) return { record: running, owned: undefined };
    const release = await tryLock(stateDir, progress);
    if (!release) {
      const holder = readRecord(stateDir)?.ownerPid;
      if (Date.now() > deadline) {
        throw new Error(
          `another retrain process${holder ? ` (pid ${holder})` : ''} holds ${path.join(temporalDir(stateDir), 'server.lock')} but its Temporal server does not answer; stop that process and try again`,
        );
      }
      if (!said) progress(`waiting for the Temporal dev server another retrain process is starting on ${temporalDir(stateDir)} …`);
      said = true;
      await sleep(250);
      continue;
    }
    try {
      const found = await underLock(stateDir, progress);
      if (found) {
        await release();
        return { record: found, owned: undefined };
      }
      return { ...(await startOwned(stateDir, release, progress)) };
    } catch (err) {
      await release();
      throw err;
    }
  }
}

/** Holding the lock: a recorded server process that still lives is waited for, never replaced. */
async function underLock(stateDir: string, progress: (line: string) => void): Promise<ServerRecord | undefined> {
  const record = readRecord(stateDir);
  if (!record || !isServerProcess(record.pid)) return undefined;
  progress(`a Temporal dev server (pid ${record.pid}) runs on this state folder; waiting for it to answer on ${record.address} …`);
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    if (await answers(record.address)) return record;
    if (!isServerProcess(record.pid)) return undefined;
    await sleep(250);
  }
  throw new Error(
    `a Temporal dev server (pid ${record.pid}) still runs on ${sqliteFile(stateDir)} but does not answer on ${record.address}; stop it (kill ${record.pid}) and try again`,
  );
}

async function startOwned(stateDir: string, release: Release, progress: (line: string) => void): Promise<EmbeddedServer> {
  const server = await startDevServer({ dbFile: sqliteFile(stateDir), progress });
  const record: ServerRecord = { address: server.address, pid: server.pid, ownerPid: process.pid, ...(server.uiUrl ? { uiUrl: server.uiUrl } : {}) };
  try {
    // Written whole, then renamed: a reader never sees half a record.
    const tmp = `${recordFile(stateDir)}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(record));
    renameSync(tmp, recordFile(stateDir));
  } catch (err) {
    // Unrecorded, the server could not be found again: it must not outlive this failure.
    await server.stop();
    throw new Error(`${recordFile(stateDir)}: cannot record the Temporal dev server: ${(err as Error).message}`, { cause: err });
  }
  let done: Promise<void> | undefined;
  // Ours only: the record is removed while we still hold the lock, so no newer one can be lost.
  const letGo = () =>
    (done ??= (async () => {
      if (readRecord(stateDir)?.pid === server.pid) rmSync(recordFile(stateDir), { force: true });
      await release();
    })());
  // A server that dies on its own frees the folder at once, so the next `retrain dev` can start one.
  void server.exited.then(letGo);
  const stop = server.stop;
  server.stop = async () => {
    await stop();
    await letGo();
  };
  return { record, owned: server };
}
