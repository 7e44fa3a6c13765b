import { existsSync } from 'node:fs';
import { FailureType, RetrainError } from '../../errors.js';
import { CONTRACT } from '../../runner/contract.js';
import type { DataEngine } from '../engine.js';
import type { ScoreColumns } from './cbpe.js';

/**
 * The evaluation command's score-only output (RETRAIN_MODE=score): `predictions.csv` with `row, score[, prediction]`,
 * one line per row of the unlabelled data it was given, and no label. Checked whole before the estimate reads it,
 * because a short file or a score of 1.3 would otherwise give a plausible but wrong estimate.
 */
export const SCORE_OUTPUT_COLUMNS = { row: 'row', score: 'score', prediction: 'prediction' } as const;

/** At most this many characters of a bad value go into an error message (the value is the command's output). */
const SAMPLE_CHARS = 80;

const fail = (file: string, why: string, details: Record<string, unknown> = {}) =>
  new RetrainError(FailureType.Contract, `${file}: ${why}`, { file, ...details });

const sample = (v: unknown) => JSON.stringify(String(v).slice(0, SAMPLE_CHARS));

/**
 * Validates a score-only `predictions.csv` against the data it scored (`expectedRows` rows of `data`) and returns
 * the columns the estimate reads from it. Every problem is a CommandContractError naming the file and the column.
 */
export async function readScoreOutput(engine: DataEngine, file: string, expectedRows: number, data: string): Promise<ScoreColumns> {
  if (!existsSync(file)) {
    throw fail(file, `missing; estimate.from: score needs the evaluation command, run with RETRAIN_MODE=score, to write ${CONTRACT.predictionsFile} (row, score[, prediction]) in RETRAIN_OUTPUT`);
  }
  // Every value as text: the checks below see exactly what the command wrote, past any type-sniffing window.
  const reader = `read_csv($1, header = true, all_varchar = true, nullstr = [''])`;
  let names: string[];
  try {
    names = (await engine.rows(`SELECT column_name FROM (DESCRIBE SELECT * FROM ${reader})`, [file], file)).map((r) => String(r.column_name));
  } catch (err) {
    throw fail(file, `not a readable CSV with a header line (${(err as Error).message})`);
  }
  const { row, score, prediction } = SCORE_OUTPUT_COLUMNS;
  for (const col of [row, score]) {
    if (!names.includes(col)) throw fail(file, `column "${col}" missing (columns: ${names.slice(0, 20).join(', ') || 'none'}); score mode writes row, score[, prediction]`, { field: col });
  }
  const hasPrediction = names.includes(prediction);
  const s = `TRY_CAST(score AS DOUBLE)`;
  const badScore = `(${s} IS NULL OR isnan(${s}) OR NOT (${s} BETWEEN 0 AND 1))`;
  const badPrediction = `(prediction IS NULL OR prediction NOT IN ('0', '1', '0.0', '1.0'))`;
  const [r] = await engine.rows(
    `SELECT count(*) AS n,
            count(DISTINCT TRY_CAST("row" AS BIGINT)) AS distinct_rows,
            count(*) FILTER (WHERE TRY_CAST("row" AS BIGINT) IS NULL) AS bad_row,
            any_value("row") FILTER (WHERE TRY_CAST("row" AS BIGINT) IS NULL) AS bad_row_value,
            count(*) FILTER (WHERE ${badScore}) AS bad_score,
            arg_min(coalesce(score, '(empty)'), TRY_CAST("row" AS BIGINT)) FILTER (WHERE ${badScore}) AS bad_score_value,
            min(TRY_CAST("row" AS BIGINT)) FILTER (WHERE ${badScore}) AS bad_score_row
            ${hasPrediction ? `, count(*) FILTER (WHERE ${badPrediction}) AS bad_prediction,
            arg_min(coalesce(prediction, '(empty)'), TRY_CAST("row" AS BIGINT)) FILTER (WHERE ${badPrediction}) AS bad_prediction_value,
            min(TRY_CAST("row" AS BIGINT)) FILTER (WHERE ${badPrediction}) AS bad_prediction_row` : ''}
     FROM ${reader}`,
    [file],
    file,
  );
  const n = Number(r!.n);
  if (n !== expectedRows) {
    throw fail(file, `${n} row(s), but the data it scored (${data}) has ${expectedRows}: score mode writes one line per row`, { field: row, value: n, expected: expectedRows });
  }
  if (Number(r!.bad_row)) throw fail(file, `${r!.bad_row} value(s) of "${row}" are not integers (e.g. ${sample(r!.bad_row_value)})`, { field: row, value: String(r!.bad_row_value).slice(0, SAMPLE_CHARS) });
  if (Number(r!.distinct_rows) !== n) throw fail(file, `"${row}" repeats values: ${n} lines but ${r!.distinct_rows} distinct rows`, { field: row });
  if (Number(r!.bad_score)) {
    throw fail(file, `${r!.bad_score} value(s) of "${score}" are not probabilities in [0, 1] (first at row ${r!.bad_score_row}: ${sample(r!.bad_score_value)})`, {
      field: score,
      value: String(r!.bad_score_value).slice(0, SAMPLE_CHARS),
    });
  }
  if (hasPrediction && Number(r!.bad_prediction)) {
    throw fail(file, `${r!.bad_prediction} value(s) of "${prediction}" are not a class 0 or 1 (first at row ${r!.bad_prediction_row}: ${sample(r!.bad_prediction_value)})`, {
      field: prediction,
      value: String(r!.bad_prediction_value).slice(0, SAMPLE_CHARS),
    });
  }
  return { proba: score, ...(hasPrediction ? { pred: prediction } : {}) };
}
