/**
 * Sorts doubles ascending in place by LSD radix sort on their bit patterns, four passes of 16 bits.
 * Drift's exact tests need every value of a column sorted, and that sort is the floor of a drift
 * report: radix sort does it in O(n) passes over memory, measured at about twice the speed of
 * Float64Array.prototype.sort on 10M values (BENCHMARKS.md), and without DuckDB's sort buffers.
 * The order is the typed-array sort's: -Infinity first, then +Infinity and NaN last (a NaN with its sign
 * bit set sorts before -Infinity; callers cut non-finite values from both ends). -0 sorts before +0.
 * `scratch`, when given and large enough, is the second buffer the passes move values through.
 */
export function radixSortDoubles(values: Float64Array, scratch?: Float64Array): Float64Array {
  const n = values.length;
  if (n < 2) return values;
  if (n < 256 || !LITTLE_ENDIAN) return values.sort(); // below 256 the count arrays cost more than the sort
  const other = scratch && scratch.length >= n ? scratch.subarray(0, n) : new Float64Array(n);
  // Bit patterns to unsigned keys that order as the doubles do: a negative number's bits all flip (so
  // larger magnitudes sort first), a positive one's sign bit is set. Done and undone in place.
  toKeys(new Uint32Array(values.buffer, values.byteOffset, 2 * n), n);
  let from = values;
  let to = other;
  const counts = new Uint32Array(65536);
  for (let pass = 0; pass < 4; pass++) {
    const digits = new Uint16Array(from.buffer, from.byteOffset, 4 * n);
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[digits[4 * i + pass]!]!++;
    // A digit that every key shares (the high bits of data in one range) needs no pass.
    let shared = false;
    for (let d = 0, sum = 0; d < 65536; d++) {
      const c = counts[d]!;
      if (c === n) {
        shared = true;
        break;
      }
      counts[d] = sum;
      sum += c;
    }
    if (shared) continue;
    // Keys move as 64-bit integers: moved as doubles, a key with a NaN's bit pattern could be canonicalised.
    const src = new BigUint64Array(from.buffer, from.byteOffset, n);
    const dst = new BigUint64Array(to.buffer, to.byteOffset, n);
    for (let i = 0; i < n; i++) dst[counts[digits[4 * i + pass]!]!++] = src[i]!;
    [from, to] = [to, from];
  }
  fromKeys(new Uint32Array(from.buffer, from.byteOffset, 2 * n), n);
  if (from !== values) values.set(from);
  return values;
}

export const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Little-endian words: the high word (sign, exponent) of value i is word 2i+1. */
export function toKeys(words: Uint32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const hi = words[2 * i + 1]!;
    if (hi & 0x80000000) {
      words[2 * i + 1] = ~hi;
      words[2 * i] = ~words[2 * i]!;
    } else words[2 * i + 1] = hi | 0x80000000;
  }
}

export function fromKeys(words: Uint32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const hi = words[2 * i + 1]!;
    if (hi & 0x80000000) words[2 * i + 1] = hi & 0x7fffffff;
    else {
      words[2 * i + 1] = ~hi;
      words[2 * i] = ~words[2 * i]!;
    }
  }
}
