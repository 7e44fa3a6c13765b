import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { triggerPolicySchema } from '../../src/config/model-schema.js';
import { decideRetrain, type Evidence } from '../../src/policy/trigger-policy.js';
import { advance, initialState, type Partition } from '../../src/backtest/replay.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DataEngine } from '../../src/data/engine.js';
import { listPartitions, parseOrder } from '../../src/backtest/partitions.js';
import { RetrainError } from '../../src/errors.js';

const DAY = 86_400_000;
const T0 = Date.parse('2000-01-01T00:00:00Z');
// Twelve monthly partitions; drift (share of drifted columns) rises, falls and rises again.
const shares = [0.1, 0.6, 0.7, 0.8, 0.2, 0.9, 0.9, 0.9, 0.1, 0.6, 0.6, 0.6];
const partitions: Partition[] = shares.map((_, i) => ({ index: i, file: `p${i}.parquet`, at: new Date(T0 + i * 30 * DAY).toISOString() }));
const evidenceFor = (p: number, production: { version: number; createdAt: string }): Evidence => ({
  dataUnchanged: false,
  paramsUnchanged: true,
  production,
  drift: { datasetDrift: shares[p]! >= 0.5, driftedShare: shares[p]!, datasetShareThreshold: 0.5, driftedColumns: [] },
  predictionDrift: null,
  performance: null,
  newRows: 10 * p,
});

describe('backtest replay', () => {
  for (const cfg of [
    { dataDrift: true },
    { dataDrift: true, consecutiveBreaches: 2 },
    { dataDrift: true, cooldown: '45d' },
    { dataDrift: true, consecutiveBreaches: 2, cooldown: '75d', maxModelAge: '100d' },
    { dataDrift: false, minNewRows: 50, cooldown: '31d' },
  ]) {
    it(`its decisions equal decideRetrain run partition by partition by hand (${JSON.stringify(cfg)})`, () => {
      const policy = triggerPolicySchema.parse(cfg);
      // The replay.
      let state = initialState(partitions[0]!);
      const replayed = [];
      for (const p of partitions.slice(1)) {
        const { decision, next } = advance(policy, state, evidenceFor(p.index, state.production), p);
        replayed.push({ retrain: decision.retrain, reason: decision.reason, breaches: decision.breaches });
        state = next;
      }
      // By hand: the controller's memory rules written out (a retrain resets breaches and stamps its time).
      let lastRetrainAt: string | null = null;
      let breaches = 0;
      let production = { version: 1, createdAt: partitions[0]!.at };
      const byHand = [];
      for (const p of partitions.slice(1)) {
        const d = decideRetrain(policy, evidenceFor(p.index, production), { reasons: ['schedule'], force: false, explicit: [], nowMs: Date.parse(p.at) }, { lastRetrainAt, breaches });
        byHand.push({ retrain: d.retrain, reason: d.reason, breaches: d.breaches });
        breaches = d.breaches;
        if (d.retrain) {
          lastRetrainAt = p.at;
          production = { version: production.version + 1, createdAt: p.at };
        }
      }
      assert.deepEqual(replayed, byHand);
      assert.ok(byHand.some((d) => d.retrain), 'the scenario fires at least once');
      assert.ok(byHand.some((d) => !d.retrain), 'and skips at least once');
    });
  }

  it('the memory matters: consecutive breaches and cooldown change when it fires', () => {
    const fired = (cfg: Record<string, unknown>) => {
      const policy = triggerPolicySchema.parse(cfg);
      let state = initialState(partitions[0]!);
      const at: number[] = [];
      for (const p of partitions.slice(1)) {
        const { decision, next } = advance(policy, state, evidenceFor(p.index, state.production), p);
        if (decision.retrain) at.push(p.index);
        state = next;
      }
      return at;
    };
    assert.deepEqual(fired({ dataDrift: true }), [1, 2, 3, 5, 6, 7, 9, 10, 11]);
    assert.deepEqual(fired({ dataDrift: true, consecutiveBreaches: 2 }), [2, 6, 10]);
    assert.deepEqual(fired({ dataDrift: true, cooldown: '45d' }), [2, 5, 7, 9, 11]);
  });

  it('--order and --step: bad values are typed config errors naming the flag and value', () => {
    assert.deepEqual(parseOrder('column:ts'), { by: 'column', column: 'ts' });
    assert.deepEqual(parseOrder('name', '7d'), { by: 'name', step: '7d' });
    assert.throws(() => parseOrder('size'), (e: unknown) => e instanceof RetrainError && e.type === 'ConfigError' && /--order: .*"size"/.test(e.message));
    assert.throws(() => parseOrder('name', 'monthly'), (e: unknown) => e instanceof RetrainError && /--step: .*"monthly"/.test(e.message));
  });
  it('partitions: column order uses each file\'s latest time; too few files and a missing order column are typed errors naming them', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'backtest-parts-'));
    // Names sort a, b, c; times sort c, a, b.
    writeFileSync(path.join(dir, 'a.csv'), 'day,x\n2024-02-01,1\n2024-02-20,2\n');
    writeFileSync(path.join(dir, 'b.csv'), 'day,x\n2024-03-05,1\n');
    writeFileSync(path.join(dir, 'c.csv'), 'day,x\n2024-01-09,1\n2024-01-02,3\n');
    const engine = await DataEngine.open();
    const byColumn = await listPartitions(engine, path.join(dir, '*.csv'), { by: 'column', column: 'day' }, 'auto', [dir]);
    assert.deepEqual(byColumn.map((p) => [path.basename(p.file), p.at]), [['c.csv', '2024-01-09T00:00:00.000Z'], ['a.csv', '2024-02-20T00:00:00.000Z'], ['b.csv', '2024-03-05T00:00:00.000Z']]);
    const byName = await listPartitions(engine, path.join(dir, '*.csv'), { by: 'name', step: '7d' }, 'auto', [dir]);
    assert.deepEqual(byName.map((p) => [path.basename(p.file), p.at]), [['a.csv', '2000-01-01T00:00:00.000Z'], ['b.csv', '2000-01-08T00:00:00.000Z'], ['c.csv', '2000-01-15T00:00:00.000Z']]);
    await assert.rejects(listPartitions(engine, path.join(dir, 'a.csv'), { by: 'mtime' }, 'auto', [dir]), (e: unknown) => e instanceof RetrainError && e.type === 'DataSourceError' && /at least 2 partitions.*found 1/.test(e.message));
    await assert.rejects(listPartitions(engine, path.join(dir, '*.csv'), { by: 'column', column: 'nosuch' }, 'auto', [dir]), (e: unknown) => e instanceof RetrainError && /a\.csv: --order column:nosuch/.test(e.message));
  });
});

