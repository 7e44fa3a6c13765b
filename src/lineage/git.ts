import { existsSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';

/** The commit of one repository, and whether tracked files differ from it. */
export interface GitState {
  repo: string;
  commit: string;
  dirty: boolean;
}

// git runs with a bare environment: no worker secrets reach it, and no user config changes its output.
export const gitEnv = () => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/', LANG: 'C', GIT_OPTIONAL_LOCKS: '0' });

/**
 * Whether `dir` or a folder above it has a `.git` (a folder, or a worktree's file): git looks for nothing else in the
 * bare environment it runs with here (no GIT_DIR). Without one there is no repository, and no process to start: a
 * worker spawning git for each of many concurrent runs stalls its event loop on every fork.
 */
function insideGitWorkTree(dir: string): boolean {
  let d = path.resolve(dir);
  if (!existsSync(d)) return false;
  for (;;) {
    if (existsSync(path.join(d, '.git'))) return true;
    const up = path.dirname(d);
    if (up === d) return false;
    d = up;
  }
}

/** Reads of a folder still in flight: concurrent runs share one answer, at most one git call older than their own call. */
const inFlight = new Map<string, Promise<GitState | null>>();

/** The git repository holding `dir`, or null when it is not in one (or git is not installed). */
export function gitState(dir: string): Promise<GitState | null> {
  const key = path.resolve(dir);
  let p = inFlight.get(key);
  if (!p) {
    p = readGitState(key).finally(() => inFlight.delete(key));
    inFlight.set(key, p);
  }
  return p;
}

async function readGitState(dir: string): Promise<GitState | null> {
  if (!insideGitWorkTree(dir)) return null;
  const git = (...args: string[]) => execa('git', ['-C', dir, ...args], { env: gitEnv(), extendEnv: false, reject: false, timeout: 10_000, stdin: 'ignore' });
  const top = await git('rev-parse', '--show-toplevel', 'HEAD').catch(() => null);
  if (!top || top.exitCode !== 0) return null;
  const [repo, commit] = top.stdout.split('\n');
  if (!repo || !commit || !/^[0-9a-f]{40,64}$/.test(commit)) return null;
  // Untracked files (state folders, fresh data) do not make the code dirty, as with `git describe --dirty`.
  const status = await git('status', '--porcelain', '--untracked-files=no');
  return { repo: path.resolve(repo), commit, dirty: status.exitCode !== 0 || status.stdout.trim() !== '' };
}

/**
 * The code version a run records, read when the run happens (not when the worker started):
 * RETRAIN_CODE_VERSION when set (a CI build id, an image tag), otherwise the commit of each
 * repository holding the config or a command's workdir, `-dirty` when tracked files changed.
 */
export async function codeVersion(dirs: string[], env = process.env): Promise<{ label: string | null; repos: GitState[] }> {
  const states: GitState[] = [];
  for (const dir of [...new Set(dirs)]) {
    const s = await gitState(dir);
    if (s && !states.some((x) => x.repo === s.repo)) states.push(s);
  }
  const fromGit = states.map((s) => `${s.commit}${s.dirty ? '-dirty' : ''}`).join(' + ');
  return { label: env.RETRAIN_CODE_VERSION || fromGit || null, repos: states };
}
