import { open } from 'node:fs/promises';

const DELIMITERS = [',', ';', '\t', '|'];
/** A header longer than this is not a header; 10,000 long column names fit many times over. */
const MAX_HEADER_BYTES = 16 * 1024 * 1024;

/** Splits one CSV record into fields, honouring double quotes ("" inside quotes is one quote). */
export function splitCsvRecord(line: string, delimiter: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === delimiter) {
      fields.push(field);
      field = '';
    } else field += ch;
  }
  fields.push(field);
  return fields;
}

/** The first record of a CSV file (a quoted field may span lines), without BOM or line ending. */
export async function firstCsvRecord(file: string): Promise<string> {
  const fh = await open(file, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    let quoted = false;
    const buf = Buffer.alloc(64 * 1024);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, total);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      for (let i = 0; i < chunk.length; i++) {
        const b = chunk[i]!;
        if (b === 0x22) quoted = !quoted;
        else if (b === 0x0a && !quoted) {
          chunks.push(Buffer.from(chunk.subarray(0, i)));
          return decode(Buffer.concat(chunks));
        }
      }
      chunks.push(Buffer.from(chunk));
      total += bytesRead;
      if (total > MAX_HEADER_BYTES) break;
    }
    return decode(Buffer.concat(chunks));
  } finally {
    await fh.close();
  }
}

const decode = (b: Buffer) => b.toString('utf8').replace(/^\uFEFF/, '').replace(/\r$/, '');

/**
 * The column names as the CSV header spells them, split with the delimiter that gives as many
 * fields as DuckDB found columns (DuckDB sniffed the delimiter; this only has to agree with it).
 * Null when no delimiter agrees: then the file has no plain header this can read.
 */
export async function readCsvHeader(file: string, columns: number): Promise<string[] | null> {
  const record = await firstCsvRecord(file);
  for (const d of DELIMITERS) {
    const names = splitCsvRecord(record, d);
    if (names.length === columns) return names;
  }
  return null;
}

/** parquet_schema rows (a depth-first walk with child counts) → the names of the top-level columns. */
export function parquetTopLevelNames(rows: Record<string, unknown>[]): string[] {
  if (rows.length === 0) return [];
  const names: string[] = [];
  const skip = (i: number): number => {
    const children = Number(rows[i]?.num_children ?? 0) || 0;
    let next = i + 1;
    for (let c = 0; c < children && next < rows.length; c++) next = skip(next);
    return next;
  };
  const top = Number(rows[0]!.num_children ?? 0) || 0;
  let i = 1;
  for (let c = 0; c < top && i < rows.length; c++) {
    names.push(String(rows[i]!.name));
    i = skip(i);
  }
  return names;
}

/** Groups of names DuckDB would take for one column (its identifiers ignore case). */
export function duplicateColumns(names: string[]): string[][] {
  const groups = new Map<string, string[]>();
  for (const n of names) {
    const k = n.toLowerCase();
    groups.set(k, [...(groups.get(k) ?? []), n]);
  }
  return [...groups.values()].filter((g) => g.length > 1);
}
