import type { InputsDigest } from '../lineage/inputs.js';
import type { DvcLineage } from '../lineage/dvc.js';
import type { DvcPush, DvcTraining } from '../lineage/train-lineage.js';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { FailureType, MlflowError, RetrainError } from '../errors.js';
import { hashDirectory, listFiles } from './hash-dir.js';
import { readJson, withDirLock, writeJsonAtomic } from './json-store.js';
import { sweepStaleTempsNowAndThen } from './temp-files.js';
import { aliasMove, fromStoredMark, fromStoredMove, repeatedMove, type AliasMove, type ArtifactRef, type ModelVersion, type RegisterInput, type Registry, type RollbackMark, type SetAliasInput, type SetAliasResult } from './registry.js';

/** Tags that carry our lineage on every MLflow model version (and on its MLflow run). */
export const TAG = {
  /** ModelVersion.recordId; the tag keeps its pre-0.3 name so existing registries stay readable. */
  recordId: 'retrain.run_id',
  workflowId: 'retrain.workflow_id',
  artifactSha256: 'retrain.artifact_sha256',
  dataSha256: 'retrain.data_sha256',
  dataRows: 'retrain.data_rows',
  dataFingerprint: 'retrain.data_fingerprint',
  params: 'retrain.params',
  /** Params whose JSON is longer than a tag value: how many `retrain.params.<i>` parts (1-based) hold it. */
  paramsParts: 'retrain.params_parts',
  metrics: 'retrain.metrics',
  triggers: 'retrain.triggers',
  codeVersion: 'retrain.code_version',
  dvcMd5: 'retrain.dvc_md5',
  dvcFile: 'retrain.dvc_file',
  gitCommit: 'retrain.git_commit',
  dvc: 'retrain.dvc',
  inputsSha256: 'retrain.inputs_sha256',
  inputs: 'retrain.inputs',
  /** JSON {at, by, reason, recordId} (`runId` before 0.3): production was rolled away from this version; never restored automatically. */
  rolledBack: 'retrain.rolled_back',
  /** JSON DvcTraining: the train.dvc stage, commit, model out md5 and, once pushed, where it went. */
  dvcTrain: 'retrain.dvc_train',
  /** Prefix of the trainer's lineage.json tags: `lineage.<key>`. */
  lineagePrefix: 'lineage.',
} as const;

// MLflow refuses longer model-version tag values.
const MAX_TAG_VALUE = 5000;

interface MlflowVersion {
  name: string;
  version: string;
  source: string;
  run_id?: string;
  creation_timestamp: number;
  tags?: { key: string; value: string }[];
  aliases?: string[];
}

export interface MlflowOptions {
  trackingUri: string;
  token?: string;
  /** Alias history and the artifact download cache; MLflow keeps neither. */
  stateDir: string;
}

/**
 * MLflow Model Registry over its REST API. Each version also gets an MLflow run (in experiment
 * `retrain/<model>`) that holds the artifact, params and metrics, because MLflow only accepts a
 * version source that lives in a run. Writes are idempotent through the `retrain.run_id` tag.
 * MLflow has no conditional alias update, so alias moves compare-and-set under our own lock.
 */
export class MlflowRegistry implements Registry {
  private readonly base: string;
  constructor(private readonly opts: MlflowOptions) {
    this.base = opts.trackingUri.replace(/\/+$/, '');
  }

