import { DuckDBInstance, DuckDBTypeId, type DuckDBConnection, type DuckDBMaterializedResult, type DuckDBResult, type DuckDBResultReader, type DuckDBValue } from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';
import { stat } from 'node:fs/promises';
import { FailureType, RetrainError } from '../errors.js';
import { GRANULARITY_NS } from './stat-cache.js';

export type DataFormat = 'auto' | 'csv' | 'parquet' | 'json';

/** Rows DuckDB reads to guess a CSV's column types; validation then checks every row (validate.ts). */
export const CSV_SAMPLE_ROWS = 20480;

/**
 * The table function that reads a dataset; the path is always a bound parameter ($1 unless told), never SQL.
 * `allVarchar` reads every CSV column as text, so values past the type-sniffing window can be checked.
 */
export function readerFor(location: string, format: DataFormat = 'auto', slot = 1, opts: { allVarchar?: boolean } = {}): string {
  const f = format === 'auto' ? detectFormat(location) : format;
  if (f === 'parquet') return `read_parquet($${slot})`;
  if (f === 'json') return `read_json_auto($${slot})`;
  const text = opts.allVarchar ? ', all_varchar = true' : '';
  return `read_csv($${slot}, header = true, sample_size = ${CSV_SAMPLE_ROWS}, nullstr = ['', 'NA', 'null']${text})`;
}

const literal = (s: string) => `'${s.replaceAll("'", "''")}'`;
const sniffed = (v: unknown) => (v === null || v === undefined || v === '(empty)' ? '' : String(v));

/** A CSV dialect and column types as DuckDB's sniffer found them, to read the file without sniffing again. */
interface CsvDialect {
  signature: string;
  /**
   * The file had last been written (mtime or ctime) more than the timestamp granularity before the sniff began, as the
   * stat cache requires of a hash (stat-cache.ts, `trusted`): only then may a copy take this dialect for its bytes.
   */
  lendable: boolean;
  reader: (slot: number, allVarchar: boolean) => string;
  /** The columns and types the reader gives the file: what DESCRIBE of it would answer, without the query. */
  columns: { name: string; type: string }[];
}

export function detectFormat(location: string): Exclude<DataFormat, 'auto'> {
  const lower = location.toLowerCase();
  if (/\.parquet$/.test(lower)) return 'parquet';
  if (/\.(jsonl|ndjson|json)(\.gz)?$/.test(lower)) return 'json';
  return 'csv';
}

/** Quotes an identifier (a column name from a dataset or config) so it can never become SQL. */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A file's state (path, device, inode, size, times) and when it was last written (mtime or ctime, the later). */
async function stampOf(file: string): Promise<{ state: string; writtenNs: bigint } | null> {
  const st = await stat(file, { bigint: true }).catch(() => null);
  if (!st) return null;
  return { state: `${file}\0${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`, writtenNs: st.mtimeNs > st.ctimeNs ? st.mtimeNs : st.ctimeNs };
}

/**
 * Owns the DuckDB instance of this process. Statistics run inside DuckDB; JS sees only
 * aggregates or typed column arrays, never millions of row objects.
 */
export class DataEngine {
  /** A connection runs one query at a time; concurrent queries each take their own. */
  private readonly idle: DuckDBConnection[] = [];
  private readonly all: DuckDBConnection[] = [];
  private readonly dialects = new Map<string, CsvDialect>();
  private readonly sniffing = new Map<string, Promise<CsvDialect | null>>();

  private constructor(
    private readonly instance: DuckDBInstance,
    /** DuckDB's library version: what a cached answer of this engine (a schema) is valid for. */
    readonly version: string,
  ) {}

  static async open(options: { threads?: number; memoryLimit?: string } = {}): Promise<DataEngine> {
    const instance = await DuckDBInstance.create(':memory:', {
      ...(options.threads ? { threads: String(options.threads) } : {}),
      memory_limit: options.memoryLimit ?? '1GB',
      // DuckDB keeps the bytes it read from files in its buffer pool, up to the memory limit (a 10,000-column drift
      // grew to 1.5 GB RSS with it, 0.7 GB without); the OS page cache already holds them, and the files here change.
      enable_external_file_cache: 'false',
    });
    const connection = await instance.connect();
    try {
      const version = String((await connection.runAndReadAll('SELECT library_version FROM pragma_version()')).getRowObjects()[0]?.library_version ?? 'unknown');
      return new DataEngine(instance, version);
    } finally {
      connection.closeSync();
    }
  }

