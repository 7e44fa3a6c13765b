import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { CommandStartFailed } from '../errors.js';

/**
 * Commands are started by a small long-lived helper process (spawner-child.mjs), not by the worker. A fork copies
 * the parent's page tables, and the worker is large (V8 heaps, DuckDB, Temporal's native bridge): profiled in the
 * pipeline-overhead bench, each start took about 20 ms of the worker's main thread, a quarter of its busy time, and
 * every other activity waited behind it. The helper is small, so its forks are cheap and off the worker's event loop.
 * The helper has no environment of its own (no worker secrets): each start carries the command's whole environment.
 */
const HELPER = path.join(import.meta.dirname, 'spawner-child.mjs');

export interface StartedCommand {
  pid: number;
  stdout: Readable;
  stderr: Readable;
  /** How the command ended; rejects if the helper died first (the command may live on: kill its group). */
  exited: Promise<{ exitCode: number | null; signal: NodeJS.Signals | null }>;
}

type Message =
  | { op: 'started'; id: number; pid: number }
  | { op: 'failed'; id: number; code?: string; message: string }
  | { op: 'data'; id: number; fd: 1 | 2; data: Uint8Array }
  | { op: 'end'; id: number; fd: 1 | 2 }
  | { op: 'exit'; id: number; code: number | null; signal: NodeJS.Signals | null };

/** A command's output as the helper forwards it; reading slowly pauses the command's pipe in the helper. */
class ForwardedOutput extends Readable {
  private waiting = false;
  constructor(private readonly control: (op: 'pause' | 'resume') => void) {
    super();
  }
  override _read(): void {
    if (!this.waiting) return;
    this.waiting = false;
    this.control('resume');
  }
  feed(data: Uint8Array): void {
    if (this.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength)) || this.waiting) return;
    this.waiting = true;
    this.control('pause');
  }
}

interface Entry {
  /** Exit and both ends seen: the entry is done. The exit often comes before the last output (a pipe drains later). */
  left: number;
  /** The helper that runs it: a helper that dies fails its own commands, not those of the one that replaced it. */
  helper: ChildProcess;
  onStart: (pid: number) => void;
  onFail: (err: Error) => void;
  out: { 1: ForwardedOutput; 2: ForwardedOutput };
  onExit: (code: number | null, signal: NodeJS.Signals | null) => void;
  onLost: (err: Error) => void;
}

let helper: ChildProcess | undefined;
let nextId = 1;
const entries = new Map<number, Entry>();

function route(m: Message): void {
  const e = entries.get(m.id);
  if (!e) return;
  if (m.op === 'started') e.onStart(m.pid);
  else if (m.op === 'failed') {
    entries.delete(m.id);
    e.onFail(new CommandStartFailed(m.message, m.code));
  } else if (m.op === 'data') e.out[m.fd].feed(m.data);
  else if (m.op === 'end') e.out[m.fd].push(null);
  else e.onExit(m.code, m.signal);
  if ((m.op === 'end' || m.op === 'exit') && --e.left === 0) entries.delete(m.id);
  idle();
}

/** The helper keeps the worker alive only while one of its commands runs. */
function idle(): void {
  const ref = entries.size > 0 ? 'ref' : 'unref';
  helper?.[ref]();
  helper?.channel?.[ref]();
}

function ensureHelper(): ChildProcess {
  if (helper?.connected) return helper;
  if (!existsSync(HELPER)) throw new Error(`${HELPER}: the command helper is missing from this installation`);
  // No execArgv (no tsx, no --cpu-prof) and no environment: the helper is plain JavaScript and needs neither.
  const child = fork(HELPER, [], {
    env: {},
    execArgv: [],
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  child.on('message', (m) => route(m as Message));
  child.on('exit', (code, signal) => {
    if (helper === child) helper = undefined;
    const lost = new Error(
      `the command helper exited (${signal ?? `code ${code}`}) while commands ran; the attempt fails and is retried`,
    );
    for (const [id, e] of entries) {
      if (e.helper !== child) continue;
      entries.delete(id);
      e.onFail(lost);
      e.onLost(lost);
      e.out[1].destroy();
      e.out[2].destroy();
    }
    idle();
  });
  // A channel that broke is seen on 'exit'; an error here is the same event, reported once.
  child.on('error', () => {});
  helper = child;
  return child;
}

/** Starts `file args` in its own process group (detached), in `cwd`, with exactly `env`; never through a shell. */
export async function startCommand(
  file: string,
  args: string[],
  options: { cwd: string; env: Record<string, string> },
): Promise<StartedCommand> {
  const h = ensureHelper();
  const id = nextId++;
  const control = (fd: 1 | 2) => (op: 'pause' | 'resume') => {
    if (h.connected) h.send({ op, id, fd });
  };
  const out = { 1: new ForwardedOutput(control(1)), 2: new ForwardedOutput(control(2)) };
  let onStart!: (pid: number) => void;
  let onFail!: (err: Error) => void;
  const started = new Promise<number>((resolve, reject) => ((onStart = resolve), (onFail = reject)));
  let onExit!: (exitCode: number | null, signal: NodeJS.Signals | null) => void;
  let onLost!: (err: Error) => void;
  const exited = new Promise<{ exitCode: number | null; signal: NodeJS.Signals | null }>(
    (resolve, reject) => {
      onExit = (exitCode, signal) => resolve({ exitCode, signal });
      onLost = reject;
    },
  );
  // Nobody awaits `exited` before the start resolves; a start that fails must not leave an unhandled rejection.
  exited.catch(() => {});
  entries.set(id, { left: 3, helper: h, onStart, onFail, out, onExit, onLost });
  idle();
  h.send({ op: 'start', id, file, args, cwd: options.cwd, env: options.env }, (err) => {
    if (!err) return;
    entries.delete(id);
    onFail(new Error(`the command helper could not be reached: ${err.message}`, { cause: err }));
  });
  const pid = await started;
  return { pid, stdout: out[1], stderr: out[2], exited };
}

/** The helper's pid while it runs (for tests and diagnostics). */
export const commandHelperPid = (): number | undefined => (helper?.connected ? helper.pid : undefined);

/**
 * Tests only: closes the channel to the current helper as its crash would, without waiting for it to exit, so a test
 * can start a command on its replacement before the old helper's exit is seen.
 */
export function dropHelperChannelForTest(): void {
  helper?.disconnect();
}
