import { Worker } from 'node:worker_threads';
import { fromKeys, LITTLE_ENDIAN, radixSortDoubles, toKeys } from './radix-sort.js';

/**
 * A second thread for the sorts of a drift report: the two sides of a column are sorted at once, one
 * here and one on the main thread, so both cores work (DuckDB's reads use its own threads between sorts).
 * One worker per process, started on first use, holding the process open only while it sorts; its
 * code is the radix sort's own functions, so it needs no file of its own in the source or the build.
 * Before its first real sort the thread sorts a small test array, checked here: code a bundler rewrote
 * so that its text no longer runs alone fails that test, not a report. Arrays below PARALLEL_MIN_VALUES,
 * or any when the thread cannot start or fails its test, sort on the calling thread; a thread that fails
 * later (out of memory) fails the sort it held, and is not used again.
 */
export const PARALLEL_MIN_VALUES = 1_000_000;

let worker: Worker | null | undefined;
let ready: Promise<boolean> = Promise.resolve(false);
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
      pending.get(id)?.resolve(buffer);
      pending.delete(id);
      if (pending.size === 0) w.unref();
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

/** The thread's first job: a small array with every kind of value, sorted there and checked against the sort here. */
async function selfTest(w: Worker): Promise<boolean> {
  const values = Float64Array.from({ length: 300 }, (_, i) => [NaN, -0, 0, Infinity, -Infinity][i % 40] ?? Math.sin(i) * 10 ** ((i % 9) - 4));
  const expected = radixSortDoubles(Float64Array.from(values));
  try {
    const sorted = await post(w, values);
    return sorted.length === expected.length && sorted.every((v, i) => Object.is(v, expected[i]));
  } catch {
    return false;
  }
}

function post(w: Worker, values: Float64Array): Promise<Float64Array> {
  const { buffer, byteOffset, length } = values;
  const id = nextId++;
  return new Promise<ArrayBuffer>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.ref();
    w.postMessage({ id, buffer, byteOffset, length }, [buffer as ArrayBuffer]);
  }).then((back) => new Float64Array(back, byteOffset, length));
}

/**
 * `values` sorted ascending, as radixSortDoubles sorts: on the worker thread when it is idle and the
 * array is large, else here. The array's whole buffer moves to the thread and back (no copy), so the
 * buffer must hold nothing else the caller still reads: use the returned array, never `values` again.
 */
export async function sortDoubles(values: Float64Array, scratch?: Float64Array): Promise<Float64Array> {
  if (values.length < PARALLEL_MIN_VALUES || busy) return radixSortDoubles(values, scratch);
  if (worker === undefined) {
    worker = startWorker();
    if (worker) ready = selfTest(worker);
  }
  const w = worker;
  if (!w) return radixSortDoubles(values, scratch);
  busy = true; // claimed before waiting, so a second caller sorts on its own thread meanwhile
  if (!(await ready)) {
    busy = false;
    worker = null;
    void w.terminate();
    return radixSortDoubles(values, scratch);
  }
  try {
    return await post(w, values);
  } finally {
    busy = false;
  }
}
