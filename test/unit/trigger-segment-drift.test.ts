import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createBacktestSteps } from '../../src/activities/backtest-steps.js';
import type { ActivityDeps } from '../../src/activities/deps.js';
import { parseConfig } from '../../src/config/load.js';
import { planModel } from '../../src/config/plan.js';
import { triggerPolicySchema } from '../../src/config/model-schema.js';
import { DataEngine } from '../../src/data/engine.js';
import { missingSegments } from '../../src/data/drift/segment-coverage.js';
import { decideRetrain, EMPTY_MEMORY, evaluateRules, planEvidence, type Evidence, type SegmentDriftEvidence } from '../../src/policy/trigger-policy.js';

const NOW = Date.parse('2026-03-15T02:00:00Z');
const policy = (p: Record<string, unknown> = {}) => triggerPolicySchema.parse({ dataDrift: false, ...p });
const ctx = { reasons: ['schedule'], force: false, explicit: ['manual'], nowMs: NOW };
const evidence = (segmentDrift?: SegmentDriftEvidence): Evidence => ({
  dataUnchanged: false,
  paramsUnchanged: true,
  production: { version: 3, createdAt: new Date(NOW - 86_400_000).toISOString() },
  drift: { datasetDrift: false, driftedShare: 0.1, datasetShareThreshold: 0.5, driftedColumns: ['x'] },
  predictionDrift: null,
  performance: null,
  newRows: 0,
  ...(segmentDrift ? { segmentDrift } : {}),
});
const seg = (value: string, share: number, cols: string[]) => ({ column: 'region', value, refRows: 600, curRows: 500, driftedShare: share, datasetDrift: share >= 0.5, driftedColumns: cols });
const segments = (...s: ReturnType<typeof seg>[]): SegmentDriftEvidence => ({ datasetShareThreshold: 0.5, segments: s, notTested: [] });

describe('trigger rule segmentDrift', () => {
  it('fires on any segment with dataset-level drift; measured is the largest share, threshold drift.datasetShare', () => {
    const p = policy({ segmentDrift: {} });
    const e = evidence(segments(seg('south', 0.6, ['x', 'c', 'k']), seg('north', 0.2, ['n'])));
    const [r] = evaluateRules(p, e, NOW);
    assert.deepEqual([r!.rule, r!.fired, r!.measured, r!.threshold], ['segment_drift', true, 0.6, 0.5]);
    assert.match(r!.detail, /segments drifted \(at 50% of columns\): region=south 60% \(x, c, k\)/);
    const d = decideRetrain(p, e, ctx, EMPTY_MEMORY);
    assert.equal(d.retrain, true);
    assert.match(d.reason, /region=south/);
  });

  it('stays quiet below the threshold and says where the largest share was', () => {
    const d = decideRetrain(policy({ segmentDrift: {} }), evidence(segments(seg('south', 0.4, ['x', 'c']), seg('north', 0, []))), ctx, EMPTY_MEMORY);
    assert.equal(d.retrain, false);
    assert.equal(d.rules[0]!.fired, false);
    assert.match(d.rules[0]!.detail, /no segment drifted: largest share 40% in region=south of 2 watched \(fires at 50%\)/);
  });

  it('minDriftedShare sets the threshold; never fires on a segment with no drifted column', () => {
    const e = evidence(segments(seg('south', 0.4, ['x', 'c'])));
    assert.equal(evaluateRules(policy({ segmentDrift: { minDriftedShare: 0.3 } }), e, NOW)[0]!.fired, true);
    assert.equal(evaluateRules(policy({ segmentDrift: { minDriftedShare: 0 } }), evidence(segments(seg('north', 0, []))), NOW)[0]!.fired, false);
  });

  it('listed segments only: a drift elsewhere is quiet, and a listed segment that was not measured is named', () => {
    const e = evidence(segments(seg('south', 0.8, ['x', 'c', 'k', 'n']), seg('north', 0.2, ['n'])));
    const r = evaluateRules(policy({ segmentDrift: { segments: ['north', 'west'] } }), e, NOW)[0]!;
    assert.equal(r.fired, false);
    assert.equal(r.measured, 0.2);
    assert.match(r.detail, /not measured \(too few rows or absent\): west/);
    assert.equal(evaluateRules(policy({ segmentDrift: { segments: ['south'] } }), e, NOW)[0]!.fired, true);
  });

  it('absent evidence (not computed, or an older check) records no rule', () => {
    assert.deepEqual(evaluateRules(policy({ segmentDrift: {} }), evidence(), NOW), []);
  });

  it('is costly evidence: skipped when the cheap rules decide, needed while the decision is open', () => {
    const p = policy({ segmentDrift: {} });
    const unchanged = { ...evidence(), drift: null, dataUnchanged: true };
    const skip = planEvidence(p, unchanged, ctx, EMPTY_MEMORY, ['segments']);
    assert.deepEqual([skip.all, skip.need], [false, []]);
    assert.match(skip.decidedBy!, /data and params unchanged/);
    const open = planEvidence(p, { ...evidence(), drift: null }, ctx, EMPTY_MEMORY, ['segments']);
    assert.deepEqual(open.need, ['segments']);
  });
});

const base = (model: Record<string, unknown>) => ({
  version: 1,
  models: { churn: { data: { current: 'd.csv', evaluation: 'e.csv', target: 'y' }, train: { command: ['t'] }, evaluate: { command: ['e'] }, promotion: { metric: 'auc' }, ...model } },
});
const configError = (raw: unknown): string => {
  try {
    parseConfig(raw, '/tmp/retrain.config.yaml');
  } catch (err) {
    return (err as Error).message;
  }
  return assert.fail('expected a config error');
};

