import { existsSync, statSync } from 'node:fs';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { log } from '@temporalio/activity';
import { heartbeating } from './heartbeat.js';
import { execa } from 'execa';
import { parse, stringify } from 'yaml';
import type { ModelPlan } from '../config/plan.js';
import { redact } from '../redact.js';
import { ConfigError, FailureType, RetrainError } from '../errors.js';
import { runStepCommand } from './command-step.js';
import { CONTRACT, LINEAGE_FILE } from '../runner/contract.js';
import type { RunCommandResult } from '../runner/run-command.js';
import { dvcBinary, dvcRoot, parseDvcLock } from '../lineage/dvc.js';
import { flattenMetrics, parseDvcYaml, setParams, splitStageTarget, trainingOutputs } from '../lineage/dvc-stage.js';
import { gitEnv, gitState } from '../lineage/git.js';
import type { DvcPush, DvcTraining } from '../lineage/train-lineage.js';

type DvcTrainConfig = NonNullable<ModelPlan['train']['dvc']>;

// DVC itself runs with the command allow-list (command-env.ts); these keep it quiet and local.
const DVC_ENV = { DVC_NO_ANALYTICS: '1', DVC_NO_UPDATE_CHECK: '1' };

const git = (cwd: string, ...args: string[]) =>
  execa('git', ['-C', cwd, ...args], { env: gitEnv(), extendEnv: false, reject: false, timeout: 60_000, stdin: 'ignore' });

/** Runs the DVC CLI for a short bookkeeping call (config, checkout, remote list), not the training. */
export const dvc = (cwd: string, ...args: string[]) =>
  execa(dvcBinary(), args, { cwd, env: { ...gitEnv(), ...DVC_ENV }, extendEnv: false, reject: false, timeout: 10 * 60_000, stdin: 'ignore', all: true });

const logWarn = (msg: string, fields: Record<string, unknown>) => {
  try {
    log.warn(msg, fields);
  } catch {
    process.stderr.write(`${msg} ${JSON.stringify(fields)}\n`);
  }
};

/** Where the model's DVC project and git repository are, and which dvc.yaml and stage it trains. */
async function locate(plan: ModelPlan, cfg: DvcTrainConfig) {
  const target = splitStageTarget(cfg.stage);
  const dvcYaml = path.resolve(plan.train.workdir, target.file);
  const where = `${plan.configFile}: models.${plan.name}.train.dvc.stage`;
  if (!existsSync(dvcYaml)) throw new ConfigError(`${where}: ${dvcYaml} does not exist (train.workdir is ${plan.train.workdir})`, { field: 'train.dvc.stage', file: dvcYaml });
  const root = dvcRoot(path.dirname(dvcYaml));
  if (!root) throw new ConfigError(`${where}: ${dvcYaml} is not inside a DVC project (no .dvc folder above it)`, { field: 'train.dvc.stage' });
  const repo = await gitState(root);
  if (!repo) throw new ConfigError(`${where}: ${root} is not in a git repository with a commit; train.dvc trains a commit in an isolated worktree`, { field: 'train.dvc.stage' });
  return { target, dvcYaml, root, repo };
}

/**
 * A detached git worktree of `repo` at `commit`, in `dir`, removed (and `git worktree prune`d)
 * when `fn` ends, also when it throws. The user's working tree, index and dvc.lock are never
 * touched; only `.git/worktrees/` holds an entry while it runs.
 */
export async function inWorktree<T>(repo: string, commit: string, dir: string, fn: () => Promise<T>): Promise<T> {
  await removeWorktree(repo, dir);
  await mkdir(path.dirname(dir), { recursive: true });
  const added = await git(repo, 'worktree', 'add', '--detach', '--force', dir, commit);
  if (added.exitCode !== 0) throw new RetrainError(FailureType.TrainingCommand, `git worktree add ${dir} ${commit} failed: ${added.stderr.slice(-1000)}`);
  try {
    return await fn();
  } finally {
    await removeWorktree(repo, dir);
  }
}

