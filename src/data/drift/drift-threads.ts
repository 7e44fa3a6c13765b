import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { giveBuffer, takeDoubles } from './column-buffers.js';
import { LITTLE_ENDIAN, RADIX, radixSortDoubles } from './radix-sort.js';
import { compareSorted, countDistinct, countsPerValue, evidentlyBins, firstAtLeast, histogram, populationStd, sortedComparison, type SortedComparison } from './sorted-stats.js';

/**
 * Threads for the CPU-bound part of an exact drift report: sorting a large column, and comparing two
 * sorted columns (the merge walk and the bins). With that work off the main thread, the main thread
 * only reads: DuckDB streams the next column in while both cores sort and compare the previous ones
 * (a sort on the main thread stalled every read behind it, and left the one sort thread idle 60% of a
 * 10M-row report). One thread per core, at most two: a report has at most two large jobs at once (two
 * lanes, or the two sides of one column). Started on first use; idle, they never hold the process open.
 * Their code is the radix sort's and sorted-stats.ts's own functions, as text, so they need no file of
 * their own in the source or the build. Each thread first runs a small sort and comparison, checked
 * here: code a bundler rewrote so that its text no longer runs alone fails that test, not a report.
 * Arrays below PARALLEL_MIN_VALUES, or any when no thread starts or passes its test, are worked on the
 * calling thread. A job that throws there (out of memory) fails with its error; a thread that dies fails
 * the job it held and leaves the pool.
 */
export const PARALLEL_MIN_VALUES = 1_000_000;

const THREADS = Math.max(1, Math.min(2, os.availableParallelism()));

interface Job {
  id: number;
  kind: 'sort' | 'compare';
  a: { buffer: ArrayBuffer; byteOffset: number; length: number };
  b?: { buffer: ArrayBuffer; byteOffset: number; length: number };
  integer?: boolean;
  distinctInA?: number;
  stdA?: number;
}

interface Reply {
  id: number;
  result?: SortedComparison | null;
  error?: { name: string; message: string; stack: string };
  a: ArrayBuffer;
  b?: ArrayBuffer;
}

interface Thread {
  worker: Worker;
  busy: boolean;
  dead?: boolean;
  pending?: { resolve: (r: Reply) => void; reject: (err: Error) => void };
}

/** undefined: not started yet; then the threads that passed their test (possibly none). */
let pool: Promise<Thread[]> | undefined;
const waiting: ((t: Thread | null) => void)[] = [];
let nextId = 0;

function source(): string {
  // Declarations as the functions' own text, so the names they call each other by are the names they have.
  const declared = [radixSortDoubles, countDistinct, populationStd, countsPerValue, firstAtLeast, histogram, evidentlyBins, compareSorted, sortedComparison];
  return [
    'const { parentPort } = require("node:worker_threads");',
    'const __name = (f) => f;', // a bundler's keep-names helper, should the functions' text call it
    `const LITTLE_ENDIAN = ${String(LITTLE_ENDIAN)};`,
    `const RADIX = ${String(RADIX)};`,
    ...declared.map(String),
    `const sortValues = ${radixSortDoubles.name};`,
    `const compareSides = ${sortedComparison.name};`,
    'parentPort.on("message", (job) => {',
    '  const buffers = job.b && job.b.buffer !== job.a.buffer ? [job.a.buffer, job.b.buffer] : [job.a.buffer];',
    '  const reply = { id: job.id, a: job.a.buffer, b: job.b && job.b.buffer };',
    '  try {',
    '    const a = new Float64Array(job.a.buffer, job.a.byteOffset, job.a.length);',
    '    if (job.kind === "sort") { sortValues(a, new Float64Array(job.b.buffer, job.b.byteOffset, job.b.length)); reply.result = null; }',
    '    else reply.result = compareSides(a, new Float64Array(job.b.buffer, job.b.byteOffset, job.b.length), job.integer, job.distinctInA, job.stdA);',
    '  } catch (err) { reply.error = { name: String(err && err.name || "Error"), message: String(err && err.message || err), stack: String(err && err.stack || "") }; }',
    '  parentPort.postMessage(reply, buffers);',
    '});',
  ].join('\n');
}

