import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { parse } from 'yaml';
import { ConfigError } from '../errors.js';
import { cacheDir } from '../install-paths.js';
import { gitEnv, gitState } from './git.js';

/** The DVC release `npm run setup` installs (tests use it; users' own `dvc` on PATH is used at run time). */
export const DVC_VERSION = '3.67.1';

/** The venv `npm run setup` installs DVC into: per user and version, outside the clone, so CI reuses it. */
export const dvcVenv = () => cacheDir(`dvc-${DVC_VERSION}`);

/**
 * The `dvc` to run: RETRAIN_DVC_PATH when set, else the one setup installed when present, else
 * plain `dvc` from PATH (a user's own installation).
 */
export function dvcBinary(env = process.env): string {
  if (env.RETRAIN_DVC_PATH) return env.RETRAIN_DVC_PATH;
  const installed = path.join(dvcVenv(), 'bin', 'dvc');
  return existsSync(installed) ? installed : 'dvc';
}

/**
 * What DVC says about the dataset a version trained on: enough to run `git checkout <commit>`
 * then `dvc checkout <file>` (or `dvc pull`) and get the same bytes back. Small by design: it
 * travels in workflow payloads, audit records and registry tags.
 */
export interface DvcLineage {
  /** The DVC repository root (absolute, on the host that recorded it). */
  repo: string;
  /** The tracked out, relative to the repository root. */
  path: string;
  /** The `.dvc` file or `dvc.lock` holding the entry, relative to the repository root. */
  file: string;
  /** The dvc.lock stage producing the out (absent for `dvc add`ed data). */
  stage?: string;
  /** DVC's md5 of the out (of the `.dir` listing for a directory). */
  md5: string;
  size?: number;
  nfiles?: number;
  /** HEAD of the repository when recorded, and whether the DVC entry differs from it (uncommitted). */
  commit?: string;
  entryCommitted?: boolean;
  /** The bytes snapshotted have this md5 (single files only): `dvc checkout` restores what trained. */
  matches?: boolean;
}

const MAX = 500;
const clip = (s: string) => (s.length > MAX ? s.slice(0, MAX) : s);

interface DvcOut {
  path: string;
  md5: string;
  size?: number;
  nfiles?: number;
}

/** The outs of a `.dvc` file (`outs: [{ path, md5, size, nfiles }]`). Malformed → ConfigError naming the file. */
export function parseDvcFile(text: string, file: string): DvcOut[] {
  const doc = parseYaml(text, file);
  const outs = (doc as { outs?: unknown }).outs;
  if (!Array.isArray(outs)) throw new ConfigError(`${file}: field outs: expected a list of outputs, got ${describe(outs)}`, { file, field: 'outs' });
  return outs.map((o, i) => parseOut(o, file, `outs[${i}]`));
}

/** The outs of each stage in a `dvc.lock` (`stages: { <name>: { deps, outs } }`). */
export function parseDvcLock(text: string, file: string): Map<string, { outs: DvcOut[]; deps: DvcOut[] }> {
  const doc = parseYaml(text, file);
  const stages = (doc as { stages?: unknown }).stages;
  if (!stages || typeof stages !== 'object' || Array.isArray(stages)) {
    throw new ConfigError(`${file}: field stages: expected a map of stages, got ${describe(stages)}`, { file, field: 'stages' });
  }
  const out = new Map<string, { outs: DvcOut[]; deps: DvcOut[] }>();
  for (const [name, stage] of Object.entries(stages as Record<string, unknown>)) {
    if (!stage || typeof stage !== 'object') throw new ConfigError(`${file}: field stages.${name}: expected a map, got ${describe(stage)}`, { file, field: `stages.${name}` });
    const list = (key: 'outs' | 'deps') => {
      const v = (stage as Record<string, unknown>)[key];
      if (v === undefined) return [];
      if (!Array.isArray(v)) throw new ConfigError(`${file}: field stages.${name}.${key}: expected a list, got ${describe(v)}`, { file, field: `stages.${name}.${key}` });
      return v.map((o, i) => parseOut(o, file, `stages.${name}.${key}[${i}]`));
    };
    out.set(name, { outs: list('outs'), deps: list('deps') });
  }
  return out;
}

function parseYaml(text: string, file: string): object {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new ConfigError(`${file}: not valid YAML (${(err as Error).message.split('\n')[0]})`, { file });
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(`${file}: expected a YAML map, got ${describe(doc)}`, { file });
  return doc;
}

