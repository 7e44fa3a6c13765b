/** Distances between two distributions given as counts over the same bins (Evidently's definitions). */

/**
 * Shares per bin with empty bins filled, as Evidently's get_binned_data(feel_zeroes=True): 0.0001,
 * or a millionth of the smallest non-empty share when that is already at most 0.0001.
 */
export function filledShares(counts: number[], total: number): number[] {
  const shares = counts.map((c) => c / total);
  const smallest = shares.reduce((min, s) => (s > 0 && s < min ? s : min), Infinity);
  const fill = smallest <= 0.0001 ? smallest / 1e6 : 0.0001;
  return shares.map((s) => (s === 0 ? fill : s));
}

export const shares = (counts: number[], total: number): number[] => counts.map((c) => c / total);

/** Population Stability Index over filled shares (an empty bin would make it infinite). */
export function psi(ref: number[], cur: number[]): number {
  return ref.reduce((s, r, i) => s + (r - cur[i]!) * Math.log(r / cur[i]!), 0);
}

const relEntr = (x: number, y: number) => (x > 0 && y > 0 ? x * Math.log(x / y) : x === 0 && y >= 0 ? 0 : Infinity);

/** scipy.spatial.distance.jensenshannon (natural log): inputs are normalized first. */
export function jensenShannon(p: number[], q: number[]): number {
  const sp = p.reduce((s, x) => s + x, 0);
  const sq = q.reduce((s, x) => s + x, 0);
  let sum = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i]! / sp;
    const b = q[i]! / sq;
    const m = (a + b) / 2;
    sum += relEntr(a, m) + relEntr(b, m);
  }
  return Math.sqrt(Math.max(0, sum / 2));
}

export function linf(ref: number[], cur: number[]): number {
  return ref.reduce((mx, r, i) => Math.max(mx, Math.abs(r - cur[i]!)), 0);
}
