/**
 * A private PostgreSQL for the cluster: Debian's packaged binaries (initdb, pg_ctl), our own data
 * folder and port, loopback TCP only. PostgreSQL refuses to run as root, so as root the server runs
 * as the `postgres` system user the package creates.
 */
import { chownSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { DB, POSTGRES_MAJOR } from './topology.js';

type Progress = (line: string) => void;
const LIB = '/usr/lib/postgresql';

/** The bin folder of the pinned major version, else the newest installed one. */
export function findPostgresBin(): string | undefined {
  if (!existsSync(LIB)) return undefined;
  const versions = readdirSync(LIB).filter((v) => existsSync(path.join(LIB, v, 'bin', 'initdb')));
  const pick = versions.includes(POSTGRES_MAJOR) ? POSTGRES_MAJOR : versions.sort((a, b) => Number(b) - Number(a))[0];
  return pick ? path.join(LIB, pick, 'bin') : undefined;
}

const isRoot = () => process.getuid?.() === 0;

/** `npm run setup`: installs Debian's postgresql when missing (root only: CI and containers). */
export async function ensurePostgres(progress: Progress): Promise<string> {
  const found = findPostgresBin();
  if (found) return found;
  if (!isRoot() || !existsSync('/usr/bin/apt-get')) {
    throw new Error('PostgreSQL is not installed: run `sudo apt-get install -y postgresql` (the cluster uses its initdb and pg_ctl), then try again');
  }
  progress('installing PostgreSQL from Debian packages (apt-get install -y postgresql) …');
  const install = () => execa('apt-get', ['install', '-y', '--no-install-recommends', 'postgresql'], { stdio: ['ignore', 'ignore', 'inherit'], env: { DEBIAN_FRONTEND: 'noninteractive' } });
  try {
    await install();
  } catch {
    // A fresh machine's package lists may be missing or stale: refresh them once and retry.
    await execa('apt-get', ['update'], { stdio: ['ignore', 'ignore', 'inherit'] });
    await install();
  }
  const installed = findPostgresBin();
  if (!installed) throw new Error(`apt-get installed postgresql but no initdb is under ${LIB}`);
  return installed;
}

/** Runs a PostgreSQL program as the user that owns the data folder. */
function asOwner(bin: string, args: string[]) {
  return isRoot() ? execa('runuser', ['-u', 'postgres', '--', bin, ...args]) : execa(bin, args);
}

/** Whether the `postgres` user can reach `dir` (a project under /root cannot be). */
async function ownerCanUse(dir: string): Promise<boolean> {
  if (!isRoot()) return true;
  return (await execa('runuser', ['-u', 'postgres', '--', 'test', '-x', dir], { reject: false })).exitCode === 0;
}

/**
 * Where the data lives: `<stateDir>/postgres`, unless we are root and the postgres user cannot
 * reach the state folder; then a folder under the system temp dir, named after the state folder.
 */
export async function dataDirFor(stateDir: string): Promise<string> {
  mkdirSync(stateDir, { recursive: true });
  if (await ownerCanUse(stateDir)) return path.join(stateDir, 'postgres');
  const tag = Buffer.from(path.resolve(stateDir)).toString('base64url').slice(-40);
  return path.join(os.tmpdir(), `temporal-retrain-pg-${tag}`);
}

/** initdb when the folder is empty; returns whether it did. */
export async function initPostgres(bin: string, dataDir: string): Promise<boolean> {
  if (existsSync(path.join(dataDir, 'PG_VERSION'))) return false;
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const pwFile = path.join(dataDir, '..', `.pgpass-init-${process.pid}`);
  writeFileSync(pwFile, `${DB.password}\n`, { mode: 0o600 });
  if (isRoot()) {
    const { stdout } = await execa('id', ['-u', 'postgres']);
    const uid = Number(stdout.trim());
    const gid = Number((await execa('id', ['-g', 'postgres'])).stdout.trim());
    chownSync(dataDir, uid, gid);
    chownSync(pwFile, uid, gid);
  }
  try {
    await asOwner(path.join(bin, 'initdb'), ['-D', dataDir, '-U', DB.user, `--pwfile=${pwFile}`, '--auth-host=scram-sha-256', '--auth-local=peer', '-E', 'UTF8', '--locale=C.UTF-8']);
  } finally {
    rmSync(pwFile, { force: true });
  }
  return true;
}

/** Starts postgres on 127.0.0.1:`port` (no Unix socket: nothing outside this folder to collide with). */
export async function startPostgres(bin: string, dataDir: string, port: number): Promise<void> {
  const options = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories= -c max_connections=200 -c fsync=on`;
  await asOwner(path.join(bin, 'pg_ctl'), ['-D', dataDir, '-l', path.join(dataDir, 'server.log'), '-o', options, '-w', '-t', '60', 'start']);
}

export async function stopPostgres(bin: string, dataDir: string): Promise<void> {
  if (!existsSync(path.join(dataDir, 'postmaster.pid'))) return;
  await asOwner(path.join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', 'stop']).catch(() => undefined);
}

export async function postgresRunning(bin: string, dataDir: string): Promise<boolean> {
  if (!existsSync(dataDir)) return false;
  return (await asOwner(path.join(bin, 'pg_ctl'), ['-D', dataDir, 'status']).catch(() => ({ exitCode: 1 }))).exitCode === 0;
}