  private async call<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', api: string, body?: Record<string, unknown>): Promise<T> {
    let url = `${this.base}/api/2.0/mlflow/${api}`;
    const init: RequestInit = { method, headers: this.headers({ 'content-type': 'application/json' }) };
    if (method === 'GET' && body) url += `?${new URLSearchParams(body as Record<string, string>)}`;
    else if (body) init.body = JSON.stringify(body);
    const res = await fetch(url, init).catch((err: unknown) => {
      throw new Error(`MLflow at ${this.base} unreachable: ${(err as Error).message}`);
    });
    const text = await res.text();
    if (!res.ok) throw new MlflowError(res.status, api, text);
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** The run already has every one of these params, with these values (MLflow params never change once logged). */
  private async runHasParams(mlflowRunId: string, params: { key: string; value: string }[]): Promise<boolean> {
    const got = await this.call<{ run?: { data?: { params?: { key: string; value: string }[] } } }>('GET', 'runs/get', { run_id: mlflowRunId });
    const have = new Map((got.run?.data?.params ?? []).map((p) => [p.key, p.value]));
    return params.every((p) => have.get(p.key) === p.value);
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...extra, ...(this.opts.token ? { authorization: `Bearer ${this.opts.token}` } : {}) };
  }

  private async ensureRegisteredModel(model: string): Promise<void> {
    try {
      await this.call('POST', 'registered-models/create', { name: model, description: `managed by temporal-retrain` });
    } catch (err) {
      if (!(err instanceof MlflowError && err.code === 'RESOURCE_ALREADY_EXISTS')) throw err;
    }
  }

  private async experimentId(model: string): Promise<string> {
    const name = `retrain/${model}`;
    try {
      const got = await this.call<{ experiment: { experiment_id: string } }>('GET', 'experiments/get-by-name', { experiment_name: name });
      return got.experiment.experiment_id;
    } catch (err) {
      if (!(err instanceof MlflowError && err.code === 'RESOURCE_DOES_NOT_EXIST')) throw err;
    }
    try {
      return (await this.call<{ experiment_id: string }>('POST', 'experiments/create', { name })).experiment_id;
    } catch (err) {
      // Another worker created it in between.
      if (!(err instanceof MlflowError && err.code === 'RESOURCE_ALREADY_EXISTS')) throw err;
      return this.experimentId(model);
    }
  }

  /** The MLflow run that holds this pipeline run's artifact: found by tag, created once (by the training host, or at register). */
  private async mlflowRun(model: string, recordId: string): Promise<{ mlflowRunId: string; artifactUri: string; tags: Record<string, string> }> {
    const experimentId = await this.experimentId(model);
    const found = await this.call<{ runs?: { info: { run_id: string; artifact_uri: string }; data?: { tags?: { key: string; value: string }[] } }[] }>('POST', 'runs/search', {
      experiment_ids: [experimentId],
      filter: `tags.\`${TAG.recordId}\` = '${escapeFilter(recordId)}'`,
      max_results: 1,
    });
    const existing = found.runs?.[0];
    if (existing) return { mlflowRunId: existing.info.run_id, artifactUri: existing.info.artifact_uri, tags: Object.fromEntries((existing.data?.tags ?? []).map((t) => [t.key, t.value])) };
    const created = await this.call<{ run: { info: { run_id: string; artifact_uri: string } } }>('POST', 'runs/create', {
      experiment_id: experimentId,
      run_name: recordId,
      start_time: Date.now(),
      tags: [{ key: TAG.recordId, value: recordId }],
    });
    return { mlflowRunId: created.run.info.run_id, artifactUri: created.run.info.artifact_uri, tags: {} };
  }

  /** Uploads the model folder into the run that belongs to the pipeline run, once: a retry finds the sha256 tag and uploads nothing. */
  async stageArtifact(model: string, recordId: string, dir: string): Promise<ArtifactRef> {
    if (!existsSync(dir)) throw new RetrainError(FailureType.Registry, `artifact folder ${dir} does not exist`);
    const sha256 = await hashDirectory(dir);
    const run = await this.mlflowRun(model, recordId);
    if (run.tags[TAG.artifactSha256] !== sha256) {
      for (const rel of await listFiles(dir)) {
        const res = await fetch(this.artifactUrl(run.artifactUri, `model/${rel}`), { method: 'PUT', headers: this.headers(), body: await readFile(path.join(dir, rel)) });
        if (!res.ok) throw new MlflowError(res.status, 'mlflow-artifacts upload', await res.text());
      }
      await this.call('POST', 'runs/set-tag', { run_id: run.mlflowRunId, key: TAG.artifactSha256, value: sha256 });
    }
    return { sha256, uri: `${run.artifactUri}/model`, store: this.base };
  }

  /** Downloads a staged artifact into this host's cache and checks its hash: nothing is read from another host's disk. */
  async fetchArtifact(model: string, ref: ArtifactRef): Promise<string> {
    if (ref.store !== this.base) {
      throw new RetrainError(FailureType.Registry, `${ref.uri} was staged on MLflow at ${ref.store}, but this worker's registry is ${this.base}`);
    }
    const dest = path.join(this.stateFolder(model), 'artifacts', ref.sha256);
    if (existsSync(dest)) return dest;
    await sweepStaleTempsNowAndThen(path.dirname(dest));
    const tmp = `${dest}.${randomUUID()}.tmp`;
    try {
      await mkdir(tmp, { recursive: true });
      await this.download(ref.uri.replace(/\/model$/, ''), 'model', tmp);
      const got = await hashDirectory(path.join(tmp, 'model'));
      if (got !== ref.sha256) throw new RetrainError(FailureType.Registry, `${ref.uri}: downloaded files hash to ${got}, not the staged ${ref.sha256}`);
      await rename(path.join(tmp, 'model'), dest).catch(async (err: unknown) => {
        if (!existsSync(dest)) throw err;
      });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    return dest;
  }

  private artifactUrl(artifactUri: string, rel: string): string {
    const prefix = 'mlflow-artifacts:/';
    if (!artifactUri.startsWith(prefix)) {
      throw new RetrainError(FailureType.Registry, `MLflow artifact location ${artifactUri} is not served by the tracking server (start it with --serve-artifacts)`);
    }
    const p = [...artifactUri.slice(prefix.length).split('/'), ...rel.split(/[\\/]/)].filter(Boolean).map(encodeURIComponent).join('/');
    return `${this.base}/api/2.0/mlflow-artifacts/artifacts/${p}`;
  }

  async register(input: RegisterInput): Promise<ModelVersion> {
    const existing = await this.findByRecordId(input.model, input.recordId);
    if (existing) return existing;
    await this.ensureRegisteredModel(input.model);
    // A model staged by the training host is registered where it already is; a local folder is staged here first.
    const ref = input.artifact ?? (input.artifactDir ? await this.stageArtifact(input.model, input.recordId, input.artifactDir) : null);
    if (!ref) throw new RetrainError(FailureType.Registry, `register ${input.model}: no artifact to register`);
    const sha256 = ref.sha256;
    // The version's run must be the one holding the files (two racing attempts may each have created a run).
    const run = { mlflowRunId: /\/([^/]+)\/artifacts\/model$/.exec(ref.uri)?.[1] ?? (await this.mlflowRun(input.model, input.recordId)).mlflowRunId };
    const params = Object.entries(input.params).slice(0, 100).map(([key, v]) => ({ key, value: clip(typeof v === 'string' ? v : JSON.stringify(v), 6000) }));
    const rest = { metrics: Object.entries(input.metrics).map(([key, value]) => ({ key, value, timestamp: Date.now(), step: 0 })), tags: [{ key: TAG.workflowId, value: input.workflowId }] };
    try {
      await this.call('POST', 'runs/log-batch', { run_id: run.mlflowRunId, params, ...rest });
    } catch (err) {
      // Two racing attempts log the same params to the same run, and MLflow's SQL store fails the second insert
      // (a UNIQUE constraint). When the run holds exactly these values, that is this attempt's write already done.
      if (!(err instanceof MlflowError) || !(await this.runHasParams(run.mlflowRunId, params))) throw err;
      await this.call('POST', 'runs/log-batch', { run_id: run.mlflowRunId, ...rest });
    }
    await this.call('POST', 'runs/update', { run_id: run.mlflowRunId, status: 'FINISHED', end_time: Date.now() });
    const fp = JSON.stringify(input.dataFingerprint);
    const tags: Record<string, string> = {
      [TAG.recordId]: input.recordId,
      [TAG.workflowId]: input.workflowId,
      [TAG.artifactSha256]: sha256,
      [TAG.dataSha256]: input.dataFingerprint.sha256,
      [TAG.dataRows]: String(input.dataFingerprint.rows),
      [TAG.dataFingerprint]: fp.length <= MAX_TAG_VALUE ? fp : JSON.stringify({ ...input.dataFingerprint, schema: [] }),
      ...paramsTags(input.params),
      [TAG.metrics]: clip(JSON.stringify(input.metrics), MAX_TAG_VALUE),
      [TAG.triggers]: input.triggers.join(','),
      ...(input.codeVersion ? { [TAG.codeVersion]: input.codeVersion } : {}),
      ...(input.dvc
        ? {
            [TAG.dvcMd5]: input.dvc.md5,
            [TAG.dvcFile]: input.dvc.stage ? `${input.dvc.file}:${input.dvc.stage}` : input.dvc.file,
            ...(input.dvc.commit ? { [TAG.gitCommit]: input.dvc.commit } : {}),
            [TAG.dvc]: clip(JSON.stringify(input.dvc), MAX_TAG_VALUE),
          }
        : {}),
      ...(input.inputsSha256 ? { [TAG.inputsSha256]: input.inputsSha256 } : {}),
      // An inputs map too long for a tag is left out: a changed sha256 then names no file, but still retrains.
      ...(input.inputs && JSON.stringify(input.inputs).length <= MAX_TAG_VALUE ? { [TAG.inputs]: JSON.stringify(input.inputs) } : {}),
      ...(input.lineage?.dvc ? { [TAG.dvcTrain]: clip(JSON.stringify(input.lineage.dvc), MAX_TAG_VALUE) } : {}),
      ...Object.fromEntries(Object.entries(input.lineage?.tags ?? {}).map(([k, v]) => [`${TAG.lineagePrefix}${k}`, v])),
    };
    // A retry that died between create and return finds the version by tag above; this lock
    // keeps two workers on one machine from both creating it.
    return withDirLock(this.stateFolder(input.model), async () => {
      const again = await this.findByRecordId(input.model, input.recordId);
      if (again) return again;
      const created = await this.call<{ model_version: MlflowVersion }>('POST', 'model-versions/create', {
        name: input.model,
        source: ref.uri,
        run_id: run.mlflowRunId,
        tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
        description: `trained by ${input.workflowId} (${input.triggers.join(', ')})`,
      });
      return toModelVersion(created.model_version);
    });
  }

  private async search(model: string, extra = ''): Promise<ModelVersion[]> {
    const out: ModelVersion[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.call<{ model_versions?: MlflowVersion[]; next_page_token?: string }>('GET', 'model-versions/search', {
        filter: `name = '${escapeFilter(model)}'${extra}`,
        max_results: '200',
        ...(pageToken ? { page_token: pageToken } : {}),
      });
      out.push(...(page.model_versions ?? []).map(toModelVersion));
      pageToken = page.next_page_token;
    } while (pageToken);
    return out.sort((a, b) => a.version - b.version);
  }

  async findByRecordId(model: string, recordId: string) {
    return (await this.search(model, ` and tag.\`${TAG.recordId}\` = '${escapeFilter(recordId)}'`))[0];
  }

  async getVersion(model: string, version: number) {
    try {
      return toModelVersion((await this.call<{ model_version: MlflowVersion }>('GET', 'model-versions/get', { name: model, version: String(version) })).model_version);
    } catch (err) {
      if (err instanceof MlflowError && err.code === 'RESOURCE_DOES_NOT_EXIST') return undefined;
      throw err;
    }
  }

  listVersions(model: string) {
    return this.search(model);
  }

  async getAlias(model: string, alias: string): Promise<number | null> {
    try {
      const got = await this.call<{ model_version: MlflowVersion }>('GET', 'registered-models/alias', { name: model, alias });
      return Number(got.model_version.version);
    } catch (err) {
      // MLflow answers an unknown alias (or model) with INVALID_PARAMETER_VALUE or RESOURCE_DOES_NOT_EXIST.
      if (err instanceof MlflowError && (err.code === 'INVALID_PARAMETER_VALUE' || err.code === 'RESOURCE_DOES_NOT_EXIST')) return null;
      throw err;
    }
  }

  private stateFolder(model: string) {
    return path.join(this.opts.stateDir, 'mlflow', model.replace(/[^A-Za-z0-9._-]/g, '_'));
  }
  private historyFile(model: string) {
    return path.join(this.stateFolder(model), 'alias-history.json');
  }

  async aliasHistory(model: string): Promise<AliasMove[]> {
    return (await readJson<AliasMove[]>(this.historyFile(model), [])).map(fromStoredMove);
  }

  async setAlias(input: SetAliasInput): Promise<SetAliasResult> {
    return withDirLock(this.stateFolder(input.model), async () => {
      const history = await this.aliasHistory(input.model);
      const actual = await this.getAlias(input.model, input.alias);
      const repeated = repeatedMove(history, input, actual);
      if (repeated) return { moved: true, move: repeated };
      if (actual !== input.expected) return { moved: false, actual };
      if (input.version === null) {
        await this.call('DELETE', 'registered-models/alias', { name: input.model, alias: input.alias });
      } else {
        if (!(await this.getVersion(input.model, input.version))) {
          throw new RetrainError(FailureType.Registry, `model ${input.model} has no version ${input.version} in MLflow at ${this.base}`);
        }
        await this.call('POST', 'registered-models/alias', { name: input.model, alias: input.alias, version: String(input.version) });
      }
      const move = aliasMove(input, actual);
      history.push(move);
      await writeJsonAtomic(this.historyFile(input.model), history);
      return { moved: true, move };
    });
  }

  async markRolledBack(model: string, version: number, mark: RollbackMark): Promise<ModelVersion> {
    if (!(await this.getVersion(model, version))) throw new RetrainError(FailureType.Registry, `model ${model} has no version ${version} in MLflow at ${this.base}`);
    const value = JSON.stringify({ ...mark, reason: clip(mark.reason, 2000) });
    await this.call('POST', 'model-versions/set-tag', { name: model, version: String(version), key: TAG.rolledBack, value });
    return (await this.getVersion(model, version))!;
  }

  async recordDvcPush(model: string, version: number, push: DvcPush): Promise<ModelVersion> {
    const v = await this.getVersion(model, version);
    if (!v) throw new RetrainError(FailureType.Registry, `model ${model} has no version ${version} in MLflow at ${this.base}`);
    if (!v.lineage?.dvc) throw new RetrainError(FailureType.Registry, `model ${model} v${version} was not trained by train.dvc: nothing to record a dvc push for`);
    const value = clip(JSON.stringify({ ...v.lineage.dvc, push }), MAX_TAG_VALUE);
    await this.call('POST', 'model-versions/set-tag', { name: model, version: String(version), key: TAG.dvcTrain, value });
    return (await this.getVersion(model, version))!;
  }

  /** Downloads the version's files once into the cache (by content hash) and returns the folder. */
  async localArtifact(version: ModelVersion): Promise<string> {
    const dest = path.join(this.stateFolder(version.model), 'artifacts', version.artifact.sha256 || `v${version.version}`);
    if (existsSync(dest)) return dest;
    // Downloads of workers killed mid-way: their temp folders are swept once old.
    await sweepStaleTempsNowAndThen(path.dirname(dest));
    const tmp = `${dest}.${randomUUID()}.tmp`;
    try {
      await this.download(version.artifact.uri, '', tmp);
      await mkdir(path.dirname(dest), { recursive: true });
      await rename(tmp, dest).catch(async (err: unknown) => {
        if (!existsSync(dest)) throw err;
      });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    return dest;
  }

  private async download(artifactUri: string, rel: string, into: string): Promise<void> {
    await mkdir(path.join(into, rel), { recursive: true });
    const listUrl = new URL(`${this.base}/api/2.0/mlflow-artifacts/artifacts`);
    listUrl.searchParams.set('path', [artifactUri.replace(/^mlflow-artifacts:\//, ''), rel].filter(Boolean).join('/'));
    const res = await fetch(listUrl, { headers: this.headers() });
    if (!res.ok) throw new MlflowError(res.status, 'mlflow-artifacts list', await res.text());
    const { files = [] } = (await res.json()) as { files?: { path: string; is_dir: boolean }[] };
    for (const f of files) {
      const name = path.basename(f.path);
      if (name === '.' || name === '..' || name.includes('/')) continue;
      const child = rel ? `${rel}/${name}` : name;
      if (f.is_dir) {
        await this.download(artifactUri, child, into);
        continue;
      }
      const got = await fetch(this.artifactUrl(artifactUri, child), { headers: this.headers() });
      if (!got.ok) throw new MlflowError(got.status, 'mlflow-artifacts download', await got.text());
      await writeFile(path.join(into, child), Buffer.from(await got.arrayBuffer()));
    }
  }
}


const clip = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

/**
 * The params as tags, whole: clipped to one tag's length, a long params JSON read back as no params, so every check
 * found them changed and retrained. Longer than a tag, they are split into parts.
 */
function paramsTags(params: Record<string, unknown>): Record<string, string> {
  const json = JSON.stringify(params);
  if (json.length <= MAX_TAG_VALUE) return { [TAG.params]: json };
  const parts: Record<string, string> = {};
  for (let i = 0; i * MAX_TAG_VALUE < json.length; i++) parts[`${TAG.params}.${i + 1}`] = json.slice(i * MAX_TAG_VALUE, (i + 1) * MAX_TAG_VALUE);
  return { [TAG.paramsParts]: String(Object.keys(parts).length), ...parts };
}

/** The params the tags hold: whole, or joined from their parts; none readable (a clipped tag of old) is {}. */
function paramsFromTags(tags: Record<string, string>): Record<string, unknown> {
  const n = Number(tags[TAG.paramsParts] ?? 0);
  const json = n > 0 ? Array.from({ length: n }, (_, i) => tags[`${TAG.params}.${i + 1}`] ?? '').join('') : tags[TAG.params];
  try {
    return json ? (JSON.parse(json) as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Values inside an MLflow search filter are single-quoted strings. */
const escapeFilter = (s: string) => s.replace(/\\/g, '\\\\').replace(/'/g, "\\'");

function toModelVersion(v: MlflowVersion): ModelVersion {
  const tags = Object.fromEntries((v.tags ?? []).map((t) => [t.key, t.value]));
  const json = <T>(key: string, fallback: T): T => {
    try {
      return tags[key] ? (JSON.parse(tags[key]) as T) : fallback;
    } catch {
      return fallback;
    }
  };
  return {
    model: v.name,
    version: Number(v.version),
    recordId: tags[TAG.recordId] ?? '',
    workflowId: tags[TAG.workflowId] ?? '',
    artifact: { sha256: tags[TAG.artifactSha256] ?? '', uri: v.source },
    dataFingerprint: json<ModelVersion['dataFingerprint']>(TAG.dataFingerprint, { sha256: tags[TAG.dataSha256] ?? '', rows: Number(tags[TAG.dataRows] ?? 0), files: 0, bytes: 0, schema: [] }),
    params: paramsFromTags(tags),
    metrics: json(TAG.metrics, {}),
    triggers: tags[TAG.triggers]?.split(',').filter(Boolean) ?? [],
    codeVersion: tags[TAG.codeVersion],
    createdAt: new Date(v.creation_timestamp).toISOString(),
    ...(tags[TAG.dvc] ? { dvc: json<DvcLineage>(TAG.dvc, { repo: '', path: '', file: tags[TAG.dvcFile] ?? '', md5: tags[TAG.dvcMd5] ?? '' }) } : {}),
    ...(tags[TAG.inputsSha256] ? { inputsSha256: tags[TAG.inputsSha256], inputs: json<InputsDigest>(TAG.inputs, { sha256: tags[TAG.inputsSha256] ?? '', files: {} }) } : {}),
    ...(tags[TAG.rolledBack] ? { rolledBack: fromStoredMark(json<RollbackMark>(TAG.rolledBack, { at: '', by: 'unknown', reason: tags[TAG.rolledBack] ?? '' })) } : {}),
    ...lineageFromTags(tags, json<DvcTraining | null>(TAG.dvcTrain, null)),
  };
}

/** The version's TrainLineage from its `lineage.<key>` and `retrain.dvc_train` tags. */
function lineageFromTags(tags: Record<string, string>, dvc: DvcTraining | null): Pick<ModelVersion, 'lineage'> {
  const own = Object.entries(tags).filter(([k]) => k.startsWith(TAG.lineagePrefix)).map(([k, v]) => [k.slice(TAG.lineagePrefix.length), v] as const);
  if (!own.length && !dvc) return {};
  return { lineage: { ...(own.length ? { tags: Object.fromEntries(own) } : {}), ...(dvc ? { dvc } : {}) } };
}
