import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/** Fields in one CSV line, honouring double quotes; `open` says a quote is still open at its end. */
function countFields(line: string, delimiter: string): { fields: number; open: boolean } {
  let fields = 1;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '"') quoted = !quoted;
    else if (ch === delimiter && !quoted) fields++;
  }
  return { fields, open: quoted };
}

const shown = (line: string) => JSON.stringify(line.length > 120 ? `${line.slice(0, 120)}…` : line);

/**
 * Why DuckDB could not make sense of a CSV, in terms a person can act on: the first line whose
 * field count differs from the header's, or a quote left open. Runs only on the error path, streamed.
 */
export async function diagnoseCsv(file: string, delimiter = ','): Promise<string | null> {
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let expected = 0;
  let n = 0;
  let carry = '';
  let carryStart = 0;
  for await (const raw of lines) {
    n++;
    const line = carry ? `${carry}\n${raw}` : raw;
    const { fields, open } = countFields(line, delimiter);
    if (open) {
      // A quoted field may span lines; give it a few before calling the quote unterminated.
      if (!carry) carryStart = n;
      carry = line;
      if (n - carryStart > 50) break;
      continue;
    }
    carry = '';
    if (n === 1 || expected === 0) {
      expected = fields;
      continue;
    }
    if (fields !== expected) return `line ${n} has ${fields} field(s), the header has ${expected}: ${shown(raw)}`;
  }
  if (carry) return `line ${carryStart} opens a quote that is never closed: ${shown(carry.split('\n')[0]!)}`;
  return null;
}
