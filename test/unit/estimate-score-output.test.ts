import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DataEngine } from '../../src/data/engine.js';
import { readScoreOutput } from '../../src/data/estimate/score-output.js';
import { RetrainError } from '../../src/errors.js';
import { FailureType } from '../../src/failure-types.js';
import { modelSchema } from '../../src/config/model-schema.js';

let engine: DataEngine;
before(async () => (engine = await DataEngine.open()));
after(() => engine.close());

const dir = mkdtempSync(path.join(tmpdir(), 'score-output-'));
let n = 0;
function file(text: string): string {
  const f = path.join(dir, `predictions-${n++}.csv`);
  writeFileSync(f, text);
  return f;
}
const lines = (rows: string[]) => rows.join('\n') + '\n';

/** The rejection must be a CommandContractError naming the file and the column. */
async function rejects(f: string, rows: number, field: string, message: RegExp) {
  await assert.rejects(readScoreOutput(engine, f, rows, 'data/current.csv'), (err: unknown) => {
    assert.ok(err instanceof RetrainError, String(err));
    assert.equal(err.type, FailureType.Contract);
    assert.equal(err.details.file, f);
    assert.equal(err.details.field, field, err.message);
    assert.ok(err.message.startsWith(`${f}: `), err.message);
    assert.match(err.message, message);
    return true;
  });
}

// Issue 15 §1: the evaluation command's score-only mode writes predictions.csv (row, score[, prediction]), no label.
describe('score-only predictions.csv: the contract of the evaluation command in RETRAIN_MODE=score', () => {
  it('accepts row, score, prediction (and row, score alone) and names the columns the estimate reads', async () => {
    assert.deepEqual(await readScoreOutput(engine, file(lines(['row,score,prediction', '0,0.1,0', '1,0.9,1', '2,1,1'])), 3, 'd'), { proba: 'score', pred: 'prediction' });
    assert.deepEqual(await readScoreOutput(engine, file(lines(['row,score', '0,0.25', '1,0', '2,0.75'])), 3, 'd'), { proba: 'score' });
    // A label column a scorer left in is ignored, never read.
    assert.deepEqual(await readScoreOutput(engine, file(lines(['row,label,score', '0,1,0.2', '1,0,0.3'])), 2, 'd'), { proba: 'score' });
  });

  it('a missing file says which mode and which file the command must write', async () => {
    const f = path.join(dir, 'absent', 'predictions.csv');
    await assert.rejects(readScoreOutput(engine, f, 3, 'd'), (err: unknown) => {
      assert.ok(err instanceof RetrainError && err.type === FailureType.Contract && err.details.file === f);
      assert.match(err.message, /missing; estimate.from: score needs the evaluation command, run with RETRAIN_MODE=score, to write predictions.csv/);
      return true;
    });
  });

  it('refuses a missing column, naming it and the columns found', async () => {
    await rejects(file(lines(['row,proba', '0,0.1'])), 1, 'score', /column "score" missing \(columns: row, proba\)/);
    await rejects(file(lines(['id,score', '0,0.1'])), 1, 'row', /column "row" missing/);
    await rejects(file(''), 1, 'row', /column "row" missing|not a readable CSV/);
  });

  it('refuses probabilities outside [0, 1], non-numbers and empty scores, with the first row and value', async () => {
    await rejects(file(lines(['row,score', '0,0.5', '1,1.3', '2,-0.1'])), 3, 'score', /2 value\(s\) of "score" are not probabilities in \[0, 1\] \(first at row 1: "1.3"\)/);
    await rejects(file(lines(['row,score', '0,high', '1,0.4'])), 2, 'score', /first at row 0: "high"/);
    await rejects(file(lines(['row,score', '0,nan', '1,0.4'])), 2, 'score', /not probabilities/);
    await rejects(file(lines(['row,score', '0,', '1,0.4'])), 2, 'score', /first at row 0: "\(empty\)"/);
  });

  it('refuses a wrong row count: one line per row of the data it scored', async () => {
    await rejects(file(lines(['row,score', '0,0.1', '1,0.2'])), 3, 'row', /2 row\(s\), but the data it scored \(data\/current.csv\) has 3/);
    await rejects(file(lines(['row,score'])), 3, 'row', /0 row\(s\)/);
  });

  it('refuses rows that are not distinct integers, and predictions other than 0/1', async () => {
    await rejects(file(lines(['row,score', '0,0.1', '0,0.2'])), 2, 'row', /"row" repeats values: 2 lines but 1 distinct/);
    await rejects(file(lines(['row,score', 'a,0.1', '1,0.2'])), 2, 'row', /not integers \(e.g. "a"\)/);
    await rejects(file(lines(['row,score,prediction', '0,0.1,0', '1,0.7,yes'])), 2, 'prediction', /1 value\(s\) of "prediction" are not a class 0 or 1 \(first at row 1: "yes"\)/);
  });

  it('config: estimate.from: score needs no column, and refuses proba/pred that it would ignore', () => {
    const base = { data: { current: 'x.csv', evaluation: 'e.csv', target: 'y' }, train: { command: ['true'] }, evaluate: { command: ['true'] }, promotion: { metric: 'auc' } };
    const trigger = { estimatedDrop: { floor: 0.8 } };
    assert.deepEqual(modelSchema.parse({ ...base, trigger, estimate: { from: 'score' } }).estimate, { from: 'score', threshold: 0.5 });
    assert.deepEqual(modelSchema.parse({ ...base, trigger, estimate: { from: 'score', data: 'u.csv' } }).estimate, { from: 'score', threshold: 0.5, data: 'u.csv' });
    const both = modelSchema.safeParse({ ...base, trigger, estimate: { from: 'score', proba: 'p' } });
    assert.equal(both.success, false);
    assert.match(JSON.stringify(both.error?.issues), /from: score reads the evaluation command's predictions.csv.*remove proba/);
    const none = modelSchema.safeParse({ ...base, trigger, estimate: { from: 'columns' } });
    assert.match(JSON.stringify(none.error?.issues), /from: columns needs proba/);
  });
});