function startThread(): Thread | null {
  try {
    const worker = new Worker(source(), { eval: true });
    const t: Thread = { worker, busy: false };
    worker.on('message', (reply: Reply) => {
      const p = t.pending;
      t.pending = undefined;
      worker.unref();
      p?.resolve(reply);
    });
    const fail = (err: Error) => {
      t.dead = true;
      t.pending?.reject(err);
      t.pending = undefined;
      void pool?.then((threads) => {
        const k = threads.indexOf(t);
        if (k >= 0) threads.splice(k, 1);
        // Nobody waits for a thread that no longer exists: with none left, waiting jobs run where they were asked.
        if (threads.length === 0) while (waiting.length) waiting.shift()!(null);
      });
    };
    worker.on('error', fail);
    // A reply that cannot be read would leave its job waiting forever, and every job queued behind it.
    worker.on('messageerror', fail);
    worker.on('exit', (code) => fail(new Error(`a drift thread exited (code ${code})`)));
    worker.unref(); // set after the listeners, which ref it; a job refs it while it runs
    return t;
  } catch {
    return null;
  }
}

/** The thread's first job: a small sort and comparison with every kind of value, checked against the same work here. */
async function selfTest(t: Thread): Promise<boolean> {
  const values = Float64Array.from({ length: 300 }, (_, i) => [NaN, -0, 0, Infinity, -Infinity][i % 40] ?? Math.sin(i) * 10 ** ((i % 9) - 4));
  const expected = radixSortDoubles(Float64Array.from(values));
  const a = Float64Array.from({ length: 400 }, (_, i) => Math.round(Math.cos(i) * 50) / 7).sort();
  const b = Float64Array.from({ length: 300 }, (_, i) => Math.round(Math.sin(i) * 40) / 7).sort();
  const compared = JSON.stringify(sortedComparison(a, b, false));
  try {
    const sorted = await send(t, { kind: 'sort', a: values, b: new Float64Array(values.length) });
    const cmp = await send(t, { kind: 'compare', a: Float64Array.from(a), b: Float64Array.from(b), integer: false });
    return sorted.a.length === expected.length && sorted.a.every((v, i) => Object.is(v, expected[i])) && JSON.stringify(cmp.result) === compared;
  } catch {
    return false;
  }
}

function threads(): Promise<Thread[]> {
  pool ??= (async () => {
    const started = Array.from({ length: THREADS }, startThread).filter((t): t is Thread => t !== null);
    const passed = await Promise.all(started.map(selfTest));
    started.filter((_, k) => !passed[k]).forEach((t) => void t.worker.terminate());
    // Said once: without the threads every report still comes out right, on the calling thread and slower.
    if (started.length < THREADS || passed.includes(false)) process.emitWarning(`drift threads: ${passed.filter(Boolean).length} of ${THREADS} started and passed their self-test; the rest of the work runs on the calling thread`, 'DriftThreadsWarning');
    return started.filter((_, k) => passed[k]);
  })();
  return pool;
}

/** An idle thread, claimed (waiting for one when all are busy), or null when there are none. */
async function acquire(): Promise<Thread | null> {
  const all = await threads();
  if (all.length === 0) return null;
  const idle = all.find((t) => !t.busy);
  if (idle) {
    idle.busy = true;
    return idle;
  }
  return new Promise((resolve) => waiting.push(resolve));
}

function release(t: Thread): void {
  const next = waiting.shift();
  if (!next) t.busy = false;
  else if (!t.dead) next(t); // handed over still busy
  else void acquire().then(next); // another thread, or null when none is left
}

