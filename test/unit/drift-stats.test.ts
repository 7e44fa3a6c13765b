import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DataEngine } from '../../src/data/engine.js';
import { categoryCounts } from '../../src/data/drift/categorical.js';
import { categoricalStats, detectDrift, numericColumnStats } from '../../src/data/drift/detect.js';
import { chi2Sf, gammaincc, kolmogorov } from '../../src/data/drift/special.js';
import { ksExactPValue } from '../../src/data/drift/ks-exact.js';
import { compareSorted, evidentlyBins, histogram } from '../../src/data/drift/sorted-stats.js';
import { filledShares } from '../../src/data/drift/binned.js';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/drift');
const expected = JSON.parse(readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8')) as Record<string, Record<string, number | string>>;
const side = (name: string, which: 'ref' | 'cur') => ({ location: path.join(FIXTURES, `${name}-${which}.csv`), format: 'csv' as const });

function close(actual: number, want: number, what: string, abs = 1e-9, rel = 0) {
  const tol = Math.max(abs, rel * Math.abs(want));
  assert.ok(Math.abs(actual - want) <= tol, `${what}: got ${actual}, scipy says ${want} (tolerance ${tol})`);
}

let engine: DataEngine;
before(async () => (engine = await DataEngine.open()));
after(() => engine.close());

describe('special functions agree with scipy.special', () => {
  it('gammaincc', () => {
    const want = [0.6547208460185768, 0.11161022509471268, 0.9918677572030661, 8.391825114831597e-16];
    [[0.5, 0.1], [1.5, 3.0], [10, 4.0], [2.5, 40.0]].forEach(([a, x], i) => close(gammaincc(a!, x!), want[i]!, `gammaincc(${a},${x})`, 1e-300, 1e-9));
  });
  it('kolmogorov', () => {
    const want = [0.9999906941986655, 0.5441424115741981, 0.26999967167735456, 0.022217962616525127, 3.045995948942526e-08];
    [0.3, 0.8, 1.0, 1.5, 3.0].forEach((y, i) => close(kolmogorov(y), want[i]!, `kolmogorov(${y})`, 1e-300, 1e-9));
  });
  it('chi2 survival', () => {
    const want = [0.2018965179946554, 0.000856641210775301, 0.920344325445942];
    [[3.2, 2], [30, 10], [0.01, 1]].forEach(([x, d], i) => close(chi2Sf(x!, d!), want[i]!, `chi2.sf(${x},${d})`, 1e-300, 1e-9));
  });
});

describe('exact two-sample KS p-values match scipy ks_2samp(method="exact")', () => {
  const cases = JSON.parse(readFileSync(path.join(FIXTURES, 'ks-exact.json'), 'utf8')) as { n1: number; n2: number; d: number; pvalue: number }[];
  for (const c of cases) {
    it(`n1=${c.n1}, n2=${c.n2}, D=${c.d.toFixed(4)}`, () => close(ksExactPValue(c.n1, c.n2, c.d)!, c.pvalue, 'exact KS p-value', 1e-300, 1e-9));
  }
  it('declines (null) where the exact computation is not sound, so the caller falls back', () => {
    assert.equal(ksExactPValue(5, 5, 0.2), null);
    assert.equal(ksExactPValue(40, 60, 0), 1);
  });
});

describe('drift statistics agree with scipy/numpy on the committed fixtures', () => {
  for (const [name, want] of Object.entries(expected)) {
    it(name, async () => {
      if (want.kind === 'numeric') {
        const got = await numericColumnStats(engine, 'x', side(name, 'ref'), side(name, 'cur'));
        close(got.ks_statistic!, want.ks_statistic as number, 'KS statistic');
        close(got.ks_pvalue!, want.ks_pvalue as number, 'KS p-value (exact ≤ 10,000 values per side, else asymptotic)', 1e-300, 1e-6);
        close(got.wasserstein!, want.wasserstein as number, 'Wasserstein / std');
        close(got.psi!, want.psi as number, 'PSI');
        close(got.jensenshannon!, want.jensenshannon as number, 'Jensen-Shannon');
      } else {
        const got = categoricalStats(await categoryCounts(engine, 'x', side(name, 'ref'), side(name, 'cur')));
        for (const key of ['jensenshannon', 'psi', 'linf', 'chisquare_statistic', 'ztest_statistic']) {
          if (key in want) close(got[key]!, want[key] as number, key);
        }
        for (const key of ['chisquare_pvalue', 'ztest_pvalue']) if (key in want) close(got[key]!, want[key] as number, key, 1e-300, 1e-6);
      }
    });
  }
});

describe("drift statistics and default tests agree with Evidently's own stattests", () => {
  // Recorded by make_evidently.py with Evidently installed; CI needs only the JSON.
  const evidently = JSON.parse(readFileSync(path.join(FIXTURES, 'expected-evidently.json'), 'utf8')) as {
    evidently_version: string;
    fixtures: Record<string, { kind: 'numeric' | 'categorical'; default_test: string; scores: Record<string, number> }>;
  };
  const pValueKey: Record<string, string> = { ks: 'ks_pvalue', chisquare: 'chisquare_pvalue', ztest: 'ztest_pvalue' };
  for (const [name, want] of Object.entries(evidently.fixtures)) {
    it(`${name} (Evidently ${evidently.evidently_version})`, async () => {
      const got =
        want.kind === 'numeric'
          ? await numericColumnStats(engine, 'x', side(name, 'ref'), side(name, 'cur'))
          : categoricalStats(await categoryCounts(engine, 'x', side(name, 'ref'), side(name, 'cur')));
      for (const [test, score] of Object.entries(want.scores)) {
        const key = pValueKey[test] ?? test;
        if (test in pValueKey) close(got[key]!, score, `${test} p-value`, 1e-300, 1e-6);
        else close(got[key]!, score, test);
      }
      const report = await detectDrift(engine, side(name, 'ref'), side(name, 'cur'));
      assert.equal(report.columns[0]!.test, want.default_test, 'the test DataDriftPreset picks by default');
    });
  }
});

describe('drift edge cases', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'drift-edge-'));
  const csv = (name: string, lines: string[]) => {
    const file = path.join(dir, name);
    writeFileSync(file, `x,c\n${lines.join('\n')}\n`);
    return { location: file, format: 'csv' as const };
  };

  it('a single distinct value on both sides is no drift', async () => {
    const r = await detectDrift(engine, csv('s1.csv', Array(50).fill('7,a')), csv('s2.csv', Array(40).fill('7,a')));
    assert.equal(r.datasetDrift, false);
    assert.ok(r.columns.every((c) => !c.drifted));
  });

  it('an all-null column is reported, not tested', async () => {
    const r = await detectDrift(engine, csv('n1.csv', Array(20).fill('1.5,')), csv('n2.csv', Array(20).fill('2.5,')), { columns: ['c'] });
    assert.equal(r.columns[0]!.drifted, false);
    assert.match(r.columns[0]!.note ?? '', /no non-null values/);
  });

  it('NaN and ±Infinity are left out of numeric tests and counted', async () => {
    const ref = Array.from({ length: 200 }, (_, i) => `${i % 37},a`);
    const cur = [...Array.from({ length: 200 }, (_, i) => `${i % 37},a`), 'nan,a', 'inf,a', '-inf,a'];
    const got = await numericColumnStats(engine, 'x', csv('f1.csv', ref), csv('f2.csv', cur));
    assert.equal(got.non_finite, 3);
    close(got.ks_statistic!, 0, 'identical finite values');
  });

  it('a category present only in the current data drives drift', async () => {
    const r = await detectDrift(engine, csv('c1.csv', Array(300).fill('1,a')), csv('c2.csv', [...Array(150).fill('1,a'), ...Array(150).fill('1,b')]), { columns: ['c'] });
    assert.equal(r.columns[0]!.test, 'ztest');
    assert.equal(r.columns[0]!.drifted, true);
  });

  it('1 reference row against 10 million current rows: sorted by DuckDB into typed arrays, no drift claimed from one row', async () => {
    const big = path.join(dir, 'ten-million.parquet');
    // x is uniform on [0, 1); c alternates a/b.
    await engine.rows(`COPY (SELECT (i / 10000000.0)::DOUBLE AS x, CASE WHEN i % 2 = 0 THEN 'a' ELSE 'b' END AS c FROM range(10000000) t(i)) TO '${big}' (FORMAT parquet)`);
    const r = await detectDrift(engine, csv('one.csv', ['0.5,a']), { location: big, format: 'parquet' });
    const x = r.columns.find((c) => c.column === 'x')!;
    assert.equal(x.test, 'ks');
    close(x.statistic, 0.5, 'KS statistic: the single value sits at the median', 1e-6);
    assert.ok(x.pValue! > 0.05 && x.pValue! <= 1, `p-value ${x.pValue}`);
    assert.equal(x.drifted, false);
    const c = r.columns.find((col) => col.column === 'c')!;
    assert.ok(Number.isFinite(c.statistic) || c.note, 'the categorical column is tested or explained');
  });

  it('defaults follow the reference size: KS on ≤1000 rows, normalised Wasserstein above', async () => {
    const small = await detectDrift(engine, side('normal-small', 'ref'), side('normal-small', 'cur'));
    assert.equal(small.columns[0]!.test, 'ks');
    const large = await detectDrift(engine, side('lognormal-large', 'ref'), side('lognormal-large', 'cur'));
    assert.equal(large.columns[0]!.test, 'wasserstein');
    const overridden = await detectDrift(engine, side('lognormal-large', 'ref'), side('lognormal-large', 'cur'), { overrides: { x: { test: 'psi', threshold: 0.5 } } });
    assert.equal(overridden.columns[0]!.test, 'psi');
    assert.equal(overridden.columns[0]!.threshold, 0.5);
  });
});

