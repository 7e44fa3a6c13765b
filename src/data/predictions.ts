import path from 'node:path';
import { existsSync } from 'node:fs';
import { FailureType, RetrainError } from '../errors.js';
import { CONTRACT } from '../runner/contract.js';
import type { PairedOutputs } from '../stats/paired.js';
import type { DataEngine } from './engine.js';

/**
 * Both models' per-example outputs (`predictions.csv`: row, label, score[, prediction]) joined on
 * `row`, as typed arrays. The join runs in DuckDB; rows only one side scored are a contract error,
 * because a paired test needs the same rows on both sides.
 */
export async function readPairedOutputs(engine: DataEngine, candidateDir: string, productionDir: string): Promise<PairedOutputs> {
  const files = [candidateDir, productionDir].map((d) => path.join(d, CONTRACT.predictionsFile));
  for (const f of files) {
    if (!existsSync(f)) {
      throw new RetrainError(FailureType.Contract, `${f}: missing; promotion.significance needs the evaluation command to write ${CONTRACT.predictionsFile} (row, label, score[, prediction])`, { file: f });
    }
  }
  const read = (slot: number) => `read_csv($${slot}, header = true, all_varchar = false)`;
  const counts = await engine.rows(
    `SELECT (SELECT count(*) FROM ${read(1)}) AS c, (SELECT count(*) FROM ${read(2)}) AS p,
            (SELECT count(*) FROM ${read(1)} c JOIN ${read(2)} p USING (row)) AS both_`,
    files,
    files[0],
  );
  const { c, p, both_ } = counts[0] as { c: number; p: number; both_: number };
  if (c !== p || c !== both_) {
    throw new RetrainError(FailureType.Contract, `predictions of the candidate (${c} rows) and production (${p} rows) do not cover the same rows (${both_} shared)`, { files });
  }
  const hasPrediction = async (slot: number) =>
    (await engine.rows(`SELECT count(*) AS n FROM (DESCRIBE SELECT * FROM ${read(1)}) WHERE column_name = 'prediction'`, [files[slot]!], files[slot])).at(0)?.n === 1;
  const predExpr = async (slot: number, alias: string) =>
    (await hasPrediction(slot)) ? `CAST(${alias}.prediction AS DOUBLE)` : `CASE WHEN ${alias}.score >= 0.5 THEN 1.0 ELSE 0.0 END`;
  const cols = await engine.columns(
    `SELECT CAST(c.label AS DOUBLE), CAST(c.score AS DOUBLE), CAST(p.score AS DOUBLE), ${await predExpr(0, 'c')}, ${await predExpr(1, 'p')}
     FROM ${read(1)} c JOIN ${read(2)} p USING (row) ORDER BY row`,
    files,
    files[0],
  );
  const arr = (i: number) => Float64Array.from(cols[i] as number[]);
  return { label: arr(0), candidateScore: arr(1), productionScore: arr(2), candidatePrediction: arr(3), productionPrediction: arr(4) };
}
