/**
 * The cluster's binaries, built from the Go module proxy once per version and cached outside the
 * clone (CI runs in a fresh clone; the user's cache folder survives it):
 *   ${XDG_CACHE_HOME:-~/.cache}/temporal-retrain/<component>-<version>/
 * A `.ready` file is written last, so an interrupted build is redone rather than half-used.
 */
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { TEMPORAL_SERVER_VERSION, TEMPORAL_UI_VERSION } from './topology.js';

type Progress = (line: string) => void;

export function cacheRoot(env = process.env): string {
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'temporal-retrain');
}

export interface ClusterBinaries {
  server: string;
  sqlTool: string;
  uiServer: string;
  /** The UI server's --root: holds config/docker.yaml, the same template the temporalio/ui image uses. */
  uiRoot: string;
}

interface Component {
  dir: string;
  packages: string[];
  module: string;
  version: string;
  /** Copies what the binaries need at run time from the downloaded module. */
  after?: (moduleDir: string, dir: string) => void;
}

function components(env = process.env) {
  const root = cacheRoot(env);
  const server: Component = {
    dir: path.join(root, `temporal-server-${TEMPORAL_SERVER_VERSION}`),
    module: 'go.temporal.io/server',
    version: `v${TEMPORAL_SERVER_VERSION}`,
    packages: ['go.temporal.io/server/cmd/server', 'go.temporal.io/server/cmd/tools/sql'],
  };
  const ui: Component = {
    dir: path.join(root, `temporal-ui-server-${TEMPORAL_UI_VERSION}`),
    module: 'github.com/temporalio/ui-server/v2',
    version: `v${TEMPORAL_UI_VERSION}`,
    packages: ['github.com/temporalio/ui-server/v2/cmd/server'],
    after: (moduleDir, dir) => {
      mkdirSync(path.join(dir, 'config'), { recursive: true });
      cpSync(path.join(moduleDir, 'config', 'docker.yaml'), path.join(dir, 'config', 'docker.yaml'));
    },
  };
  return { server, ui };
}

export function clusterBinaries(env = process.env): ClusterBinaries {
  const { server, ui } = components(env);
  return {
    server: path.join(server.dir, 'server'),
    sqlTool: path.join(server.dir, 'sql'),
    uiServer: path.join(ui.dir, 'server'),
    uiRoot: ui.dir,
  };
}

export function binariesReady(env = process.env): boolean {
  return Object.values(components(env)).every((c) => existsSync(path.join(c.dir, '.ready')));
}

async function build(c: Component, progress: Progress): Promise<void> {
  if (existsSync(path.join(c.dir, '.ready'))) return;
  rmSync(c.dir, { recursive: true, force: true });
  mkdirSync(c.dir, { recursive: true });
  const started = Date.now();
  progress(`building ${c.module}@${c.version} into ${c.dir} (several minutes the first time) …`);
  // GOTOOLCHAIN=local: never download a different Go behind the user's back; the pinned versions build with it.
  const goEnv = { GOBIN: c.dir, GOTOOLCHAIN: process.env.GOTOOLCHAIN || 'local', GOFLAGS: '-buildvcs=false' };
  try {
    await execa('go', ['install', ...c.packages.map((p) => `${p}@${c.version}`)], { env: goEnv, stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (err) {
    const missing = (err as { code?: string }).code === 'ENOENT';
    throw new Error(missing ? 'the `go` command is needed to build the Temporal server (https://go.dev/dl/)' : `building ${c.module}@${c.version} failed: ${(err as Error).message.split('\n')[0]}`);
  }
  if (c.after) {
    const { stdout } = await execa('go', ['mod', 'download', '-json', `${c.module}@${c.version}`], { env: goEnv });
    c.after((JSON.parse(stdout) as { Dir: string }).Dir, c.dir);
  }
  writeFileSync(path.join(c.dir, '.ready'), JSON.stringify({ version: c.version, seconds: Math.round((Date.now() - started) / 1000) }));
  progress(`built ${c.module}@${c.version} in ${Math.round((Date.now() - started) / 1000)} s`);
}

/** Builds what is missing (both components, one after the other: the machine may have 2 cores). */
export async function ensureClusterBinaries(progress: Progress): Promise<ClusterBinaries> {
  const { server, ui } = components();
  await build(server, progress);
  await build(ui, progress);
  return clusterBinaries();
}
