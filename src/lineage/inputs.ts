import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { ConfigError } from '../errors.js';
import { globToRegExp } from '../gateway/glob.js';
import { dvcRoot, findDvcEntry, parseDvcLock } from './dvc.js';

/**
 * The files besides the data and `train.params` that decide a training result: `params.yaml`
 * (by value) for DVC-driven models, the dvc.lock deps of the stages that consume the data, and
 * the `train.inputs` globs (by bytes). Keys are paths relative to the config folder.
 */
export interface InputsDigest {
  sha256: string;
  files: Record<string, string>;
}

/** Bounded: it travels in payloads and registry tags. More files than this is a config mistake. */
const MAX_FILES = 200;
const SKIP_DIRS = new Set(['.git', '.dvc', 'node_modules']);

const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Key order does not matter: params.yaml is compared by its values, not its formatting or comments. */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/** Files under `base` matching a glob relative to it; only the glob's literal leading folders are walked. */
async function globFiles(base: string, glob: string, skip: string): Promise<string[]> {
  if (!/[*?]/.test(glob)) return existsSync(path.join(base, glob)) ? [path.join(base, glob)] : [];
  const parts = glob.split('/');
  const literal: string[] = [];
  for (const p of parts.slice(0, -1)) {
    if (/[*?]/.test(p)) break;
    literal.push(p);
  }
  const start = path.join(base, ...literal);
  if (!existsSync(start)) return [];
  const re = globToRegExp(glob);
  const out: string[] = [];
  // Folders walked, by real path: a link back up the tree is walked once.
  const walked = new Set<string>();
  const walk = async (dir: string) => {
    const real = await realpath(dir).catch(() => dir);
    if (walked.has(real)) return;
    walked.add(real);
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (out.length > MAX_FILES) return;
      const abs = path.join(dir, e.name);
      // A symbolic link counts as what it points at, as the trainer reads it: a file is hashed (re-pointing it is a
      // change), a folder is walked; a dangling link is not an input.
      const kind = e.isSymbolicLink() ? await stat(abs).then((st) => (st.isDirectory() ? 'dir' : st.isFile() ? 'file' : null), () => null) : e.isDirectory() ? 'dir' : e.isFile() ? 'file' : null;
      if (kind === 'dir') {
        if (!SKIP_DIRS.has(e.name) && abs !== skip) await walk(abs);
      } else if (kind === 'file' && re.test(path.relative(base, abs).split(path.sep).join('/'))) {
        out.push(abs);
      }
    }
  };
  await walk(start);
  return out;
}

export interface InputsPlan {
  configFile: string;
  stateDir: string;
  data: { current: string };
  train: { inputs?: string[] };
}

/** The digest of a model's inputs now, or null when it has none (not DVC-driven and no `train.inputs`). */
export async function inputsDigest(plan: InputsPlan): Promise<InputsDigest | null> {
  const base = path.dirname(plan.configFile);
  const rel = (abs: string) => path.relative(base, abs).split(path.sep).join('/');
  const files: Record<string, string> = {};
  const root = dvcRoot(path.dirname(path.resolve(plan.data.current)));
  if (root) {
    const data = path.resolve(plan.data.current);
    const tracked = await findDvcEntry(data);
    const lockFile = path.join(root, 'dvc.lock');
    let consumers = 0;
    if (existsSync(lockFile)) {
      // The stages that read the data are the training stages: their other deps decide the result too.
      const dataPath = tracked ? path.join(root, tracked.outPath) : data;
      for (const [stage, { deps }] of parseDvcLock(await readFile(lockFile, 'utf8'), rel(lockFile))) {
        const readsData = deps.some((d) => { const p = path.resolve(root, d.path); return p === dataPath || dataPath.startsWith(p + path.sep); });
        if (!readsData) continue;
        consumers++;
        for (const d of deps) {
          const p = path.resolve(root, d.path);
          if (p === dataPath || dataPath.startsWith(p + path.sep)) continue;
          files[`${rel(lockFile)}:${stage}:${d.path}`] = d.md5;
        }
      }
    }
    const params = path.join(root, 'params.yaml');
    if ((tracked || consumers > 0) && existsSync(params)) {
      let values: unknown;
      try {
        values = parse(await readFile(params, 'utf8'));
      } catch (err) {
        throw new ConfigError(`${rel(params)}: not valid YAML (${(err as Error).message.split('\n')[0]})`, { file: rel(params) });
      }
      files[rel(params)] = sha256(stableJson(values ?? null));
    }
  }
  for (const glob of plan.train.inputs ?? []) {
    for (const f of await globFiles(base, glob, plan.stateDir)) {
      const key = rel(f);
      if (!(key in files)) files[key] = await sha256File(f);
    }
  }
  const keys = Object.keys(files).sort();
  if (keys.length === 0) return null;
  if (keys.length > MAX_FILES) {
    throw new ConfigError(`${plan.configFile}: train.inputs: more than ${MAX_FILES} input files; list the files that decide the result`, { field: 'train.inputs' });
  }
  const sorted = Object.fromEntries(keys.map((k) => [k, files[k]!]));
  return { sha256: sha256(stableJson(sorted)), files: sorted };
}

/** Which inputs differ between the production version's digest and today's (added and removed included). */
export function changedInputs(before: InputsDigest | undefined, now: InputsDigest | null): string[] | null {
  // A version registered before inputs were recorded: unknown, counted as unchanged (no surprise retrain on upgrade).
  if (!before) return null;
  const a = before.files;
  const b = now?.files ?? {};
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => a[k] !== b[k]).sort();
}
