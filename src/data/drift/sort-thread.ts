import { Worker } from 'node:worker_threads';
import { fromKeys, LITTLE_ENDIAN, radixSortDoubles, toKeys } from './radix-sort.js';

/**
 * A second thread for the sorts of a drift report: the two sides of a column are sorted at once, one
 * here and one on the main thread, so both cores work (DuckDB's reads use its own threads between sorts).
 * One worker per process, started on first use, holding the process open only while it sorts; its
 * code is the radix sort's own functions, so it needs no file of its own in the source or the build.
 * Arrays below PARALLEL_MIN_VALUES, or any when the thread cannot start, sort on the calling thread; a
 * thread that fails (out of memory) fails the sort it held, and is not used again.
 */
export const PARALLEL_MIN_VALUES = 1_000_000;

let worker: Worker | null | undefined;
let busy = false;
const pending = new Map<number, { resolve: (buffer: ArrayBuffer) => void; reject: (err: Error) => void }>();
let nextId = 0;

function startWorker(): Worker | null {
  const source = [
    'const { parentPort } = require("node:worker_threads");',
    'const __name = (f) => f;', // a bundler's keep-names helper, should the functions' text call it
    `const LITTLE_ENDIAN = ${String(LITTLE_ENDIAN)};`,
    String(toKeys),
    String(fromKeys),
    `const radixSortDoubles = ${String(radixSortDoubles)};`,
    'parentPort.on("message", ({ id, buffer, byteOffset, length }) => {',
    '  radixSortDoubles(new Float64Array(buffer, byteOffset, length));',
    '  parentPort.postMessage({ id, buffer }, [buffer]);',
    '});',
  ].join('\n');
  try {
    const w = new Worker(source, { eval: true });
    w.on('message', ({ id, buffer }: { id: number; buffer: ArrayBuffer }) => {
      busy = false;
      w.unref();
      pending.get(id)?.resolve(buffer);
      pending.delete(id);
    });
    const fail = (err: Error) => {
      worker = null;
      busy = false;
      for (const p of pending.values()) p.reject(err);
      pending.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`the sort thread exited (code ${code})`)));
    // Idle, it never keeps the process alive (set after the listeners, which ref it); a sort refs it while it runs.
    w.unref();
    return w;
  } catch {
    return null;
  }
}

/**
 * `values` sorted ascending, as radixSortDoubles sorts: on the worker thread when it is idle and the
 * array is large, else here. The array's whole buffer moves to the thread and back (no copy), so the
 * buffer must hold nothing else the caller still reads: use the returned array, never `values` again.
 */
export async function sortDoubles(values: Float64Array, scratch?: Float64Array): Promise<Float64Array> {
  if (values.length < PARALLEL_MIN_VALUES || busy) return radixSortDoubles(values, scratch);
  if (worker === undefined) worker = startWorker();
  if (!worker) return radixSortDoubles(values, scratch);
  const { buffer, byteOffset, length } = values;
  const id = nextId++;
  busy = true;
  const back = await new Promise<ArrayBuffer>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    worker!.ref();
    worker!.postMessage({ id, buffer, byteOffset, length }, [buffer as ArrayBuffer]);
  });
  return new Float64Array(back, byteOffset, length);
}
