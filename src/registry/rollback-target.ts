import type { AliasMove, ModelVersion, RollbackMark } from './registry.js';

/** A version a rollback walked past, and why. */
export interface SkippedVersion {
  version: number;
  why: string;
}

export interface RollbackTarget {
  /** The most recent earlier production version not declared bad; null when there is none. */
  to: number | null;
  /** Every earlier production version walked past (most recent first), with the reason. */
  skipped: SkippedVersion[];
}

export const describeMark = (m: RollbackMark) => `rolled back ${m.at} by ${m.by}: ${m.reason}`;

export const describeSkipped = (skipped: SkippedVersion[]) => skipped.map((s) => `v${s.version} (${s.why})`).join(', ');

/**
 * Where a rollback without a named version goes: back through the alias history, most recent
 * first, past the current version and every version production was rolled away from (marked
 * bad), to the last production version that was not declared bad. Walking the history (not just
 * the last move) is what keeps two rollbacks in a row from landing on the first one's bad model.
 */
export function rollbackTarget(history: AliasMove[], alias: string, current: number | null, versions: ModelVersion[]): RollbackTarget {
  const byNumber = new Map(versions.map((v) => [v.version, v]));
  const seen = new Set<number>(current === null ? [] : [current]);
  const skipped: SkippedVersion[] = [];
  for (let i = history.length - 1; i >= 0; i--) {
    const move = history[i]!;
    if (move.alias !== alias) continue;
    for (const candidate of [move.to, move.from]) {
      if (candidate === null || seen.has(candidate)) continue;
      seen.add(candidate);
      const v = byNumber.get(candidate);
      if (!v) skipped.push({ version: candidate, why: 'no longer in the registry' });
      else if (v.rolledBack) skipped.push({ version: candidate, why: describeMark(v.rolledBack) });
      else return { to: candidate, skipped };
    }
  }
  return { to: null, skipped };
}
