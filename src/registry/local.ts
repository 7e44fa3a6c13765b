import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { cp, link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RetrainError, FailureType } from '../errors.js';
import { hashDirectory } from './hash-dir.js';
import { readJson, withDirLock, writeJsonAtomic } from './json-store.js';
import { withOwnTemp } from './temp-files.js';
import type { DvcPush } from '../lineage/train-lineage.js';
import { aliasMove, fromStoredMove, fromStoredVersion, repeatedMove, type AliasMove, type ArtifactRef, type ModelVersion, type RegisterInput, type Registry, type RollbackMark, type SetAliasInput, type SetAliasResult } from './registry.js';

interface ModelIndex {
  versions: ModelVersion[];
  aliases: Record<string, number>;
  aliasHistory: AliasMove[];
}

const emptyIndex = (): ModelIndex => ({ versions: [], aliases: {}, aliasHistory: [] });

/**
 * The embedded registry: one folder per model with an index.json and content-addressed artifacts.
 * Writers serialize on a per-model lock, so two worker processes can register at once.
 */
export class LocalRegistry implements Registry {
  constructor(readonly root: string) {}

  private modelDir(model: string) {
    return path.join(this.root, model);
  }
  private indexFile(model: string) {
    return path.join(this.modelDir(model), 'index.json');
  }
  private async read(model: string): Promise<ModelIndex> {
    const index = await readJson<ModelIndex>(this.indexFile(model), emptyIndex());
    // Indexes written before 0.3 name the record key `runId`; they are rewritten on the next write.
    return { ...index, versions: index.versions.map(fromStoredVersion), aliasHistory: index.aliasHistory.map(fromStoredMove) };
  }

  /**
   * This store's identity, created once: a worker whose stateDir is not the shared one sees
   * another id in a reference and says so, instead of reading a folder of its own disk.
   */
  private async storeId(): Promise<string> {
    const file = path.join(this.root, 'store-id');
    const existing = await readFile(file, 'utf8').catch(() => null);
    if (existing) return existing.trim();
    await mkdir(this.root, { recursive: true });
    const tmp = `${file}.${randomUUID()}.tmp`;
    await writeFile(tmp, `${randomUUID()}\n`);
    // link() fails when another process created it first; then theirs is the id.
    await link(tmp, file).catch(() => {});
    await rm(tmp, { force: true });
    return (await readFile(file, 'utf8')).trim();
  }

  async stageArtifact(model: string, recordId: string, dir: string): Promise<ArtifactRef> {
    if (!existsSync(dir)) throw new RetrainError(FailureType.Registry, `artifact folder ${dir} does not exist`);
    const sha256 = await hashDirectory(dir);
    await this.storeArtifact(model, dir, sha256, recordId);
    return { sha256, uri: `retrain-local:${model}/artifacts/${sha256}`, store: await this.storeId() };
  }

  async fetchArtifact(model: string, ref: ArtifactRef): Promise<string> {
    const id = await this.storeId();
    if (ref.store !== id) {
      throw new RetrainError(
        FailureType.Registry,
        `the local registry at ${this.root} (store ${id}) is not the one that staged ${ref.uri} (store ${ref.store}): workers on several hosts need one shared stateDir, or registry.backend: mlflow`,
      );
    }
    const dir = path.join(this.modelDir(model), 'artifacts', ref.sha256);
    if (!existsSync(dir)) throw new RetrainError(FailureType.Registry, `${ref.uri} is missing from the local registry at ${this.root}`);
    return dir;
  }

