import type { InputsDigest } from '../lineage/inputs.js';
import type { DvcLineage } from '../lineage/dvc.js';
import type { DataFingerprint } from '../data/fingerprint.js';
import type { DvcPush, TrainLineage } from '../lineage/train-lineage.js';

export interface ModelVersion {
  model: string;
  version: number;
  /**
   * The registry's key for the write that made this version: the pipeline id (`retrain/churn/<time>`)
   * of the run that registered it, so a retried register finds it instead of adding a second version.
   * Stored as `runId` in local index.json files before 0.3 (read by fromStoredVersion); MLflow keeps the tag `retrain.run_id`.
   */
  recordId: string;
  /** The pipeline's workflow id. */
  workflowId: string;
  artifact: { sha256: string; uri: string };
  dataFingerprint: DataFingerprint;
  params: Record<string, unknown>;
  metrics: Record<string, number>;
  triggers: string[];
  codeVersion: string | undefined;
  createdAt: string;
  /** Set when production was rolled away from this version (declared bad): no rollback or watch window returns to it. */
  rolledBack?: RollbackMark;
  /** Where DVC tracks the training data (md5, `.dvc`/`dvc.lock` entry, commit), when it does. */
  dvc?: DvcLineage;
  /** sha256 of the inputs besides data and params (params.yaml, dvc.lock deps, train.inputs), when the model has any. */
  inputsSha256?: string;
  inputs?: InputsDigest;
  /** The trainer's lineage.json tags, and for train.dvc the stage, commit and model md5 (and its dvc push). */
  lineage?: TrainLineage;
}

/**
 * A model folder in the registry's artifact store, as activities pass it between hosts: never a
 * local path. `store` names the store (the local registry's id, or the MLflow server), so a host
 * that cannot reach the same store says so instead of reading its own disk.
 */
export interface ArtifactRef {
  sha256: string;
  uri: string;
  store: string;
}

/** Who rolled production away from a version, when (the alias move's time) and why. */
export interface RollbackMark {
  at: string;
  by: string;
  reason: string;
  /** The recordId of the move that rolled away (a pipeline id, or a production move's id). */
  recordId?: string;
}

export type RegisterInput = Omit<ModelVersion, 'version' | 'createdAt' | 'artifact' | 'rolledBack'> & {
  /** Folder the training command wrote its model into, on this host; copied and content-addressed. */
  artifactDir?: string;
  /** Or the artifact the training host already staged (`stageArtifact`), possibly on another host. */
  artifact?: ArtifactRef;
};

export interface AliasMove {
  model: string;
  alias: string;
  from: number | null;
  to: number | null;
  at: string;
  actor: string;
  reason: string;
  /** Key of the operation that moved it (pipeline id or production move id): a retry of it is recognised. */
  recordId?: string;
}

export interface SetAliasInput {
  model: string;
  alias: string;
  /** null removes the alias (undoing the promotion of a first model). */
  version: number | null;
  /** Compare-and-set: the alias must still point here (null = unset), or nothing moves. */
  expected: number | null;
  actor: string;
  reason: string;
  recordId?: string;
}

export type SetAliasResult = { moved: true; move: AliasMove } | { moved: false; actual: number | null };

/** The registry every backend implements; writes are idempotent and alias moves compare-and-set. */
export interface Registry {
  register(input: RegisterInput): Promise<ModelVersion>;
  findByRecordId(model: string, recordId: string): Promise<ModelVersion | undefined>;
  getVersion(model: string, version: number): Promise<ModelVersion | undefined>;
  listVersions(model: string): Promise<ModelVersion[]>;
  getAlias(model: string, alias: string): Promise<number | null>;
  setAlias(input: SetAliasInput): Promise<SetAliasResult>;
  aliasHistory(model: string): Promise<AliasMove[]>;
  /** Declares a version bad (production was rolled away from it); idempotent, the latest mark wins. */
  markRolledBack(model: string, version: number, mark: RollbackMark): Promise<ModelVersion>;
  /** Records where `dvc push` sent a version's model out (train.dvc.push); idempotent, the latest wins. */
  recordDvcPush(model: string, version: number, push: DvcPush): Promise<ModelVersion>;
  /** A local folder holding the version's files (downloaded once when the backend is remote). */
  localArtifact(version: ModelVersion): Promise<string>;
  /**
   * Uploads a freshly trained model folder into the artifact store, content-addressed and keyed
   * by the pipeline run, so a retried attempt re-uses it; returns the reference later steps use.
   */
  stageArtifact(model: string, recordId: string, dir: string): Promise<ArtifactRef>;
  /** A local folder holding a staged artifact: fetched (and its hash checked) when the store is remote. */
  fetchArtifact(model: string, ref: ArtifactRef): Promise<string>;
}

/** The history entry for a move that is about to happen. */
export function aliasMove(input: SetAliasInput, from: number | null): AliasMove {
  return {
    model: input.model,
    alias: input.alias,
    from,
    to: input.version,
    at: new Date().toISOString(),
    actor: input.actor,
    reason: input.reason,
    ...(input.recordId ? { recordId: input.recordId } : {}),
  };
}

/** The move a retried call already made (same run, target and reason), so it is not made or recorded twice. */
export function repeatedMove(history: AliasMove[], input: SetAliasInput, actual: number | null): AliasMove | undefined {
  if (actual !== input.version || !input.recordId) return undefined;
  const last = history.findLast((m) => m.alias === input.alias && m.to === input.version);
  return last && last.recordId === input.recordId && last.reason === input.reason ? last : undefined;
}

/** The pre-0.3 stored name of `recordId` (versions, alias moves, rollback marks). */
type Stored<T> = T & { runId?: string };

function renamed<T extends { recordId?: string }>(x: Stored<T>): T {
  if (x.runId === undefined) return x;
  const { runId, ...rest } = x;
  return { ...rest, recordId: x.recordId ?? runId } as unknown as T;
}

/** A version as read from storage written by any release: `runId` (before 0.3) becomes `recordId`. */
export function fromStoredVersion(v: Stored<ModelVersion>): ModelVersion {
  const out = renamed<ModelVersion>(v);
  return out.rolledBack ? { ...out, rolledBack: renamed<RollbackMark>(out.rolledBack) } : out;
}

/** An alias move as read from storage written by any release. */
export const fromStoredMove = (m: Stored<AliasMove>): AliasMove => renamed<AliasMove>(m);

/** A rollback mark as received from a workflow started before 0.3 (or read from storage). */
export const fromStoredMark = (m: Stored<RollbackMark>): RollbackMark => renamed<RollbackMark>(m);

/**
 * For `--json` output: a record with `recordId` also under its pre-0.3 key `runId` (deprecated),
 * so scripts written against `retrain versions --json` keep working.
 */
export function withRunIdAlias<T extends { recordId?: string; rolledBack?: RollbackMark }>(x: T): T & { runId?: string } {
  const out: T & { runId?: string } = x.recordId === undefined ? { ...x } : { ...x, runId: x.recordId };
  if (x.rolledBack?.recordId !== undefined) out.rolledBack = { ...x.rolledBack, runId: x.rolledBack.recordId } as RollbackMark;
  return out;
}