describe('config: drift.segments and trigger.segmentDrift', () => {
  it('defaults: minRows 500, top 20, missingShare 0.1, missing error', () => {
    const c = parseConfig(base({ drift: { segments: [{ column: 'region' }] }, trigger: { segmentDrift: {} } }), '/tmp/retrain.config.yaml');
    assert.deepEqual(c.models.churn!.drift.segments, [{ column: 'region', minRows: 500, top: 20, missingShare: 0.1, missing: 'error' }]);
  });

  it('a misspelt key gets the did-you-mean', () => {
    assert.match(configError(base({ drift: { segments: [{ column: 'region', minRow: 5 }] } })), /unknown key "minRow" \(did you mean "minRows"\?\)/);
    assert.match(configError(base({ drift: { segments: [{ column: 'region' }] }, trigger: { segmentDrift: { segment: ['eu'] } } })), /unknown key "segment" \(did you mean "segments"\?\)/);
  });

  it('segmentDrift without drift.segments, or on a column that is not one, is an error naming the field', () => {
    assert.match(configError(base({ trigger: { segmentDrift: {} } })), /trigger\.segmentDrift: needs drift\.segments/);
    assert.match(configError(base({ drift: { segments: [{ column: 'region' }] }, trigger: { segmentDrift: { column: 'country' } } })), /trigger\.segmentDrift\.column: "country" is not a drift\.segments column \(region\)/);
  });
});

describe('validation: segment missing from current data', () => {
  const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/segments');
  const ref = { location: path.join(FIXTURES, 'regions-ref.csv'), format: 'csv' as const };
  const cur = { location: path.join(FIXTURES, 'regions-cur.csv'), format: 'csv' as const };
  let engine: DataEngine;
  before(async () => (engine = await DataEngine.open()));
  after(() => engine.close());

  it('a reference segment with at least minRows that all but vanished is a violation naming column and value', async () => {
    // "tiny": 250 reference rows of 3,130, 40 current rows of 2,670: its share predicts 213, 10 % of that is 22.
    const loose = await missingSegments(engine, ref, cur, [{ column: 'region', minRows: 200, missingShare: 0.1, missing: 'error' }]);
    assert.deepEqual(loose, []);
    const strict = await missingSegments(engine, ref, cur, [{ column: 'region', minRows: 200, missingShare: 0.5, missing: 'warn' }]);
    assert.equal(strict.length, 1);
    assert.deepEqual([strict[0]!.rule, strict[0]!.column, strict[0]!.samples, strict[0]!.severity, strict[0]!.observed], ['segment_missing', 'region', ['tiny'], 'warn', '40 rows']);
    assert.match(strict[0]!.expected, /segment "tiny" present: at least 107 rows \(50% of the 213 its reference share of 250 rows predicts\)/);
  });

  it('zero rows is always missing (a value that looks like SQL is named as it is); under minRows and missing: off are not checked', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'segments-'));
    const without = path.join(dir, 'cur.csv');
    writeFileSync(without, readFileSync(cur.location, 'utf8').split('\n').filter((l) => !l.includes('DROP TABLE')).join('\n'));
    const v = await missingSegments(engine, ref, { location: without, format: 'csv' }, [{ column: 'region', minRows: 200, missingShare: 0, missing: 'error' }]);
    assert.deepEqual(v.map((x) => [x.column, x.samples, x.observed, x.severity]), [['region', ["'); DROP TABLE x; --"], '0 rows', 'error']]);
    assert.deepEqual(await missingSegments(engine, ref, { location: without, format: 'csv' }, [{ column: 'region', minRows: 200, missingShare: 1, missing: 'off' }]), []);
    assert.deepEqual(await missingSegments(engine, ref, { location: without, format: 'csv' }, [{ column: 'region', minRows: 2000, missingShare: 1, missing: 'error' }]), []);
  });
});

describe('backtest: segmentDrift replays with the check\'s per-segment report', () => {
  const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/segments');
  let engine: DataEngine;
  before(async () => (engine = await DataEngine.open()));
  after(() => engine.close());

  it('a partition whose south region shifted fires segment_drift in the backtest evidence', async () => {
    const raw = {
      version: 1,
      dataRoots: ['.'],
      models: {
        m: {
          data: { current: 'regions-cur.csv', evaluation: 'regions-ref.csv', target: 'b' },
          train: { command: ['t'] },
          evaluate: { command: ['e'] },
          promotion: { metric: 'auc' },
          drift: { segments: [{ column: 'region', minRows: 200 }] },
          trigger: { dataDrift: false, segmentDrift: {} },
        },
      },
    };
    const plan = planModel(parseConfig(raw, path.join(FIXTURES, 'retrain.config.yaml')), 'm');
    const steps = createBacktestSteps({ engine: async () => engine } as unknown as ActivityDeps);
    const at = '2026-01-01T00:00:00.000Z';
    const { evidence } = await steps.backtestEvidence({
      plan,
      backtestId: 'b',
      reference: { index: 0, file: path.join(FIXTURES, 'regions-ref.csv'), at },
      current: { index: 1, file: path.join(FIXTURES, 'regions-cur.csv'), at },
      production: { version: 1, createdAt: at, trainedOn: 0 },
    });
    // Without the target b, south tests x, n, k, c: x and c drifted, 50 %.
    const r = evaluateRules(plan.trigger, evidence, NOW).find((x) => x.rule === 'segment_drift')!;
    assert.equal(r.fired, true, r.detail);
    assert.match(r.detail, /region=south 50% \(x, c\)/);
  });
});
