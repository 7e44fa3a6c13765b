import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { killGroup, reapPrevious, writePidFile } from './process-group.js';

/** Exit code a command uses to say "temporary problem, try again" (sysexits EX_TEMPFAIL). */
export const EXIT_TEMPFAIL = 75;

export interface CommandSpec {
  command: string[];
  workdir: string;
  env: Record<string, string>;
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

const TAIL_LINES = 30;

/**
 * Runs a user's command from an argument array (never a shell) in its own process group,
 * streams its output to a log file, ticks for heartbeats, and kills the group on cancel.
 */
export async function runCommand(input: RunCommandInput): Promise<RunCommandResult> {
  mkdirSync(input.runDir, { recursive: true });
  const pidFile = path.join(input.runDir, `${input.logName}.pid`);
  await reapPrevious(pidFile);
  const logFile = path.join(input.runDir, `${input.logName}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const [file, ...args] = expandArgs(input.spec.command, input.vars);
  const started = Date.now();
  const child = execa(file!, args, {
    cwd: input.spec.workdir,
    env: { ...input.spec.env, ...envFor(input.vars) },
    detached: true,
    reject: false,
    stdin: 'ignore',
    buffer: false,
  });
  if (child.pid) writePidFile(pidFile, child.pid);
  const tail: string[] = [];
  child.stdout?.pipe(log, { end: false });
  child.stderr?.on('data', (d: Buffer) => {
    log.write(d);
    tail.push(...d.toString().split('\n').filter(Boolean));
    tail.splice(0, Math.max(0, tail.length - TAIL_LINES));
  });
  let cancelled = false;
  let timedOut = false;
  const stop = (why: 'cancel' | 'timeout') => {
    if (why === 'cancel') cancelled = true;
    else timedOut = true;
    if (child.pid) void killGroup(child.pid);
  };
  const onAbort = () => stop('cancel');
  input.signal?.addEventListener('abort', onAbort);
  const timer = input.timeoutMs ? setTimeout(() => stop('timeout'), input.timeoutMs) : undefined;
  const ticker = setInterval(() => input.onTick?.(Date.now() - started), input.tickMs ?? 1000);
  try {
    const result = await child;
    return {
      exitCode: result.exitCode ?? (result.signal ? 128 : 127),
      stderrTail: tail.join('\n') || (result.failed && result.exitCode === undefined ? (result.shortMessage ?? '') : ''),
      logFile,
      cancelled,
      timedOut,
      durationMs: Date.now() - started,
    };
  } finally {
    clearInterval(ticker);
    if (timer) clearTimeout(timer);
    input.signal?.removeEventListener('abort', onAbort);
    if (child.pid) await killGroup(child.pid, 0).catch(() => {});
    rmSync(pidFile, { force: true });
    await new Promise<void>((resolve) => log.end(resolve));
  }
}
