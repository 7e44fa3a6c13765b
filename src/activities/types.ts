import type { ModelPlan } from '../config/plan.js';
import type { DataFingerprint } from '../data/fingerprint.js';
export type { DataSnapshot } from '../data/content-snapshot.js';

/** Where a run's immutable data snapshot is, and its hash: small, so it travels in every step's input. */
export interface SnapshotRef {
  location: string;
  sha256: string;
}
import type { Metrics } from '../runner/contract.js';
import type { Evidence, NotComputed, PolicyMemory, TriggerContext } from '../policy/trigger-policy.js';
import type { PairedComparison } from '../stats/paired.js';
import type { ArtifactRef } from '../registry/registry.js';
import type { TrainLineage } from '../lineage/train-lineage.js';
import type { InputsDigest } from '../lineage/inputs.js';

export interface ProductionModel {
  version: number;
  metrics: Metrics;
  dataSha256: string;
  artifactUri: string;
  createdAt: string;
  trainDataRows: number;
  params: Record<string, unknown>;
}

export interface CheckInput {
  plan: ModelPlan;
  /** The pipeline's workflow id (`retrain/churn/<time>`): names the run's folder, keys its registry writes. */
  pipelineId: string;
  /**
   * The context the workflow will decide in (same nowMs): with it the check computes drift and
   * scores only when the decision needs them. Without it (runs started before), it computes all.
   */
  decision?: { context: TriggerContext; memory: PolicyMemory };
}

/** The controller's quick check: the cheap rules only, from what is already known (see quickCheck). */
export interface QuickCheckInput {
  model: string;
  /** The batch's trigger reasons and the controller's clock reading; a forced batch never asks. */
  reasons: string[];
  nowMs: number;
  memory: PolicyMemory;
}

export type QuickCheck =
  /** The cheap evidence decides: the controller decides on it exactly as a pipeline would. */
  | { decided: true; check: CheckResult; context: TriggerContext; policy: ModelPlan['trigger']; configFile: string; dataLocation: string }
  /** Only a pipeline can decide (data to hash, drift or a score to compute, a DVC stage to refresh). */
  | { decided: false; why: string };

export interface CheckResult {
  /** Performance estimated without labels (trigger.estimatedDrop), see Evidence.estimate. */
  estimate?: Evidence['estimate'];
  /** Drift per segment (trigger.segmentDrift), with the full report's file (`check/segments.json`). */
  segmentDrift?: NonNullable<Evidence['segmentDrift']> & { reportFile: string };
  fingerprint: DataFingerprint;
  production: ProductionModel | null;
  /** The current data is byte-identical to what the production model was trained on. */
  dataUnchanged: boolean;
  /** The training params equal the production model's (a params change is a reason to retrain). */
  paramsUnchanged: boolean;
  /** Drift of the current data against the reference (the production model's training data). */
  drift: { datasetDrift: boolean; driftedShare: number; datasetShareThreshold: number; driftedColumns: string[]; reportFile: string } | null;
  predictionDrift: Evidence['predictionDrift'];
  performance: Evidence['performance'];
  /** Rows beyond what the production model was trained on. */
  newRows: number;
  /** params.yaml, dvc.lock deps and train.inputs equal the production version's (absent in results before inputs were hashed). */
  inputsUnchanged?: boolean;
  /** Which of those inputs changed (at most 20 names). */
  inputsChanged?: string[];
  /** Evidence not computed, and why (e.g. no score because data and params are unchanged). */
  notComputed?: NotComputed[];
}

export interface TrainInput {
  plan: ModelPlan;
  /** The pipeline's workflow id (`retrain/churn/<time>`): names the run's folder, keys its registry writes. */
  pipelineId: string;
  /** The run's immutable data snapshot; absent only in runs started before snapshots existed. */
  data?: SnapshotRef;
}

export interface ValidateInput {
  plan: ModelPlan;
  data?: SnapshotRef;
}

export interface TrainResult {
  outputDir: string;
  /** The model folder on the training host: meaningful on that host only. */
  artifactDir: string;
  /** The model as the training host staged it in the registry's artifact store: what other steps use. */
  artifact?: ArtifactRef;
  trainMetrics: Metrics;
  durationMs: number;
  /** The trainer's lineage.json tags and, for train.dvc, the stage, commit and model md5. */
  lineage?: TrainLineage;
  /**
   * The inputs (params.yaml, dvc.lock deps, train.inputs) as the training host hashed them before the command ran:
   * what the model was trained with, even if a file is edited while it trains. Absent when their list is larger than
   * INPUTS_INLINE_BYTES in pipeline-steps.ts (register hashes them then) or in results from before.
   */
  inputs?: InputsDigest;
}

export interface EvaluateInput {
  plan: ModelPlan;
  /** The pipeline's workflow id (`retrain/churn/<time>`): names the run's folder, keys its registry writes. */
  pipelineId: string;
  /** The staged candidate; the evaluation host fetches it itself. */
  candidate?: ArtifactRef;
  /** Production's version (null: none); the evaluation host fetches its files itself. */
  productionVersion?: number | null;
  /** Runs started before artifact references: local paths, valid when every step ran on one host. */
  candidateDir?: string;
  productionDir?: string | null;
}

export interface EvaluateResult {
  candidate: Metrics;
  production: Metrics | null;
  evaluationSha256: string;
  /** The paired significance test, when the promotion policy asks for one and production exists. */
  comparison?: PairedComparison | null;
}

export interface RegisterCandidateInput {
  plan: ModelPlan;
  /** The pipeline's workflow id (`retrain/churn/<time>`): names the run's folder, keys its registry writes. */
  pipelineId: string;
  workflowId: string;
  /** The staged candidate (new runs), or its folder on this host (runs started before references). */
  artifact?: ArtifactRef;
  artifactDir?: string;
  fingerprint: DataFingerprint;
  metrics: Metrics;
  triggers: string[];
  /** Lineage (Parquet copy, profile) is read from here; `fingerprint` is then the snapshot's. */
  data?: SnapshotRef;
  /** What the training step recorded (TrainResult.lineage). */
  lineage?: TrainLineage;
  /** The inputs as training hashed them (TrainResult.inputs); absent: register hashes them. */
  inputs?: InputsDigest;
}

export interface PromoteInput {
  plan: ModelPlan;
  /** Key of the operation moving it (the pipeline id, or a production move's id): a retried move is recognised, not repeated. */
  recordId: string;
  /** null removes the alias (undoing a first promotion). */
  version: number | null;
  expected: number | null;
  reason: string;
  /** Who moves it: pipeline, compensation, watch, or a person. */
  actor?: string;
}