  /**
   * The files a location names, sorted (DuckDB's glob). A location without glob characters that is
   * a regular file names itself, without a query: a fleet's checks ask this of one file each time.
   */
  async files(location: string): Promise<string[]> {
    if (!/[*?[{]/.test(location) && (await stat(location).then((s) => s.isFile(), () => false))) return [location];
    const rows = await this.rows('SELECT file FROM glob($1) ORDER BY file', [location], location);
    return rows.map((r) => String(r.file));
  }

  private async withConnection<T>(use: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    let connection = this.idle.pop();
    if (!connection) {
      connection = await this.instance.connect();
      this.all.push(connection);
    }
    try {
      return await use(connection);
    } finally {
      this.idle.push(connection);
    }
  }

  /**
   * readerFor, except that a one-file CSV is sniffed once per state of its file: DuckDB's sniffer
   * reads CSV_SAMPLE_ROWS rows of every column on each query, which for wide files costs seconds
   * per query (3 s at 1,000 columns) while the read itself takes milliseconds. A glob of several files
   * is read as DuckDB reads it, sniffing each query: it matches each file's columns by its header, where
   * the sniffed reader (explicit columns, by position) would read a file with its columns in another order
   * into the wrong columns, and one file's state would not say when another file changed.
   */
  async reader(location: string, format: DataFormat = 'auto', slot = 1, opts: { allVarchar?: boolean } = {}): Promise<string> {
    return (await this.readerAndColumns(location, format, slot, opts)).reader;
  }

  /**
   * reader(), and the columns it gives when they are known without a query: a sniffed CSV's reader names them
   * (DESCRIBE of it answers exactly those). One lookup, so both are of the same state of the file.
   */
  async readerAndColumns(location: string, format: DataFormat = 'auto', slot = 1, opts: { allVarchar?: boolean } = {}): Promise<{ reader: string; columns: { name: string; type: string }[] | null }> {
    if ((format === 'auto' ? detectFormat(location) : format) !== 'csv') return { reader: readerFor(location, format, slot, opts), columns: null };
    const dialect = await this.csvDialect(location).catch(() => null);
    // Whatever the sniffer cannot read, the plain reader reports (and describe() diagnoses).
    if (!dialect) return { reader: readerFor(location, format, slot, opts), columns: null };
    const allVarchar = opts.allVarchar ?? false;
    return { reader: dialect.reader(slot, allVarchar), columns: allVarchar ? null : dialect.columns.map((c) => ({ ...c })) };
  }

  /** One state of a file, as its sniffed dialect is cached under; null when it cannot be read. */
  async fileState(file: string): Promise<string | null> {
    return (await stampOf(file))?.state ?? null;
  }

  /**
   * A byte-for-byte copy of a one-file CSV reads as its source does. When the source's file was in the state its
   * dialect was sniffed in before the copy began (`before`, from fileState) and still is, and had not been written
   * within the timestamp granularity of that sniff, the copy takes that dialect without a sniff of its own (a sniff
   * reads 20,480 rows of every column: seconds on a wide file). A source rewritten in the same tick as its sniff, with
   * the same size, would keep its state: its copy is sniffed on its own bytes.
   */
  async adoptDialect(copy: string, source: string, sourceFile: string, before: string | null): Promise<void> {
    const known = this.dialects.get(source);
    if (!before || !known?.lendable || known.signature !== before || (await this.fileState(sourceFile)) !== before) return;
    const state = await this.fileState(copy);
    if (state) this.remember(copy, { ...known, signature: state, lendable: false });
  }

  private remember(location: string, dialect: CsvDialect): void {
    if (this.dialects.size >= 256) this.dialects.delete(this.dialects.keys().next().value!);
    this.dialects.set(location, dialect);
  }

  private async csvDialect(location: string): Promise<CsvDialect | null> {
    const files = await this.files(location);
    if (files.length !== 1) return null;
    const file = files[0]!;
    const stamp = await stampOf(file);
    if (stamp === null) return null;
    const signature = stamp.state;
    const known = this.dialects.get(location);
    if (known?.signature === signature) return known;
    // Readers asked for at once (a count beside a describe) share one sniff of the file.
    const key = `${location}\0${signature}`;
    let pending = this.sniffing.get(key);
    if (!pending) {
      const lendable = stamp.writtenNs < BigInt(Date.now()) * 1_000_000n - GRANULARITY_NS;
      pending = this.sniff(location, file, signature, lendable).finally(() => this.sniffing.delete(key));
      this.sniffing.set(key, pending);
    }
    return pending;
  }

  private async sniff(location: string, file: string, signature: string, lendable: boolean): Promise<CsvDialect | null> {
    const [s] = await this.rows(
      `SELECT * FROM sniff_csv($1, header = true, sample_size = ${CSV_SAMPLE_ROWS}, nullstr = ['', 'NA', 'null'])`,
      [file],
      file,
    );
    const columns = (s?.Columns ?? []) as { name: string; type: string }[];
    if (!s || columns.length === 0) return null;
    const options = [
      'auto_detect = false',
      `delim = ${literal(sniffed(s.Delimiter))}`,
      `quote = ${literal(sniffed(s.Quote))}`,
      `escape = ${literal(sniffed(s.Escape))}`,
      `new_line = ${literal(sniffed(s.NewLineDelimiter))}`,
      `skip = ${Number(s.SkipRows ?? 0)}`,
      `comment = ${literal(sniffed(s.Comment))}`,
      `header = ${s.HasHeader === false ? 'false' : 'true'}`,
      ...(s.DateFormat ? [`dateformat = ${literal(String(s.DateFormat))}`] : []),
      ...(s.TimestampFormat ? [`timestampformat = ${literal(String(s.TimestampFormat))}`] : []),
      "nullstr = ['', 'NA', 'null']",
    ].join(', ');
    const typed = `{${columns.map((c) => `${literal(c.name)}: ${literal(c.type)}`).join(', ')}}`;
    const text = `{${columns.map((c) => `${literal(c.name)}: 'VARCHAR'`).join(', ')}}`;
    const dialect: CsvDialect = {
      signature,
      lendable,
      columns: columns.map((c) => ({ name: c.name, type: c.type })),
      reader: (slot, allVarchar) => `read_csv($${slot}, ${options}, columns = ${allVarchar ? text : typed})`,
    };
    this.remember(location, dialect);
    return dialect;
  }

  /** Small results as plain objects (aggregates, schema rows). */
  async rows(sql: string, params: DuckDBValue[] = [], location = ''): Promise<Record<string, unknown>[]> {
    try {
      const reader = await this.withConnection((c) => readAll(c, sql, params));
      return (reader.getRowObjectsJS() as Record<string, unknown>[]).map((row) =>
        Object.fromEntries(Object.entries(row).map(([k, v]) => [k, plain(v)])),
      );
    } catch (err) {
      throw dataError(err, location);
    }
  }

  /** Whole columns as arrays, for the few statistics that need every value (KS on a sorted column). */
  async columns(sql: string, params: DuckDBValue[] = [], location = ''): Promise<unknown[][]> {
    try {
      const reader = await this.withConnection((c) => readAll(c, sql, params));
      return reader.getColumnsJS() as unknown[][];
    } catch (err) {
      throw dataError(err, location);
    }
  }

  /**
   * The first column of a DOUBLE query as one typed array of at most `capacity` values, copied
   * straight from DuckDB's vectors (no row objects). The query must filter out NULLs: a NULL
   * slot in a vector holds no value.
   */
  async doubles(sql: string, params: DuckDBValue[], capacity: number, location = ''): Promise<Float64Array> {
    const out = new Float64Array(capacity);
    let n = 0;
    try {
      const result = await this.withConnection((c) => materialized(c, sql, params));
      if (result.columnCount !== 1 || result.columnTypeId(0) !== DuckDBTypeId.DOUBLE) throw new Error('expected one DOUBLE column');
      for (let c = 0; c < result.chunkCount; c++) {
        const chunk = result.getChunk(c).chunk;
        const size = duckdb.data_chunk_get_size(chunk);
        if (n + size > capacity) throw new Error(`more than the ${capacity} rows the dataset has`);
        const bytes = duckdb.vector_get_data(duckdb.data_chunk_get_vector(chunk, 0), size * Float64Array.BYTES_PER_ELEMENT);
        new Uint8Array(out.buffer, n * Float64Array.BYTES_PER_ELEMENT, bytes.length).set(bytes); // byte copy: no alignment assumed
        n += size;
      }
    } catch (err) {
      throw dataError(err, location);
    }
    return out.subarray(0, n);
  }

  /**
   * Each column of a query of DOUBLE columns as its own typed array of its non-null values (at most
   * `capacity` each), streamed chunk by chunk from DuckDB's vectors: one scan for many columns, no row
   * objects, no sort in DuckDB. (Each vector's data arrives as a copy, so a row sample is filtered in SQL.)
   */
  async doubleColumns(sql: string, params: DuckDBValue[], capacity: number, location = '', alloc: (length: number) => Float64Array = (n) => new Float64Array(n)): Promise<Float64Array[]> {
    try {
      return await this.withConnection(async (c) => {
        const result = await streamed(c, sql, params);
        for (let k = 0; k < result.columnCount; k++) if (result.columnTypeId(k) !== DuckDBTypeId.DOUBLE) throw new Error('expected DOUBLE columns');
        const out = Array.from({ length: result.columnCount }, () => alloc(capacity));
        const filled = new Array<number>(out.length).fill(0);
        for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
          const raw = chunk.chunk;
          const size = duckdb.data_chunk_get_size(raw);
          for (let k = 0; k < out.length; k++) {
            const vector = duckdb.data_chunk_get_vector(raw, k);
            const bytes = duckdb.vector_get_data(vector, size * Float64Array.BYTES_PER_ELEMENT);
            // Read in place when aligned; otherwise copied once into an aligned array to be read as doubles.
            const values = bytes.byteOffset % 8 === 0 ? new Float64Array(bytes.buffer, bytes.byteOffset, size) : new Float64Array(size);
            if (values.buffer !== bytes.buffer) new Uint8Array(values.buffer).set(bytes);
            const valid = validity(vector, size);
            const target = out[k]!;
            let n = filled[k]!;
            if (!valid) {
              if (n + size > capacity) throw new Error(`more than the ${capacity} rows the dataset has`);
              target.set(values, n);
              filled[k] = n + size;
              continue;
            }
            for (let i = 0; i < size; i++) {
              if (!isValid(valid, i)) continue;
              if (n === capacity) throw new Error(`more than the ${capacity} rows the dataset has`);
              target[n++] = values[i]!;
            }
            filled[k] = n;
          }
        }
        return out.map((a, k) => a.subarray(0, filled[k]));
      });
    } catch (err) {
      throw dataError(err, location);
    }
  }

  close(): void {
    for (const connection of this.all) connection.closeSync();
  }
}

/**
 * One statement, its parameters bound. The library's run(sql, values) first splits the text as a script of statements
 * and then prepares the last: a thread-pool round trip more per query, about a tenth of a millisecond of CPU, paid by
 * every one of a run's few-row statements. A statement is prepared straight instead (a script does not come here:
 * every query of this engine is one statement); one without parameters is run as it is.
 */
async function prepared<T>(c: DuckDBConnection, sql: string, params: DuckDBValue[], use: (p: Awaited<ReturnType<DuckDBConnection['prepare']>>) => Promise<T>): Promise<T> {
  const statement = await c.prepare(sql);
  try {
    statement.bind(params);
    return await use(statement);
  } finally {
    statement.destroySync();
  }
}

const readAll = (c: DuckDBConnection, sql: string, params: DuckDBValue[]): Promise<DuckDBResultReader> =>
  params.length === 0 ? c.runAndReadAll(sql) : prepared(c, sql, params, (p) => p.runAndReadAll());

const materialized = (c: DuckDBConnection, sql: string, params: DuckDBValue[]): Promise<DuckDBMaterializedResult> =>
  params.length === 0 ? c.run(sql) : prepared(c, sql, params, (p) => p.run());

const streamed = (c: DuckDBConnection, sql: string, params: DuckDBValue[]): Promise<DuckDBResult> =>
  params.length === 0 ? c.stream(sql) : prepared(c, sql, params, (p) => p.stream());

/** A vector's validity bits (bit i of byte i>>3), or null when every row is valid. */
function validity(vector: duckdb.Vector, size: number): Uint8Array | null {
  const bytes = duckdb.vector_get_validity(vector, Math.ceil(size / 64) * 8) as Uint8Array | null | undefined;
  return bytes && bytes.length ? bytes : null;
}

const isValid = (bits: Uint8Array, i: number) => ((bits[i >> 3]! >> (i & 7)) & 1) === 1;

/** BigInt and Date become JSON-safe values, so results can travel through workflow history. */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Date) return v.toISOString();
  return v;
}

function dataError(err: unknown, location: string): RetrainError {
  const message = (err as Error).message.split('\n').slice(0, 3).join(' ');
  return new RetrainError(FailureType.DataSource, `${location || 'dataset'}: cannot read data: ${message}`, {
    file: location,
  });
}
