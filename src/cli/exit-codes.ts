import { ExitSignal, RetrainError } from '../errors.js';

export { ExitSignal };

/** Exit codes, mapped in this one place. */
export const EXIT = { ok: 0, failure: 1, invalidInput: 2, drifted: 3 } as const;


export function exitCodeFor(err: unknown): number {
  if (err instanceof ExitSignal) return err.code;
  if (err instanceof RetrainError) return EXIT.invalidInput;
  return EXIT.failure;
}
