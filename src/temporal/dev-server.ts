import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { execa, type ResultPromise } from 'execa';
import { parse } from 'yaml';
import { DYNAMIC_CONFIG_FILE } from '../cluster/topology.js';
import { ensureTemporalCli } from './cli-binary.js';
import { freePort } from './ports.js';
import { searchAttributeFlags } from './search-attributes.js';

export interface DevServerOptions {
  /** SQLite file; omitted = in memory (tests). */
  dbFile?: string;
  port?: number;
  uiPort?: number;
  headless?: boolean;
  namespace?: string;
  progress?: (line: string) => void;
  /** Values that replace the shared dynamic config file's (the handoff bench measures the server's defaults). */
  dynamicConfig?: Record<string, unknown>;
}

export interface DevServer {
  address: string;
  namespace: string;
  uiUrl: string | undefined;
  pid: number;
  /** Settles when the server process ends, for whatever reason. */
  exited: Promise<void>;
  stop(): Promise<void>;
}

/**
 * `--dynamic-config-value` flags for every key of the cluster's dynamic config file, so both servers
 * run with the same settings (among them the task-queue read rates: BENCHMARKS.md, "Task handoff").
 */
export function devServerDynamicConfigFlags(overrides: Record<string, unknown> = {}, file = DYNAMIC_CONFIG_FILE): string[] {
  const doc = parse(readFileSync(file, 'utf8')) as Record<string, { value: unknown }[]>;
  const values = Object.entries(doc).map(([key, entries]): [string, unknown] => {
    if (entries.length !== 1) throw new Error(`${file}: ${key}: the dev server takes one value per key, without constraints`);
    return [key, entries[0]!.value];
  });
  return Object.entries({ ...Object.fromEntries(values), ...overrides }).flatMap(([key, value]) => ['--dynamic-config-value', `${key}=${JSON.stringify(value)}`]);
}

/** Starts `temporal server start-dev` with the project's search attributes and waits until it answers. */
export async function startDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  const progress = opts.progress ?? (() => {});
  const bin = await ensureTemporalCli(progress);
  const namespace = opts.namespace ?? 'default';
  const port = await freePort(opts.port ?? 7233);
  const uiPort = opts.headless ? undefined : await freePort(opts.uiPort ?? 8233);
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--namespace', namespace];
  args.push(...(uiPort ? ['--ui-port', String(uiPort)] : ['--headless']));
  if (opts.dbFile) {
    mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile, '--sqlite-pragma', 'journal_mode=WAL');
  }
  args.push(...searchAttributeFlags(), '--log-level', 'error');
  args.push('--dynamic-config-value', 'frontend.enableExecuteMultiOperation=true');
  args.push(...devServerDynamicConfigFlags(opts.dynamicConfig));
  const child = execa(bin, args, { stdio: ['ignore', 'ignore', 'pipe'], reject: false, cleanup: true });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  // A pipe error must not become an uncaught 'error'; the exit is what tells the server's fate.
  child.stderr?.on('error', () => {});
  const address = `127.0.0.1:${port}`;
  progress(`starting Temporal dev server on ${address}${uiPort ? `, Web UI on http://localhost:${uiPort}` : ''} …`);
  await waitUntilServing(address, child, () => stderr);
  return {
    address,
    namespace,
    uiUrl: uiPort ? `http://localhost:${uiPort}` : undefined,
    pid: child.pid ?? -1,
    exited: child.then(() => undefined, () => undefined),
    stop: () => stopProcess(child),
  };
}

async function waitUntilServing(address: string, child: ResultPromise, stderr: () => string): Promise<void> {
  let exited = false;
  void child.then(() => (exited = true));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`temporal dev server exited during start:\n${stderr()}`);
    if (await answers(address)) return;
    await sleep(250);
  }
  await stopProcess(child);
  throw new Error(`temporal dev server did not answer on ${address} within 60s:\n${stderr()}`);
}

export async function answers(address: string): Promise<boolean> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: 1000 });
    try {
      await connection.workflowService.getSystemInfo({});
      return true;
    } finally {
      await connection.close();
    }
  } catch {
    return false;
  }
}

async function stopProcess(child: ResultPromise): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await child;
  clearTimeout(timer);
}
