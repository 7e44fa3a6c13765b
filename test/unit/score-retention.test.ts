import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { pruneScoreOutputs, SCORE_OUTPUT_DIR } from '../../src/activities/score-retention.js';

// Red team: every check of estimate.from: score leaves a predictions.csv with a line per unlabelled row.
describe('score-only outputs of older runs are bounded per model', () => {
  it('keeps the newest (the current run counts as one), removes the older score-current folders and nothing else', async () => {
    const runs = mkdtempSync(path.join(tmpdir(), 'runs-'));
    const base = Date.parse('2026-11-01T00:00:00Z') / 1000;
    for (let i = 0; i < 12; i++) {
      const out = path.join(runs, `run-${i}`, SCORE_OUTPUT_DIR);
      mkdirSync(out, { recursive: true });
      writeFileSync(path.join(out, 'predictions.csv'), 'row,score\n0,0.5\n');
      writeFileSync(path.join(runs, `run-${i}`, 'score-current.log'), 'log');
      utimesSync(out, base + i * 60, base + i * 60);
    }
    mkdirSync(path.join(runs, 'run-no-score', 'check'), { recursive: true });
    const current = path.join(runs, 'run-12', SCORE_OUTPUT_DIR);
    const removed = await pruneScoreOutputs(runs, current, 5);
    assert.equal(removed.length, 8);
    for (let i = 0; i < 12; i++) assert.equal(existsSync(path.join(runs, `run-${i}`, SCORE_OUTPUT_DIR)), i >= 8, `run-${i}`);
    // Logs and other runs' folders stay: only the bulky output goes.
    for (let i = 0; i < 12; i++) assert.ok(existsSync(path.join(runs, `run-${i}`, 'score-current.log')));
    assert.ok(existsSync(path.join(runs, 'run-no-score', 'check')));
    assert.deepEqual(await pruneScoreOutputs(path.join(runs, 'absent'), current), []);
  });
});
