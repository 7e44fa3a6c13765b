import Table from 'cli-table3';

let stdoutClosed = false;
let guarded = false;

/**
 * One line to stdout. A reader that went away (`retrain history | head -1`) is an 'error' on
 * stdout, uncaught it would end the process with a stack trace: the rest is dropped instead.
 */
export const print = (line = ''): void => {
  if (!guarded) {
    guarded = true;
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      stdoutClosed = true;
    });
  }
  if (!stdoutClosed) process.stdout.write(`${line}\n`);
};
export const printJson = (value: unknown) => print(JSON.stringify(value, null, 2));

export function table(head: string[], rows: (string | number | boolean | null | undefined)[][]): string {
  const t = new Table({ head, style: { head: [], border: [], compact: true } });
  t.push(...rows.map((r) => r.map((c) => (c === null || c === undefined ? '' : String(c)))));
  return t.toString();
}

export const fmt = (x: number | null | undefined, digits = 4) =>
  x === null || x === undefined || Number.isNaN(x) ? '' : Math.abs(x) < 1e-4 && x !== 0 ? x.toExponential(2) : x.toFixed(digits);
