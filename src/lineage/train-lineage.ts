/**
 * What the training step itself says about a candidate, besides the data: the trainer's own
 * lineage.json tags, and for `train.dvc` models which stage ran at which commit and the DVC md5
 * of the model out it produced (plus where `dvc push` sent it, once promoted). Bounded: it
 * travels in workflow payloads, registry metadata, audit records and MLflow tags.
 */
export interface TrainLineage {
  tags?: Record<string, string>;
  dvc?: DvcTraining;
}

export interface DvcTraining {
  /** The stage as configured (`train` or `path/dvc.yaml:train`). */
  stage: string;
  /** The git repository (absolute, on the training host) and the commit the isolated worktree had. */
  repo: string;
  commit: string;
  /** Tracked files that differed from that commit in the user's tree: not part of what trained. */
  uncommitted?: string[];
  /** The model out, relative to the dvc.yaml folder, and DVC's md5 of it from the run's dvc.lock. */
  model: { path: string; md5: string; size?: number; nfiles?: number };
  /** `dvc repro --single-item`: the data was a stage out, placed where the training stage reads it. */
  singleItem?: boolean;
  push?: DvcPush;
}

/** Where `dvc push` sent the model out after promotion. */
export interface DvcPush {
  remote: string;
  url?: string;
  md5: string;
  at: string;
}
