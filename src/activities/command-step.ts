import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import type { FailureType } from '../errors.js';
import { RetrainError } from '../errors.js';
import { EXIT_TEMPFAIL, runCommand, type CommandSpec, type RunCommandResult } from '../runner/run-command.js';

const OUTSIDE_ACTIVITY_TIMEOUT_MS = 60 * 60_000;

/** The activity context, or null when a step runs in-process (e.g. `retrain check --dry-run`). */
function activityContext(): Context | null {
  try {
    return Context.current();
  } catch {
    return null;
  }
}

/**
 * Runs a contract command inside an activity: heartbeats while it runs, is killed when the
 * activity is cancelled or times out, and maps its exit code onto the retry contract.
 */
export async function runStepCommand(
  failureType: typeof FailureType.TrainingCommand | typeof FailureType.EvaluationCommand | typeof FailureType.DeployHook,
  spec: CommandSpec,
  vars: Record<string, string>,
  runDir: string,
  logName: string,
): Promise<RunCommandResult> {
  const ctx = activityContext();
  const result = await runCommand({
    spec,
    vars,
    runDir,
    logName,
    timeoutMs: ctx?.info.startToCloseTimeoutMs ?? OUTSIDE_ACTIVITY_TIMEOUT_MS,
    ...(ctx ? { signal: ctx.cancellationSignal } : {}),
    onTick: (elapsedMs) => ctx?.heartbeat({ step: logName, elapsedMs }),
  });
  const what = `${logName} command \`${spec.command.join(' ')}\``;
  if (result.cancelled) throw new CancelledFailure(`${what} was cancelled and killed`);
  if (result.timedOut) throw new Error(`${what} timed out and was killed; its output is in ${result.logFile}`);
  if (result.exitCode === EXIT_TEMPFAIL) {
    throw new Error(`${what} exited ${EXIT_TEMPFAIL} (temporary failure), will retry\n${evidence(result)}`);
  }
  if (result.exitCode !== 0) {
    throw new RetrainError(failureType, `${what} exited with code ${result.exitCode}\n${evidence(result)}`, {
      exitCode: result.exitCode,
      stderrTail: result.stderrTail,
      logFile: result.logFile,
    });
  }
  return result;
}

/** What a person needs to see why a command failed: where its full output is, and how it ended. */
function evidence(result: RunCommandResult): string {
  const tail = result.stderrTail ? `stderr (last lines):\n${result.stderrTail.replace(/^/gm, '  ')}` : 'stderr: (empty)';
  return `log: ${result.logFile}\n${tail}`;
}
