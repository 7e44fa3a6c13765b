import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';

/** The score-only outputs kept per model: the newest few, for a person looking into a recent estimate. */
export const SCORE_OUTPUTS_KEPT = 5;
export const SCORE_OUTPUT_DIR = 'score-current';

/**
 * Removes the `score-current` folders of a model's older runs, keeping the newest `keep` (by modification time) and
 * never `current`. Every check of `estimate.from: score` writes one (a line per unlabelled row), and a fleet checks
 * every few minutes: unbounded, they fill the state disk. The rest of each run folder (logs, check reports) stays.
 * One readdir of the model's runs and one stat per run that has such a folder.
 */
export async function pruneScoreOutputs(modelRunsDir: string, current: string, keep = SCORE_OUTPUTS_KEPT): Promise<string[]> {
  const runs = await readdir(modelRunsDir, { withFileTypes: true }).catch(() => []);
  const found: { dir: string; mtimeMs: number }[] = [];
  for (const r of runs) {
    if (!r.isDirectory()) continue;
    const dir = path.join(modelRunsDir, r.name, SCORE_OUTPUT_DIR);
    if (path.resolve(dir) === path.resolve(current)) continue;
    const s = await stat(dir).catch(() => null);
    if (s?.isDirectory()) found.push({ dir, mtimeMs: s.mtimeMs });
  }
  found.sort((a, b) => b.mtimeMs - a.mtimeMs || (a.dir < b.dir ? 1 : -1));
  // `current` is about to be written: it counts as one of the kept.
  const removed = found.slice(Math.max(0, keep - 1)).map((f) => f.dir);
  for (const dir of removed) await rm(dir, { recursive: true, force: true });
  return removed;
}
