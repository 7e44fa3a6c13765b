import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lineChartSvg, shortNumber } from '../../bench/svg-chart.js';

const coords = (svg: string): [number, number][] => [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);

describe('bench SVG line chart', () => {
  it('draws one line and one marker per point of each series, inside the plot, in x order', () => {
    const svg = lineChartSvg({
      title: 'drift',
      xLabel: 'rows',
      yLabel: 'seconds',
      logX: true,
      logY: true,
      series: [
        { name: 'ours', color: '#1f77b4', points: [[1e7, 22.5], [1e6, 2.3]] },
        { name: 'baseline', color: '#d62728', points: [[1e6, 31], [1e7, 458]], dashed: true },
      ],
    });
    assert.equal((svg.match(/<polyline/g) ?? []).length, 2);
    const c = coords(svg);
    assert.equal(c.length, 4);
    for (const [x, y] of c) assert.ok(x >= 70 && x <= 470 && y >= 40 && y <= 330, `${x},${y} inside the plot`);
    // Ours at 1M is left of ours at 10M and lower (a larger y coordinate) on the page.
    assert.ok(c[0]![0]! < c[1]![0]! && c[0]![1]! > c[1]![1]!);
    assert.match(svg, /stroke-dasharray/);
  });

  it('escapes labels and leaves out points a log axis cannot show', () => {
    const svg = lineChartSvg({ title: '<script>', xLabel: 'a&b', yLabel: 'y', logY: true, series: [{ name: '"x"', color: 'red', points: [[1, 0], [2, 5], [3, Number.NaN]] }] });
    assert.doesNotMatch(svg, /<script>/);
    assert.match(svg, /&lt;script&gt;/);
    assert.match(svg, /a&amp;b/);
    assert.equal(coords(svg).length, 1);
  });

  it('short tick labels', () => {
    assert.deepEqual([1, 1000, 10_000, 100_000, 1e6, 2.5e6].map(shortNumber), ['1', '1000', '10k', '100k', '1M', '2.5M']);
  });
});