async function removeWorktree(repo: string, dir: string): Promise<void> {
  if (existsSync(dir)) {
    await git(repo, 'worktree', 'remove', '--force', '--force', dir);
    await rm(dir, { recursive: true, force: true });
  }
  await git(repo, 'worktree', 'prune');
}

/** The worktree's DVC uses the user's cache (`dvc cache dir` there), so outs are not copied twice and `dvc push` finds them. */
export async function shareCache(userRoot: string, wtRoot: string): Promise<void> {
  const dir = await dvc(userRoot, 'cache', 'dir');
  const cache = dir.exitCode === 0 && dir.stdout.trim() ? dir.stdout.trim() : path.join(userRoot, '.dvc', 'cache');
  const set = await dvc(wtRoot, 'config', '--local', 'cache.dir', cache);
  if (set.exitCode !== 0) throw new RetrainError(FailureType.TrainingCommand, `dvc config --local cache.dir ${cache} failed in ${wtRoot}: ${set.all?.slice(-1000)}`);
}

/** The lock entry of `stage` for out `out`, from the dvc.lock next to the stage's dvc.yaml. */
async function lockedOut(lockFile: string, stage: string, out: string) {
  if (!existsSync(lockFile)) throw new RetrainError(FailureType.Contract, `dvc repro ${stage} left no ${lockFile}`);
  const entry = parseDvcLock(await readFile(lockFile, 'utf8'), 'dvc.lock').get(stage);
  const o = entry?.outs.find((x) => path.posix.normalize(x.path) === out);
  if (!o) throw new RetrainError(FailureType.Contract, `dvc.lock after dvc repro has no out ${out} for stage ${stage}`);
  return o;
}

/**
 * Where `dvc repro`/`dvc push` run in the worktree, and the target: the stage as configured, from
 * train.workdir's place in the worktree (the target is relative to it); from the dvc.yaml folder
 * with the bare stage name when train.workdir is outside the repository.
 */
function targetIn(plan: ModelPlan, repo: string, wt: string, wtYamlDir: string, stage: string): { cwd: string; target: string } {
  const rel = path.relative(repo, plan.train.workdir);
  return rel.startsWith('..') || path.isAbsolute(rel) ? { cwd: wtYamlDir, target: stage } : { cwd: path.join(wt, rel), target: plan.train.dvc!.stage };
}

export interface DvcTrainResult {
  result: RunCommandResult;
  dvc: DvcTraining;
}

/**
 * `train.dvc`: runs `dvc repro <stage>` in an isolated git worktree at the commit the user's
 * repository has now, with `train.params` written into the worktree's params.yaml and the run's
 * data snapshot placed where the data path sits in the repository. Then copies the stage's model
 * out into `<outputDir>/model`, its metrics (flattened) into `<outputDir>/metrics.json` and a
 * lineage.json next to its first metrics file into `<outputDir>/lineage.json`: the same contract
 * the command path has, so evaluation, registration and tracking do not change.
 */