function parseOut(o: unknown, file: string, field: string): DvcOut {
  if (!o || typeof o !== 'object') throw new ConfigError(`${file}: field ${field}: expected a map, got ${describe(o)}`, { file, field });
  const r = o as Record<string, unknown>;
  if (typeof r.path !== 'string' || r.path === '') throw new ConfigError(`${file}: field ${field}.path: expected a path, got ${describe(r.path)}`, { file, field: `${field}.path` });
  // DVC 3 writes `md5:`; some remotes' outs carry etag/checksum instead, which we cannot check.
  const md5 = r.md5 ?? r.etag ?? r.checksum;
  if (typeof md5 !== 'string' || !/^[0-9a-f]{32}(\.dir)?$/.test(md5)) {
    throw new ConfigError(`${file}: field ${field}.md5: expected a DVC md5, got ${describe(md5)}`, { file, field: `${field}.md5` });
  }
  return {
    path: r.path,
    md5,
    ...(typeof r.size === 'number' ? { size: r.size } : {}),
    ...(typeof r.nfiles === 'number' ? { nfiles: r.nfiles } : {}),
  };
}

const describe = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v)?.slice(0, 80) ?? String(v));

/** The folder holding `.dvc/` above `from`, or null when the data is not in a DVC repository. */
export function dvcRoot(from: string): string | null {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, '.dvc')) && statSync(path.join(dir, '.dvc')).isDirectory()) return dir;
    if (path.dirname(dir) === dir) return null;
  }
}

/** Where DVC tracks `data` (a file, folder or glob): a `.dvc` file next to it or above it, or a `dvc.lock` out. */
export async function findDvcEntry(data: string): Promise<{ root: string; file: string; stage?: string; out: DvcOut; outPath: string } | null> {
  const abs = path.resolve(data);
  const root = dvcRoot(path.dirname(abs));
  if (!root) return null;
  // The data itself, or the nearest folder above it (a glob inside a tracked folder), up to the root.
  const candidates: string[] = [];
  for (let p = /[*?[{]/.test(path.basename(abs)) ? path.dirname(abs) : abs; p.startsWith(root + path.sep); p = path.dirname(p)) candidates.push(p);
  for (const p of candidates) {
    const dvcFile = `${p}.dvc`;
    if (!existsSync(dvcFile)) continue;
    const outs = parseDvcFile(await readFile(dvcFile, 'utf8'), path.relative(root, dvcFile));
    const out = outs.find((o) => path.resolve(path.dirname(dvcFile), o.path) === p);
    if (out) return { root, file: path.relative(root, dvcFile), out, outPath: path.relative(root, p) };
  }
  const lock = path.join(root, 'dvc.lock');
  if (existsSync(lock)) {
    for (const [stage, { outs }] of parseDvcLock(await readFile(lock, 'utf8'), 'dvc.lock')) {
      for (const p of candidates) {
        const out = outs.find((o) => path.resolve(root, o.path) === p);
        if (out) return { root, file: 'dvc.lock', stage, out, outPath: path.relative(root, p) };
      }
    }
  }
  return null;
}

/** md5 of a file's bytes, as DVC 3 computes it for a single-file out. */
export async function md5File(file: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * The DVC lineage of `data`, or null when DVC does not track it. `snapshotFile`, when the data is one
 * file, is the copy the run trains on: its md5 says whether `dvc checkout` gives back those bytes.
 * Reads files only; git runs (argv, bare env) for the commit.
 */
export async function dvcLineage(data: string, snapshotFile?: string): Promise<DvcLineage | null> {
  const entry = await findDvcEntry(data);
  if (!entry) return null;
  const git = await gitState(entry.root);
  let entryCommitted: boolean | undefined;
  if (git) {
    const status = await execa('git', ['-C', entry.root, 'status', '--porcelain', '--untracked-files=all', '--', entry.file], {
      env: gitEnv(), extendEnv: false, reject: false, timeout: 10_000, stdin: 'ignore',
    });
    entryCommitted = status.exitCode === 0 && status.stdout.trim() === '';
  }
  const single = !entry.out.md5.endsWith('.dir') && snapshotFile && existsSync(snapshotFile);
  return {
    repo: clip(entry.root),
    path: clip(entry.outPath),
    file: clip(entry.file),
    ...(entry.stage ? { stage: clip(entry.stage) } : {}),
    md5: entry.out.md5,
    ...(entry.out.size !== undefined ? { size: entry.out.size } : {}),
    ...(entry.out.nfiles !== undefined ? { nfiles: entry.out.nfiles } : {}),
    ...(git ? { commit: git.commit, entryCommitted } : {}),
    ...(single ? { matches: (await md5File(snapshotFile)) === entry.out.md5 } : {}),
  };
}

/** The commands that restore what trained, in order (for `retrain reproduce` and `retrain explain`). */
export function restoreSteps(d: DvcLineage): string[] {
  return [
    ...(d.commit ? [`git -C ${shq(d.repo)} checkout ${d.commit}`] : []),
    `(cd ${shq(d.repo)} && dvc checkout ${shq(d.file)})   # or: dvc pull ${shq(d.file)}`,
  ];
}

/** Quotes a path for display in a printed command (never executed through a shell here). */
const shq = (s: string) => (/^[A-Za-z0-9_./@:-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