describe('sorted-array statistics agree with their per-value definitions', () => {
  // A seeded generator, so a failure names inputs that can be reproduced.
  const random = (seed: number) => () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const sorted = (xs: number[]) => Float64Array.from(xs).sort();

  /** numpy.histogram's own rule, value by value: estimate the bin, then its two edge fix-ups. */
  function numpyHistogram(xs: Float64Array, lo: number, hi: number, bins: number): number[] {
    const edge = (k: number) => (k === bins ? hi : k * ((hi - lo) / bins) + lo);
    const counts = new Array<number>(bins).fill(0);
    for (const v of xs) {
      let k = Math.min(Math.floor((v - lo) * (bins / (hi - lo))), bins - 1);
      if (v < edge(k)) k--;
      if (v >= edge(k + 1) && k !== bins - 1) k++;
      counts[k]!++;
    }
    return counts;
  }

  /** KS and Wasserstein-1 by evaluating both ECDFs at every distinct value. */
  function bruteForce(a: Float64Array, b: Float64Array) {
    const values = [...new Set([...a, ...b])].sort((x, y) => x - y);
    const cdf = (xs: Float64Array, v: number) => xs.filter((x) => x <= v).length / xs.length;
    let ks = 0;
    let wasserstein = 0;
    values.forEach((v, k) => {
      const gap = Math.abs(cdf(a, v) - cdf(b, v));
      ks = Math.max(ks, gap);
      if (k + 1 < values.length) wasserstein += gap * (values[k + 1]! - v);
    });
    return { ks, wasserstein, distinct: values.length };
  }

  it('histogram: values on the bin edges, duplicates, negative and tiny ranges', () => {
    const next = random(7);
    const cases: { xs: number[]; bins: number }[] = [
      { xs: Array.from({ length: 31 }, (_, k) => k * (3 / 30) - 1), bins: 30 }, // every value on an edge
      { xs: Array.from({ length: 500 }, () => Math.round(next() * 20) / 4 - 2), bins: 30 }, // heavy ties
      { xs: Array.from({ length: 500 }, () => 1e-300 * next()), bins: 7 },
      { xs: Array.from({ length: 500 }, () => -1e6 - next() * 0.001), bins: 30 },
      { xs: [5, 5, 5], bins: 30 },
    ];
    for (const { xs, bins } of cases) {
      const s = sorted(xs);
      let lo = s[0]!;
      let hi = s.at(-1)!;
      if (lo === hi) [lo, hi] = [lo - 0.5, hi + 0.5];
      assert.deepEqual(histogram(s, lo, hi, bins), numpyHistogram(s, lo, hi, bins), `values ${xs.slice(0, 5).join(', ')}…`);
    }
  });

  it('KS, Wasserstein and distinct count from the merge walk', () => {
    const next = random(11);
    for (let round = 0; round < 20; round++) {
      const ties = round % 2 === 0;
      const draw = (n: number, shift: number) => Array.from({ length: n }, () => (ties ? Math.round(next() * 8) : next() * 8) + shift);
      const a = sorted(draw(1 + Math.floor(next() * 60), 0));
      const b = sorted(draw(1 + Math.floor(next() * 60), round / 10));
      const got = compareSorted(a, b);
      const want = bruteForce(a, b);
      assert.equal(got.distinct, want.distinct);
      close(got.ks, want.ks, `KS, round ${round}`, 1e-12);
      close(got.wasserstein, want.wasserstein, `Wasserstein, round ${round}`, 1e-12);
    }
    assert.deepEqual(compareSorted(sorted([1, 1, 2]), new Float64Array()), { ks: 0, wasserstein: 0, distinct: 2 });
  });

  it("empty bins are filled as Evidently fills them: 0.0001, or a millionth of a smaller share", () => {
    assert.deepEqual(filledShares([0, 50, 50], 100), [0.0001, 0.5, 0.5]);
    assert.deepEqual(filledShares([0, 1, 99_999], 100_000), [1e-5 / 1e6, 1e-5, 0.99999]);
  });

  it("integer columns never get bins narrower than 1 (numpy's rule), so huge integer data keeps one bin per step", () => {
    // 21 distinct integers over 2^20 values: Sturges would ask for 21 bins of width 20/21.
    const a = Float64Array.from({ length: 1 << 19 }, (_, k) => k % 21).sort();
    const b = a.slice();
    assert.equal(evidentlyBins(a, b, true).refBins.length, 20);
    assert.equal(evidentlyBins(a, b, false).refBins.length, 21);
  });
});