describe('backtest output', () => {
  it('the terminal table shows each partition\'s decision with every rule, and the strategies compared with --train', async () => {
    const { formatBacktest } = await import('../../src/backtest/format.js');
    const rule = { rule: 'data_drift' as const, fired: true, measured: 0.75, threshold: 0.5, detail: '' };
    const row = (p: number, retrain: boolean) => ({
      partition: p, file: `/d/p${p}.csv`, at: partitions[p]!.at, retrain, reason: retrain ? '75% of columns drifted' : 'cooldown: …', rules: [rule], breaches: 0,
      productionVersion: 1, evidence: evidenceFor(p, { version: 1, createdAt: partitions[0]!.at }), metric: { policy: 0.8, never: 0.7, every: 0.81 },
    });
    const text = formatBacktest({
      model: 'm', partitions: partitions.slice(0, 3), rows: [row(1, true), row(2, false)], retrains: 1,
      metric: { name: 'auc', direction: 'maximize', initialTrainingMs: 1000, policy: { retrains: 1, trainingMs: 2000, meanMetric: 0.8 }, never: { retrains: 0, trainingMs: 0, meanMetric: 0.7 }, every: { retrains: 2, trainingMs: 4000, meanMetric: 0.81 } },
    });
    assert.match(text, /3 partitions \(p0\.parquet is the initial training data\), 1 retrain/);
    assert.match(text, /RETRAIN/);
    assert.match(text, /● data_drift 0\.750 \/ 0\.500/);
    assert.match(text, /never retrain +│ 0 +│ 0\.7000/);
    assert.match(text, /retrain every partition │ 2 +│ 0\.8100 +│ 4\.0s/);
  });
});
