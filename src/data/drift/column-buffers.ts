/**
 * Large column buffers, reused within drift reports. An exact report of 10M rows reads 12 columns of
 * 80 MB a side: allocated fresh, each one is 20,000 pages the kernel faults in and zeroes, then garbage
 * the collector finds later (measured: seconds of system time, and peak memory from arrays awaiting
 * collection). Buffers given back while a report runs are handed to its next columns; when the last
 * report ends the free ones are dropped, so an idle worker holds none.
 */
export const MIN_POOLED_BYTES = 8 * 1_000_000;
const MAX_FREE = 2;
/** New buffers are rounded up to whole MiB, so a column read from DuckDB and one read back from a file (48 bytes more) share buffers. */
const ROUND = 1 << 20;

const free: ArrayBuffer[] = [];
let reports = 0;

/** A buffer of at least `bytes` (a free one when it fits, the smallest such), or a new one. */
export function takeBuffer(bytes: number): ArrayBuffer {
  let best = -1;
  for (let k = 0; k < free.length; k++) if (free[k]!.byteLength >= bytes && (best < 0 || free[k]!.byteLength < free[best]!.byteLength)) best = k;
  return best >= 0 ? free.splice(best, 1)[0]! : new ArrayBuffer(bytes >= MIN_POOLED_BYTES ? Math.ceil(bytes / ROUND) * ROUND : bytes);
}

/** A Float64Array of `length` values, from the pool when large (its contents are whatever was there). */
export function takeDoubles(length: number): Float64Array {
  return length * 8 >= MIN_POOLED_BYTES ? new Float64Array(takeBuffer(length * 8), 0, length) : new Float64Array(length);
}

/** Gives a buffer back; nobody may read it afterwards. Kept only while a report runs, and only large ones. */
export function giveBuffer(buffer: ArrayBufferLike | undefined): void {
  if (!buffer || reports === 0 || !(buffer instanceof ArrayBuffer) || buffer.byteLength < MIN_POOLED_BYTES || free.includes(buffer)) return;
  free.push(buffer);
  if (free.length > MAX_FREE) free.sort((a, b) => b.byteLength - a.byteLength).pop();
}

/** Runs one drift report with the pool open. */
export async function withColumnBuffers<T>(fn: () => Promise<T>): Promise<T> {
  reports++;
  try {
    return await fn();
  } finally {
    if (--reports === 0) free.length = 0;
  }
}
