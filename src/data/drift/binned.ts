/** Distances between two distributions given as counts over the same bins (Evidently's definitions). */

/** Shares per bin with empty bins set to 0.0001, as Evidently's get_binned_data(feel_zeroes=True). */
export function sharesWithFloor(counts: number[], total: number): number[] {
  return counts.map((c) => (c === 0 ? 0.0001 : c / total));
}

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
