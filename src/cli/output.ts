import Table from 'cli-table3';

export const print = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};
export const printJson = (value: unknown) => print(JSON.stringify(value, null, 2));

export function table(head: string[], rows: (string | number | boolean | null | undefined)[][]): string {
  const t = new Table({ head, style: { head: [], border: [], compact: true } });
  t.push(...rows.map((r) => r.map((c) => (c === null || c === undefined ? '' : String(c)))));
  return t.toString();
}

export const fmt = (x: number | null | undefined, digits = 4) =>
  x === null || x === undefined || Number.isNaN(x) ? '' : Math.abs(x) < 1e-4 && x !== 0 ? x.toExponential(2) : x.toFixed(digits);