/** Sends a job; its arrays' whole buffers move to the thread and back (no copy), so the caller reads only the returned ones. */
function send(t: Thread, job: { kind: Job['kind']; a: Float64Array; b?: Float64Array; integer?: boolean; distinctInA?: number; stdA?: number }): Promise<{ a: Float64Array; b?: Float64Array; result?: SortedComparison | null }> {
  const view = (x: Float64Array) => ({ buffer: x.buffer as ArrayBuffer, byteOffset: x.byteOffset, length: x.length });
  const { a, b, ...rest } = job;
  const msg: Job = { ...rest, id: nextId++, a: view(a), ...(b ? { b: view(b) } : {}) };
  const buffers = msg.b && msg.b.buffer !== msg.a.buffer ? [msg.a.buffer, msg.b.buffer] : [msg.a.buffer];
  return new Promise<Reply>((resolve, reject) => {
    t.pending = { resolve, reject };
    t.worker.ref();
    try {
      t.worker.postMessage(msg, buffers);
    } catch (err) {
      // A buffer that cannot move (a pooled Node.js Buffer's): nothing was sent.
      t.pending = undefined;
      t.worker.unref();
      reject(Object.assign(err as Error, { notSent: true }));
    }
  }).then((reply) => {
    if (reply.error !== undefined) {
      // The thread's error as it was (a RangeError stays one), with the thread's stack.
      const err = reply.error.name === 'RangeError' ? new RangeError(reply.error.message) : new Error(reply.error.message);
      throw Object.assign(err, { name: reply.error.name, stack: reply.error.stack || err.stack });
    }
    const a = new Float64Array(reply.a, msg.a.byteOffset, msg.a.length);
    const b = msg.b ? new Float64Array(reply.b ?? reply.a, msg.b.byteOffset, msg.b.length) : undefined;
    return { a, ...(b ? { b } : {}), result: reply.result ?? null };
  });
}

/** A job on a thread, or here when there is none (or the arrays cannot move): `here` does the same work. */
async function onThread<T>(job: Parameters<typeof send>[1], fromReply: (r: Awaited<ReturnType<typeof send>>) => T, here: () => T): Promise<T> {
  const t = await acquire();
  if (!t) return here();
  try {
    return fromReply(await send(t, job));
  } catch (err) {
    if ((err as { notSent?: boolean }).notSent) return here();
    throw err;
  } finally {
    release(t);
  }
}

/**
 * `values` sorted ascending, as radixSortDoubles sorts: large arrays on a drift thread, else here. The
 * array's whole buffer moves to the thread and back, so it must hold nothing else the caller still
 * reads: use the returned array, never `values` again.
 */
export async function sortDoubles(values: Float64Array): Promise<Float64Array> {
  if (values.length < PARALLEL_MIN_VALUES) return radixSortDoubles(values);
  // The sort's second buffer comes from the report's pool and goes back to it: held only while a sort runs.
  const scratch = takeDoubles(values.length);
  return onThread(
    { kind: 'sort', a: values, b: scratch },
    (r) => {
      giveBuffer(r.b?.buffer);
      return r.a;
    },
    () => {
      radixSortDoubles(values, scratch);
      giveBuffer(scratch.buffer);
      return values;
    },
  );
}

/**
 * sortedComparison of two sorted sides, on a drift thread when they are large. Both arrays' buffers move
 * to the thread: neither `a` nor `b` may be read afterwards.
 */
export async function compareSortedSides(a: Float64Array, b: Float64Array, integer: boolean, distinctInA?: number, stdA?: number): Promise<SortedComparison> {
  // Their buffers are nobody's afterwards: the next columns of a report may reuse them (column-buffers.ts).
  const here = () => {
    const result = sortedComparison(a, b, integer, distinctInA, stdA);
    giveBuffer(a.buffer);
    giveBuffer(b.buffer);
    return result;
  };
  if (a.length + b.length < PARALLEL_MIN_VALUES) return here();
  return onThread(
    { kind: 'compare', a, b, integer, ...(distinctInA === undefined ? {} : { distinctInA }), ...(stdA === undefined ? {} : { stdA }) },
    (r) => {
      giveBuffer(r.a.buffer);
      giveBuffer(r.b?.buffer);
      return r.result!;
    },
    here,
  );
}
