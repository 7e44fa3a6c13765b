import path from 'node:path';
import { parse } from 'yaml';
import { ConfigError } from '../errors.js';

/**
 * What `dvc.yaml` declares about one stage, paths relative to the dvc.yaml folder (its `wdir`
 * applied). Only what a retrain needs: which deps it reads, which outs hold the model, which
 * files hold its metrics.
 */
export interface DvcStage {
  name: string;
  deps: string[];
  /** Every out, metrics and plots files included (as DVC lists them in dvc.lock). */
  outs: string[];
  metrics: string[];
  plots: string[];
}

const describe = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v)?.slice(0, 80) ?? String(v));

/** An entry of deps/outs/metrics/plots: `path` or `{ path: { cache: false, … } }`. */
function entryPath(e: unknown, file: string, field: string): string {
  if (typeof e === 'string' && e) return e;
  if (e && typeof e === 'object' && !Array.isArray(e)) {
    const keys = Object.keys(e);
    if (keys.length === 1 && keys[0]) return keys[0];
  }
  throw new ConfigError(`${file}: field ${field}: expected a path or { <path>: options }, got ${describe(e)}`, { file, field });
}

/** The stages of a dvc.yaml. `foreach`/`matrix` templates are left out (name a generated stage instead). */
export function parseDvcYaml(text: string, file: string): Map<string, DvcStage> {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new ConfigError(`${file}: not valid YAML (${(err as Error).message.split('\n')[0]})`, { file });
  }
  const stages = (doc as { stages?: unknown } | null)?.stages;
  if (!stages || typeof stages !== 'object' || Array.isArray(stages)) {
    throw new ConfigError(`${file}: field stages: expected a map of stages, got ${describe(stages)}`, { file, field: 'stages' });
  }
  const out = new Map<string, DvcStage>();
  for (const [name, raw] of Object.entries(stages as Record<string, unknown>)) {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${file}: field stages.${name}: expected a map, got ${describe(raw)}`, { file, field: `stages.${name}` });
    const s = raw as Record<string, unknown>;
    if ('foreach' in s || 'matrix' in s) continue;
    const wdir = typeof s.wdir === 'string' ? s.wdir : '.';
    const list = (key: 'deps' | 'outs' | 'metrics' | 'plots') => {
      const v = s[key];
      if (v === undefined) return [];
      if (!Array.isArray(v)) throw new ConfigError(`${file}: field stages.${name}.${key}: expected a list, got ${describe(v)}`, { file, field: `stages.${name}.${key}` });
      return v.map((e, i) => path.posix.normalize(path.posix.join(wdir, entryPath(e, file, `stages.${name}.${key}[${i}]`))));
    };
    const metrics = list('metrics');
    const plots = list('plots');
    out.set(name, { name, deps: list('deps'), outs: [...list('outs'), ...metrics, ...plots], metrics, plots });
  }
  return out;
}

/** `train` → (dvc.yaml, train); `sub/dvc.yaml:train` → (sub/dvc.yaml, train), as `dvc repro` reads its target. */
export function splitStageTarget(target: string): { file: string; stage: string } {
  const i = target.lastIndexOf(':');
  if (i < 0) return { file: 'dvc.yaml', stage: target };
  const file = target.slice(0, i);
  return { file: file.endsWith('dvc.yaml') ? file : path.posix.join(file, 'dvc.yaml'), stage: target.slice(i + 1) };
}

/**
 * The model out and the metrics files of a training stage: `model` when configured (it must be
 * one of the stage's outs), else the one out that is neither metrics nor plots.
 */
export function trainingOutputs(stage: DvcStage, file: string, model?: string): { model: string; metrics: string[] } {
  const field = 'train.dvc';
  if (stage.metrics.length === 0) {
    throw new ConfigError(`${file}: stage ${stage.name} declares no metrics: add its metrics file (e.g. metrics: [metrics.json]) so the candidate can be checked`, { file, field: `stages.${stage.name}.metrics` });
  }
  const candidates = stage.outs.filter((o) => !stage.metrics.includes(o) && !stage.plots.includes(o));
  if (model !== undefined) {
    const wanted = path.posix.normalize(model);
    if (!candidates.includes(wanted)) {
      throw new ConfigError(`${field}.model: "${model}" is not an out of stage ${stage.name} in ${file} (outs: ${candidates.join(', ') || 'none'})`, { file, field: `${field}.model` });
    }
    return { model: wanted, metrics: stage.metrics };
  }
  if (candidates.length !== 1) {
    throw new ConfigError(
      `${file}: stage ${stage.name} has ${candidates.length} outs besides metrics and plots (${candidates.join(', ') || 'none'}); name the model's with train.dvc.model`,
      { file, field: `${field}.model` },
    );
  }
  return { model: candidates[0]!, metrics: stage.metrics };
}

/** Flattens DVC metrics (JSON or YAML, nested) into `a.b.c → number`; non-numeric leaves are not metrics. */
export function flattenMetrics(doc: unknown, prefix = '', out: Record<string, number> = {}): Record<string, number> {
  if (typeof doc === 'number' && Number.isFinite(doc) && prefix) out[prefix] = doc;
  else if (doc && typeof doc === 'object' && !Array.isArray(doc)) {
    for (const [k, v] of Object.entries(doc)) flattenMetrics(v, prefix ? `${prefix}.${k}` : k, out);
  }
  return out;
}

/**
 * `train.params` written over params.yaml the way `dvc exp run --set-param` does: a key
 * `train.epochs` (or a nested `{ train: { epochs } }`) sets that leaf, other values stay.
 */
export function setParams(current: unknown, params: Record<string, unknown>): Record<string, unknown> {
  const base: Record<string, unknown> = current && typeof current === 'object' && !Array.isArray(current) ? structuredClone(current as Record<string, unknown>) : {};
  const put = (obj: Record<string, unknown>, keys: string[], value: unknown) => {
    const [head, ...rest] = keys;
    if (head === undefined) return;
    if (rest.length === 0) {
      const cur = obj[head];
      if (value && typeof value === 'object' && !Array.isArray(value) && cur && typeof cur === 'object' && !Array.isArray(cur)) {
        for (const [k, v] of Object.entries(value)) put(cur as Record<string, unknown>, [k], v);
      } else obj[head] = value;
      return;
    }
    const next = obj[head];
    if (!next || typeof next !== 'object' || Array.isArray(next)) obj[head] = {};
    put(obj[head] as Record<string, unknown>, rest, value);
  };
  for (const [k, v] of Object.entries(params)) put(base, k.split('.'), v);
  return base;
}
