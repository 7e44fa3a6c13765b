import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cp, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { ModelPlan } from '../config/plan.js';
import { FailureType, RetrainError } from '../errors.js';
import { findDvcEntry } from '../lineage/dvc.js';
import { gitState } from '../lineage/git.js';
import { redact } from '../redact.js';
import { dvc, inWorktree, shareCache } from './dvc-train.js';
import { heartbeating } from './heartbeat.js';

/** Where a model's refreshed stage output is kept: `<stateDir>/dvc-data/<model>/<out path in the repo>`. */
const refreshRoot = (plan: ModelPlan) => path.join(plan.stateDir, 'dvc-data', plan.name);

/**
 * The plan the data steps read: with `data.dvc.refresh` set and the data a dvc.lock stage out,
 * `data.current` is the refreshed copy (when one was made), and its folder joins the data roots.
 * Otherwise the plan itself: plain users pay nothing.
 */
export function planWithRefreshedData(plan: ModelPlan): ModelPlan {
  if ((plan.data.dvc?.refresh ?? 'none') === 'none') return plan;
  const root = refreshRoot(plan);
  let current: string;
  try {
    // Written by refreshStageData below; read back so later steps of the run find the copy.
    current = String((JSON.parse(readFileSync(path.join(root, MARKER), 'utf8')) as { current?: unknown }).current ?? '');
  } catch {
    return plan;
  }
  if (!current || current.split(/[\\/]/).includes('..')) return plan;
  const copy = path.join(root, 'out', current);
  if (!existsSync(copy.replace(/[*?[{].*$/, ''))) return plan;
  return { ...plan, data: { ...plan.data, current: copy }, ...(plan.dataRoots ? { dataRoots: [...plan.dataRoots, path.join(root, 'out')] } : {}) };
}

const MARKER = 'refreshed.json';

/**
 * `data.dvc.refresh`: before the check, bring a stage-produced `data.current` up to date, in an
 * isolated worktree at the repository's HEAD sharing the user's DVC cache: `pull` runs
 * `dvc pull <out>` (the remote must have what HEAD's dvc.lock names); `repro` runs
 * `dvc repro --pull <stage>` (pulls outs the remote has, runs the stages it does not). The
 * output is copied to `<stateDir>/dvc-data/<model>/out/<path>` and the check, snapshot and
 * validation read that copy; the user's working tree and dvc.lock are never touched.
 */
export async function refreshStageData(plan: ModelPlan, runDirectory: string): Promise<ModelPlan> {
  const refresh = plan.data.dvc?.refresh ?? 'none';
  if (refresh === 'none') return plan;
  const where = `${plan.configFile}: models.${plan.name}.data.dvc.refresh`;
  const entry = await findDvcEntry(plan.data.current);
  if (!entry?.stage) {
    throw new RetrainError(FailureType.Config, `${where}: ${refresh} needs data.current to be a stage out in dvc.lock; ${plan.data.current} is ${entry ? `tracked by ${entry.file} (dvc add)` : 'not tracked by DVC'}`, { field: 'data.dvc.refresh' });
  }
  const repo = await gitState(entry.root);
  if (!repo) throw new RetrainError(FailureType.Config, `${where}: ${entry.root} is not in a git repository with a commit`, { field: 'data.dvc.refresh' });
  const wt = path.join(runDirectory, 'dvc-refresh-worktree');
  const outRel = path.relative(repo.repo, path.join(entry.root, entry.outPath));
  const root = refreshRoot(plan);
  await heartbeating('check', () => inWorktree(repo.repo, repo.commit, wt, async () => {
    const wtRoot = path.join(wt, path.relative(repo.repo, entry.root));
    await shareCache(entry.root, wtRoot);
    const args = refresh === 'pull' ? ['pull', entry.outPath] : ['repro', '--pull', entry.stage!];
    if (refresh === 'repro') await dvc(wtRoot, 'checkout'); // deps from the shared cache; misses are pulled or reported by repro
    const r = await dvc(wtRoot, ...args);
    if (r.exitCode !== 0) {
      throw new RetrainError(FailureType.DataSource, `${where}: dvc ${args.join(' ')} failed (exit ${r.exitCode}) in a worktree at ${repo.commit.slice(0, 12)}:\n${redact(r.all?.slice(-2000) ?? '')}`, { field: 'data.dvc.refresh' });
    }
    const produced = path.join(wt, outRel);
    if (!existsSync(produced)) throw new RetrainError(FailureType.DataSource, `${where}: dvc ${args.join(' ')} left no ${outRel}`, { file: outRel });
    // Replaced whole (temp name, then rename): a reader never sees half of a refreshed copy.
    const dest = path.join(root, 'out', outRel);
    const tmp = `${dest}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(path.dirname(dest), { recursive: true });
    await cp(produced, tmp, { recursive: statSync(produced).isDirectory(), dereference: true });
    await rm(dest, { recursive: true, force: true });
    await rename(tmp, dest);
    // data.current may be a glob or file inside the out folder: the same path under the copy.
    const current = path.join(outRel, path.relative(path.join(entry.root, entry.outPath), plan.data.current));
    writeFileSync(path.join(root, MARKER), JSON.stringify({ current, commit: repo.commit, mode: refresh, at: new Date().toISOString() }));
  }));
  return planWithRefreshedData(plan);
}
