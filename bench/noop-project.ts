// The benches' project: a 20-row dataset and a model whose training and evaluation are no-op commands, so what is
// measured is temporal-retrain's own cost, not a model's.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../src/temporal/cli-binary.js';

const fixture = (f: string) => path.join(PROJECT_ROOT, 'bench/fixtures', f);

/**
 * The no-op commands as POSIX shell one-liners: a process start costs what a shell's does (about a millisecond),
 * so what is left is temporal-retrain's own cost. Their auc is fixed: each bench model trains once, with no production.
 */
const SHELL_COMMANDS = {
  train: ['/bin/sh', '-c', 'mkdir -p "$RETRAIN_MODEL_DIR" && echo \'{"auc":0.9}\' > "$RETRAIN_MODEL_DIR/model.json" && echo \'{"auc":0.9}\' > "$RETRAIN_OUTPUT/metrics.json"'],
  evaluate: ['/bin/sh', '-c', 'echo \'{"auc":0.9}\' > "$RETRAIN_OUTPUT/metrics.json"'],
};

/**
 * A fresh folder with `data/d.csv` (20 rows), and the model block that trains on it with the no-op commands:
 * Node.js scripts (a Node.js start each, as a JavaScript trainer costs), or shell one-liners.
 */
export function noopProjectDir(prefix: string, commands: 'node' | 'sh' = 'node'): { dir: string; model: Record<string, unknown> } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  mkdirSync(path.join(dir, 'data'));
  const rows = Array.from({ length: 20 }, (_, i) => `${i},${(i * 7) % 13},${i % 2}`);
  writeFileSync(path.join(dir, 'data', 'd.csv'), `id,x,y\n${rows.join('\n')}\n`);
  const model = {
    data: { current: 'data/d.csv', evaluation: 'data/d.csv', target: 'y' },
    train: { command: commands === 'sh' ? SHELL_COMMANDS.train : [process.execPath, fixture('noop-train.mjs')] },
    evaluate: { command: commands === 'sh' ? SHELL_COMMANDS.evaluate : [process.execPath, fixture('noop-evaluate.mjs')] },
    validation: { minRows: 1 },
    trigger: { quietPeriod: '0s', maxWait: '0s' },
    promotion: { metric: 'auc' },
  };
  return { dir, model };
}
