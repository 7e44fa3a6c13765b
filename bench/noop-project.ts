// The benches' project: a 20-row dataset and a model whose training and evaluation are no-op commands, so what is
// measured is temporal-retrain's own cost, not a model's.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../src/temporal/cli-binary.js';

const fixture = (f: string) => path.join(PROJECT_ROOT, 'bench/fixtures', f);

/** A fresh folder with `data/d.csv` (20 rows), and the model block that trains on it with the no-op commands. */
export function noopProjectDir(prefix: string): { dir: string; model: Record<string, unknown> } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  mkdirSync(path.join(dir, 'data'));
  const rows = Array.from({ length: 20 }, (_, i) => `${i},${(i * 7) % 13},${i % 2}`);
  writeFileSync(path.join(dir, 'data', 'd.csv'), `id,x,y\n${rows.join('\n')}\n`);
  const model = {
    data: { current: 'data/d.csv', evaluation: 'data/d.csv', target: 'y' },
    train: { command: [process.execPath, fixture('noop-train.mjs')] },
    evaluate: { command: [process.execPath, fixture('noop-evaluate.mjs')] },
    validation: { minRows: 1 },
    trigger: { quietPeriod: '0s', maxWait: '0s' },
    promotion: { metric: 'auc' },
  };
  return { dir, model };
}
