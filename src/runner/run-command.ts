import { createWriteStream, existsSync, mkdirSync, rmSync, type WriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { CommandStartFailed, errnoCode, FailureType, RetrainError } from '../errors.js';
import { commandEnv } from './command-env.js';
import { killGroup, reapPrevious, writePidFile } from './process-group.js';
import { startCommand, type StartedCommand } from './spawner.js';
import { StderrTail } from './stderr-tail.js';

/** Exit code a command uses to say "temporary problem, try again" (sysexits EX_TEMPFAIL). */
export const EXIT_TEMPFAIL = 75;

/**
 * `train.params` above this size is not put in RETRAIN_PARAMS (nor in a `{params}` argv token):
 * Linux refuses any single environment string or argument over 128 KiB (E2BIG), and the whole
 * environment plus argv shares one limit. The params file is always written.
 */
export const PARAMS_INLINE_LIMIT = 64 * 1024;
export const PARAMS_FILE = 'params.json';

export interface CommandSpec {
  command: string[];
  workdir: string;
  env: Record<string, string>;
  /** Names of worker environment variables the command also gets (see command-env.ts). */
  passEnv?: string[];
  /** Absolute path of a virtual environment whose bin/ goes first on PATH. */
  venv?: string;
}

export interface RunCommandInput {
  spec: CommandSpec;
  /** Contract inputs, given as RETRAIN_* environment variables and {placeholders} in argv. */
  vars: Record<string, string>;
  runDir: string;
  logName: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  onTick?: (elapsedMs: number) => void;
  tickMs?: number;
  /** The environment commands pick their allow-list from; the worker's by default. */
  workerEnv?: NodeJS.ProcessEnv;
}

export interface RunCommandResult {
  exitCode: number;
  stderrTail: string;
  logFile: string;
  cancelled: boolean;
  timedOut: boolean;
  durationMs: number;
}

/** `{data}` → vars.data; a placeholder fills one argv token and can never add arguments. */
export function expandArgs(command: string[], vars: Record<string, string>): string[] {
  return command.map((arg) => arg.replace(/\{([a-z_]+)\}/g, (m, key: string) => vars[key] ?? m));
}

export const envFor = (vars: Record<string, string>) =>
  Object.fromEntries(Object.entries(vars).map(([k, v]) => [`RETRAIN_${k.toUpperCase()}`, v]));

/** A failed write names the file and the system's code, e.g. "…/train.log: ENOSPC: no space left on device". */
function writeError(file: string, what: string, err: unknown): Error {
  const code = errnoCode(err);
  const message = (err as Error).message ?? String(err);
  return new Error(`${file}: ${what} failed: ${message.includes(code ?? '\0') ? message : `${code ?? 'error'}: ${message}`}`, { cause: err });
}

async function openLog(file: string): Promise<WriteStream> {
  const log = createWriteStream(file, { flags: 'a' });
  await new Promise<void>((resolve, reject) => {
    log.once('open', () => resolve());
    log.once('error', (err) => reject(writeError(file, 'opening the command log', err)));
  });
  return log;
}

/**
 * Large params go through a file: `<runDir>/params.json` is always written and named by
 * RETRAIN_PARAMS_FILE / `{params_file}`; RETRAIN_PARAMS stays for params that fit in an
 * environment variable. A `{params}` token too large for argv is refused, naming the way out.
 */
async function withParamsFile(input: RunCommandInput): Promise<Record<string, string>> {
  const { params, ...rest } = input.vars;
  if (params === undefined) return input.vars;
  const paramsFile = path.join(input.runDir, PARAMS_FILE);
  try {
    await writeFile(paramsFile, params);
  } catch (err) {
    throw writeError(paramsFile, 'writing train.params', err);
  }
  const bytes = Buffer.byteLength(params);
  if (bytes <= PARAMS_INLINE_LIMIT) return { ...input.vars, params_file: paramsFile };
  if (input.spec.command.some((arg) => arg.includes('{params}'))) {
    throw new RetrainError(
      FailureType.Config,
      `train.params is ${Math.ceil(bytes / 1024)} KiB, more than the ${PARAMS_INLINE_LIMIT / 1024} KiB a {params} argument may carry: ` +
        `use {params_file} in train.command (or read RETRAIN_PARAMS_FILE), which names ${PARAMS_FILE} in the run folder`,
      { field: 'train.command', bytes },
    );
  }
  return { ...rest, params_file: paramsFile };
}

/**
 * Runs a user's command from an argument array (never a shell) in its own process group,
 * streams its output to a log file, ticks for heartbeats, and kills the group on cancel.
 * Every stream's error is handled: a log that cannot be written (ENOSPC) stops the command and
 * rejects naming the file, and never becomes an uncaught 'error' that takes the worker down.
 */
export async function runCommand(input: RunCommandInput): Promise<RunCommandResult> {
  try {
    mkdirSync(input.runDir, { recursive: true });
  } catch (err) {
    throw writeError(input.runDir, 'creating the run folder', err);
  }
  const venv = input.spec.venv;
  if (venv && !existsSync(path.join(venv, 'bin'))) {
    throw new RetrainError(FailureType.Config, `venv ${venv}: no bin/ folder there (create it with \`python3 -m venv ${venv}\`, or fix the path)`, { venv });
  }
  const pidFile = path.join(input.runDir, `${input.logName}.pid`);
  await reapPrevious(pidFile);
  const vars = await withParamsFile(input);
  const logFile = path.join(input.runDir, `${input.logName}.log`);
  const log = await openLog(logFile);
  let logFailure: Error | undefined;
  const [file, ...args] = expandArgs(input.spec.command, vars);
  const started = Date.now();
  let child: StartedCommand;
  try {
    child = await startCommand(file!, args, { cwd: input.spec.workdir, env: commandEnv(input.workerEnv ?? process.env, input.spec, envFor(vars)) });
  } catch (err) {
    await closeLog(log, logFile).catch(() => {});
    if (!(err instanceof CommandStartFailed)) throw err;
    // The command never ran (not found, not executable, no such workdir): the step fails as a command that exits 127.
    return { exitCode: 127, stderrTail: `${file}: ${err.message}`, logFile, cancelled: false, timedOut: false, durationMs: Date.now() - started };
  }
  let cancelled = false;
  let timedOut = false;
  const stop = (why: 'cancel' | 'timeout' | 'log') => {
    if (why === 'cancel') cancelled = true;
    if (why === 'timeout') timedOut = true;
    void killGroup(child.pid);
  };
  // Sources paused by the log's backpressure; resumed when it drains, or when it failed (then
  // their output is dropped, so the command never blocks on a full pipe before it is stopped).
  const paused = new Set<Readable>();
  const resumeAll = () => {
    for (const stream of paused) stream.resume();
    paused.clear();
  };
  log.on('drain', resumeAll);
  log.on('error', (err) => {
    resumeAll();
    if (logFailure) return;
    logFailure = writeError(logFile, "writing the command's output", err);
    stop('log');
  });
  const tail = new StderrTail();
  // Written by hand rather than piped: a failed log must not stop the pipes from draining, and
  // the log's backpressure still pauses the source.
  const sink = (stream: Readable | null | undefined, onChunk?: (d: Buffer) => void) => {
    stream?.on('data', (d: Buffer) => {
      onChunk?.(d);
      if (logFailure || log.destroyed) return;
      if (!log.write(d)) {
        stream.pause();
        paused.add(stream);
      }
    });
    // A broken pipe from the child ends its output; execa reports how the child itself ended.
    stream?.on('error', () => {});
  };
  sink(child.stdout);
  sink(child.stderr, (d) => tail.push(d));
  const onAbort = () => stop('cancel');
  input.signal?.addEventListener('abort', onAbort);
  const timer = input.timeoutMs ? setTimeout(() => stop('timeout'), input.timeoutMs) : undefined;
  const ticker = setInterval(() => input.onTick?.(Date.now() - started), input.tickMs ?? 1000);
  try {
    try {
      writePidFile(pidFile, child.pid);
    } catch (err) {
      logFailure ??= writeError(pidFile, 'writing the pid file', err);
      stop('log');
    }
    const result = await child.exited;
    // The child has exited, but its last output may still be in flight: let the pipes end before the log closes, so
    // every byte reaches the log (and a full disk is seen). Bounded: a grandchild may hold a pipe open.
    await drained([child.stdout, child.stderr], 2000);
    await closeLog(log, logFile).catch((err: Error) => (logFailure ??= err));
    if (logFailure) throw logFailure;
    return {
      exitCode: result.exitCode ?? 128,
      stderrTail: tail.text() || (result.signal ? `killed by ${result.signal}` : ''),
      logFile,
      cancelled,
      timedOut,
      durationMs: Date.now() - started,
    };
  } finally {
    clearInterval(ticker);
    if (timer) clearTimeout(timer);
    input.signal?.removeEventListener('abort', onAbort);
    await killGroup(child.pid, 0).catch(() => {});
    rmSync(pidFile, { force: true });
    if (!log.closed) log.destroy();
  }
}

/** Resolves when every stream has ended, or after `ms`, whichever comes first. */
async function drained(streams: (Readable | null | undefined)[], ms: number): Promise<void> {
  const open = streams.filter((s): s is Readable => Boolean(s) && !s!.readableEnded && !s!.destroyed);
  if (open.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(open.map((s) => finished(s).catch(() => {}))),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
  ]);
  clearTimeout(timer);
}

/** Flushes and closes the log; the last buffered write may be the one that meets a full disk. */
export async function closeLog(log: WriteStream, file: string): Promise<void> {
  // A failed write destroys the stream at once but emits 'error' a tick later: read the failure from the stream.
  if (log.errored) throw writeError(file, "writing the command's output", log.errored);
  if (log.destroyed) return;
  log.end();
  try {
    await finished(log);
  } catch (err) {
    throw errnoCode(err) ? writeError(file, "writing the command's output", err) : err;
  }
}
