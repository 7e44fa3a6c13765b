/**
 * How far `current` fell below `baseline`, as a fraction of the baseline, in the metric's good
 * direction (0.1 = 10% worse; negative = better). One definition for the trigger policy's
 * `maxRelativeDrop` and the watch window's, so the two never disagree.
 *
 * A zero baseline has no relative scale: the drop is then measured in the metric's own units
 * (as if the baseline were 1), so 0 → 0.05 on a minimized error counts as a 5% drop. That keeps
 * the rule finite and in force rather than silently off (the watch window always measured it
 * this way; the trigger policy skipped the rule before).
 */
export function relativeDrop(baseline: number, current: number, direction: 'maximize' | 'minimize'): number {
  const better = direction === 'maximize' ? 1 : -1;
  return ((baseline - current) * better) / Math.abs(baseline || 1);
}