  async register(input: RegisterInput): Promise<ModelVersion> {
    let sha256: string;
    let artifactPath: string;
    if (input.artifact) {
      artifactPath = await this.fetchArtifact(input.model, input.artifact);
      sha256 = input.artifact.sha256;
    } else {
      if (!input.artifactDir || !existsSync(input.artifactDir)) {
        throw new RetrainError(FailureType.Registry, `artifact folder ${input.artifactDir} does not exist`);
      }
      sha256 = await hashDirectory(input.artifactDir);
      artifactPath = await this.storeArtifact(input.model, input.artifactDir, sha256, input.recordId);
    }
    return withDirLock(this.modelDir(input.model), async () => {
      const index = await this.read(input.model);
      const existing = index.versions.find((v) => v.recordId === input.recordId);
      if (existing) return existing;
      const { artifactDir: _dir, artifact: _ref, ...rest } = input;
      const version: ModelVersion = {
        ...rest,
        version: (index.versions.at(-1)?.version ?? 0) + 1,
        artifact: { sha256, uri: artifactPath },
        createdAt: new Date().toISOString(),
      };
      index.versions.push(version);
      await writeJsonAtomic(this.indexFile(input.model), index);
      return version;
    });
  }

  /**
   * Copy into a temp folder, then rename: an artifact folder is complete or absent. The temp name
   * belongs to the run, so a retry after a kill removes its own partial copy; partial copies of
   * runs that never came back are swept once they are old.
   */
  private async storeArtifact(model: string, src: string, sha256: string, recordId: string): Promise<string> {
    const dest = path.join(this.modelDir(model), 'artifacts', sha256);
    if (existsSync(dest)) return dest;
    return withOwnTemp(dest, recordId, async (tmp) => {
      if (existsSync(dest)) return dest;
      await cp(src, tmp, { recursive: true });
      try {
        await rename(tmp, dest);
      } catch (err) {
        // Another run stored the same content a moment ago.
        if (!existsSync(dest)) throw err;
      }
      return dest;
    });
  }

  async findByRecordId(model: string, recordId: string) {
    return (await this.read(model)).versions.find((v) => v.recordId === recordId);
  }
  async getVersion(model: string, version: number) {
    return (await this.read(model)).versions.find((v) => v.version === version);
  }
  async listVersions(model: string) {
    return (await this.read(model)).versions;
  }
  async getAlias(model: string, alias: string) {
    return (await this.read(model)).aliases[alias] ?? null;
  }
  async aliasHistory(model: string) {
    return (await this.read(model)).aliasHistory;
  }
  async localArtifact(version: ModelVersion) {
    return version.artifact.uri;
  }

  async markRolledBack(model: string, version: number, mark: RollbackMark): Promise<ModelVersion> {
    return withDirLock(this.modelDir(model), async () => {
      const index = await this.read(model);
      const v = index.versions.find((x) => x.version === version);
      if (!v) throw new RetrainError(FailureType.Registry, `model ${model} has no version ${version}`);
      v.rolledBack = mark;
      await writeJsonAtomic(this.indexFile(model), index);
      return v;
    });
  }

  async recordDvcPush(model: string, version: number, push: DvcPush): Promise<ModelVersion> {
    return withDirLock(this.modelDir(model), async () => {
      const index = await this.read(model);
      const v = index.versions.find((x) => x.version === version);
      if (!v) throw new RetrainError(FailureType.Registry, `model ${model} has no version ${version}`);
      if (!v.lineage?.dvc) throw new RetrainError(FailureType.Registry, `model ${model} v${version} was not trained by train.dvc: nothing to record a dvc push for`);
      v.lineage.dvc.push = push;
      await writeJsonAtomic(this.indexFile(model), index);
      return v;
    });
  }

  async setAlias(input: SetAliasInput): Promise<SetAliasResult> {
    return withDirLock(this.modelDir(input.model), async () => {
      const index = await this.read(input.model);
      const actual = index.aliases[input.alias] ?? null;
      const repeated = repeatedMove(index.aliasHistory, input, actual);
      if (repeated) return { moved: true, move: repeated };
      if (actual !== input.expected) return { moved: false, actual };
      if (input.version !== null && !index.versions.some((v) => v.version === input.version)) {
        throw new RetrainError(FailureType.Registry, `model ${input.model} has no version ${input.version}`);
      }
      const move = aliasMove(input, actual);
      if (input.version === null) delete index.aliases[input.alias];
      else index.aliases[input.alias] = input.version;
      index.aliasHistory.push(move);
      await writeJsonAtomic(this.indexFile(input.model), index);
      return { moved: true, move };
    });
  }
}
