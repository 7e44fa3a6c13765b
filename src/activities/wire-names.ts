/**
 * Activity inputs as workflows started before 0.3 scheduled them. Those histories (and workflows
 * still running across an upgrade) send `runId` for three different things; the activities now
 * read one name each, and this maps the old name at the activity boundary, per activity.
 */
type Rename = { from: string; to: string; within?: string };

const PIPELINE_ID: Rename[] = [{ from: 'runId', to: 'pipelineId' }];
const RECORD_ID: Rename[] = [{ from: 'runId', to: 'recordId' }];

/** Activity name → the fields renamed in its first argument (the pipeline id, the registry's record key, Temporal's run id). */
export const LEGACY_INPUT_NAMES: Record<string, Rename[]> = {
  checkData: PIPELINE_ID,
  snapshotData: PIPELINE_ID,
  trainCandidate: PIPELINE_ID,
  evaluateModels: PIPELINE_ID,
  registerCandidate: PIPELINE_ID,
  scoreVersion: PIPELINE_ID,
  pushDvcModel: PIPELINE_ID,
  promoteVersion: RECORD_ID,
  deployVersion: RECORD_ID,
  markRolledBack: [{ from: 'runId', to: 'recordId', within: 'mark' }],
  describePipeline: [{ from: 'runId', to: 'temporalRunId' }],
};

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

function renameIn(obj: Record<string, unknown>, r: Rename): Record<string, unknown> {
  if (!(r.from in obj)) return obj;
  const { [r.from]: value, ...rest } = obj;
  return r.to in rest ? rest : { ...rest, [r.to]: value };
}

/** The activity's input with pre-0.3 field names replaced by the current ones (unchanged when it has none). */
export function currentInput(activity: string, input: unknown): unknown {
  const renames = LEGACY_INPUT_NAMES[activity];
  if (!renames || !isRecord(input)) return input;
  let out = input;
  for (const r of renames) {
    if (!r.within) out = renameIn(out, r);
    else if (isRecord(out[r.within])) out = { ...out, [r.within]: renameIn(out[r.within] as Record<string, unknown>, r) };
  }
  return out;
}