export async function trainWithDvc(plan: ModelPlan, vars: Record<string, string>, runDirectory: string, outputDir: string): Promise<DvcTrainResult> {
  const cfg = plan.train.dvc!;
  const { target, dvcYaml, root, repo } = await locate(plan, cfg);
  // Uncommitted tracked changes are not what trains: the commit is. Say so, and record it.
  const status = await git(repo.repo, 'status', '--porcelain', '--untracked-files=no');
  const uncommitted = status.stdout.split('\n').filter(Boolean).map((l) => l.slice(3)).slice(0, 20);
  if (uncommitted.length) {
    logWarn('train.dvc trains the commit, not uncommitted changes', { model: plan.name, commit: repo.commit, uncommitted });
  }
  const wt = path.join(runDirectory, 'dvc-worktree');
  return heartbeating('train', () => inWorktree(repo.repo, repo.commit, wt, async () => {
    const inWt = (abs: string) => path.join(wt, path.relative(repo.repo, abs));
    const wtRoot = inWt(root);
    const wtYamlDir = path.dirname(inWt(dvcYaml));
    await shareCache(root, wtRoot);
    const yamlRel = path.relative(repo.repo, dvcYaml);
    const stages = parseDvcYaml(await readFile(inWt(dvcYaml), 'utf8').catch(() => {
      throw new ConfigError(`${yamlRel} is not committed at ${repo.commit.slice(0, 12)}: train.dvc trains what is committed`, { file: yamlRel });
    }), yamlRel);
    const stage = stages.get(target.stage);
    if (!stage) throw new ConfigError(`${plan.configFile}: models.${plan.name}.train.dvc.stage: ${yamlRel} at ${repo.commit.slice(0, 12)} has no stage "${target.stage}" (stages: ${[...stages.keys()].join(', ')})`, { field: 'train.dvc.stage' });
    const outs = trainingOutputs(stage, yamlRel, cfg.model);

    // Tracked data besides ours (other deps) comes from the shared cache; a miss is DVC's to report.
    const checkout = await dvc(wtRoot, 'checkout');
    if (checkout.exitCode !== 0) logWarn('dvc checkout in the training worktree was incomplete', { model: plan.name, output: checkout.all?.slice(-1000) });

    // The snapshot goes where the data path sits in the repository, so the stage's dep is the
    // very bytes the run decided on; RETRAIN_DATA names the snapshot as well.
    const dataRel = path.relative(repo.repo, plan.data.current);
    const dataInRepo = !dataRel.startsWith('..') && !path.isAbsolute(dataRel) && !/[*?[{]/.test(dataRel);
    let singleItem = false;
    if (dataInRepo && vars.data && existsSync(vars.data)) {
      const dest = path.join(wt, dataRel);
      await rm(dest, { recursive: true, force: true });
      await mkdir(path.dirname(dest), { recursive: true });
      await cp(vars.data, dest, { recursive: statSync(vars.data).isDirectory() });
      // Data that is a stage's out: that stage would overwrite the snapshot, so the training stage
      // runs alone, and it must read the data directly.
      const dataInYaml = path.relative(wtYamlDir, dest).split(path.sep).join('/');
      const producer = [...stages.values()].find((s) => s.outs.includes(dataInYaml));
      if (producer) {
        if (!stage.deps.includes(dataInYaml)) {
          throw new ConfigError(`${plan.configFile}: models.${plan.name}: data.current (${dataInYaml}) is an out of stage ${producer.name}, and stage ${stage.name} does not depend on it directly; point data.current at a dep of ${stage.name}`, { field: 'data.current' });
        }
        singleItem = true;
      }
    }
    if (Object.keys(plan.train.params).length) {
      const paramsFile = path.join(wtYamlDir, 'params.yaml');
      const current = existsSync(paramsFile) ? parse(await readFile(paramsFile, 'utf8')) : {};
      await writeFile(paramsFile, stringify(setParams(current, plan.train.params)));
    }

    const at = targetIn(plan, repo.repo, wt, wtYamlDir, target.stage);
    const spec = {
      command: [dvcBinary(), 'repro', ...(singleItem ? ['--single-item'] : []), at.target],
      workdir: at.cwd,
      env: { ...DVC_ENV, ...plan.train.env },
      passEnv: plan.train.passEnv,
    };
    const result = await runStepCommand(FailureType.TrainingCommand, spec, vars, runDirectory, 'train');

    const modelAbs = path.join(wtYamlDir, outs.model);
    if (!existsSync(modelAbs)) throw new RetrainError(FailureType.Contract, `dvc repro ${cfg.stage} did not produce its out ${outs.model}`, { file: outs.model });
    const modelDir = path.join(outputDir, CONTRACT.modelDir);
    await rm(modelDir, { recursive: true, force: true });
    if (statSync(modelAbs).isDirectory()) await cp(modelAbs, modelDir, { recursive: true });
    else {
      await mkdir(modelDir, { recursive: true });
      await cp(modelAbs, path.join(modelDir, path.basename(modelAbs)));
    }
    const metrics: Record<string, number> = {};
    for (const m of outs.metrics) {
      const file = path.join(wtYamlDir, m);
      if (!existsSync(file)) throw new RetrainError(FailureType.Contract, `dvc repro ${cfg.stage} did not write its metrics file ${m}`, { file: m });
      let doc: unknown;
      try {
        doc = parse(await readFile(file, 'utf8'));
      } catch (err) {
        throw new RetrainError(FailureType.Contract, `${m}: not valid JSON or YAML metrics (${(err as Error).message.split('\n')[0]})`, { file: m });
      }
      Object.assign(metrics, flattenMetrics(doc));
    }
    await writeFile(path.join(outputDir, CONTRACT.metricsFile), JSON.stringify(metrics, null, 2));
    const lineage = path.join(wtYamlDir, path.dirname(outs.metrics[0]!), LINEAGE_FILE);
    if (existsSync(lineage)) await cp(lineage, path.join(outputDir, LINEAGE_FILE));
    // The run's dvc.lock is kept (not the user's): `dvc push` after promotion pushes what it names.
    const lockFile = path.join(wtYamlDir, 'dvc.lock');
    const out = await lockedOut(lockFile, stage.name, outs.model);
    await cp(lockFile, path.join(outputDir, 'dvc.lock'));
    return {
      result,
      dvc: {
        stage: cfg.stage,
        repo: repo.repo,
        commit: repo.commit,
        ...(uncommitted.length ? { uncommitted } : {}),
        model: { path: outs.model, md5: out.md5, ...(out.size !== undefined ? { size: out.size } : {}), ...(out.nfiles !== undefined ? { nfiles: out.nfiles } : {}) },
        ...(singleItem ? { singleItem } : {}),
      },
    };
  }));
}

/**
 * `train.dvc.push`: `dvc push` of the promoted version's model out to the DVC remote, from a fresh
 * worktree at the commit that trained it holding the run's own dvc.lock (kept in the run folder),
 * with the shared cache. Returns the remote's name and URL and the md5 pushed.
 */
export async function pushModelOut(plan: ModelPlan, trained: DvcTraining, savedLock: string, runDirectory: string): Promise<DvcPush> {
  const cfg = plan.train.dvc!;
  const { target, dvcYaml, root } = await locate(plan, cfg);
  if (!existsSync(savedLock)) throw new RetrainError(FailureType.Registry, `dvc push: the run's dvc.lock ${savedLock} is gone; push from the training host's stateDir`, { file: savedLock });
  const wt = path.join(runDirectory, 'dvc-push-worktree');
  return inWorktree(trained.repo, trained.commit, wt, async () => {
    const inWt = (abs: string) => path.join(wt, path.relative(trained.repo, abs));
    const wtRoot = inWt(root);
    const wtYamlDir = path.dirname(inWt(dvcYaml));
    await shareCache(root, wtRoot);
    await cp(savedLock, path.join(wtYamlDir, 'dvc.lock'));
    const remote = cfg.remote ?? (await dvc(wtRoot, 'remote', 'default')).stdout.trim();
    if (!remote) throw new ConfigError(`${plan.configFile}: models.${plan.name}.train.dvc.push: the repository has no default DVC remote; set train.dvc.remote or \`dvc remote add -d\``, { field: 'train.dvc.remote' });
    const list = await dvc(wtRoot, 'remote', 'list');
    const url = list.stdout.split('\n').map((l) => l.trim().split(/\s+/)).find(([name]) => name === remote)?.[1];
    if (!url) throw new ConfigError(`${plan.configFile}: models.${plan.name}.train.dvc.remote: no DVC remote named "${remote}" (remotes: ${list.stdout.split('\n').map((l) => l.split(/\s+/)[0]).filter(Boolean).join(', ') || 'none'})`, { field: 'train.dvc.remote' });
    const at = targetIn(plan, trained.repo, wt, wtYamlDir, target.stage);
    const pushed = await dvc(at.cwd, 'push', '-r', remote, at.target);
    if (pushed.exitCode !== 0) throw new Error(`dvc push -r ${remote} ${at.target} failed (exit ${pushed.exitCode}): ${redact(pushed.all?.slice(-2000) ?? '')}`);
    // A remote URL may carry credentials (https://user:token@…): masked before it is recorded.
    return { remote, url: redact(url), md5: trained.model.md5, at: new Date().toISOString() };
  });
}
