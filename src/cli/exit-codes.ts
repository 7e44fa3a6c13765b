import { RetrainError } from '../errors.js';

/** Exit codes, mapped in this one place. */
export const EXIT = { ok: 0, failure: 1, invalidInput: 2, drifted: 3 } as const;

/** A result that is not an error but that scripts branch on (e.g. a drifted dataset). */
export class ExitSignal extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

export function exitCodeFor(err: unknown): number {
  if (err instanceof ExitSignal) return err.code;
  if (err instanceof RetrainError) return EXIT.invalidInput;
  return EXIT.failure;
}
