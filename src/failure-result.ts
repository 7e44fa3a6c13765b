import { ActivityFailure, ApplicationFailure } from '@temporalio/common';

/**
 * errors.ts's sibling for workflow code (no Node modules, no environment): how a failure that
 * reached a workflow becomes the `{ type, message }` a result records. An activity's failure is
 * described by its cause, the typed error the activity threw (FailureType, or the error's name).
 */
export function failureOf(err: unknown): { type: string; message: string } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  const type = cause instanceof ApplicationFailure ? (cause.type ?? 'Error') : ((cause as Error)?.name ?? 'Error');
  const message = (cause as Error)?.message ?? String(cause);
  return { type, message };
}

/** The first line of a failure's message: what a one-line reason shows. */
export function failureLine(err: unknown): string {
  return failureOf(err).message.split('\n')[0]!;
}
