import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { generate } from '../../../examples/churn/generate.js';
import { ConfigError } from '../../errors.js';
import { PROJECT_ROOT } from '../../temporal/cli-binary.js';
import { print } from '../output.js';

const MODEL_FILES = ['train.ts', 'evaluate.ts', 'model.ts', 'csv.ts'];

/** The scaffold's config: the example model with every path inside the new folder. */
function scaffoldConfig(tsxLoader: string) {
  const run = (script: string) => [process.execPath, '--import', tsxLoader, script];
  return {
    version: 1,
    dataRoots: ['data'],
    stateDir: '.retrain',
    models: {
      churn: {
        description: 'Customer churn classifier (scaffolded by retrain init; edit model/*.ts or point the commands at your own)',
        data: { current: 'data/current.csv', evaluation: 'data/eval.csv', target: 'churned' },
        train: { command: run('model/train.ts'), params: { learningRate: 0.5, epochs: 300, l2: 0.001 } },
        evaluate: { command: run('model/evaluate.ts') },
        validation: {
          minRows: 500,
          maxNullRatio: 0.05,
          uniqueKey: ['customer_id'],
          columns: {
            tenure_months: { type: 'integer', min: 0, max: 120 },
            monthly_charges: { type: 'numeric', min: 0, max: 1000 },
            contract: { type: 'string', allowed: ['month-to-month', 'one-year', 'two-year'] },
            churned: { allowed: [0, 1] },
          },
        },
        trigger: { quietPeriod: '30s', maxWait: '10m', cooldown: '1h', maxRelativeDrop: 0.05, minNewRows: 2000, maxModelAge: '30d' },
        promotion: { metric: 'auc', direction: 'maximize', floor: 0.7, minImprovement: 0.001 },
        schedule: { cron: '0 2 * * *', timezone: 'UTC' },
      },
    },
  };
}

export function registerInit(program: Command): void {
  program
    .command('init [dir]')
    .description('scaffold retrain.config.yaml, an example model (model/*.ts) and example data in an empty folder')
    .option('--force', 'write into a folder that is not empty')
    .action(async (dir: string | undefined, o: { force?: boolean }) => {
      const root = path.resolve(dir ?? '.');
      if (existsSync(path.join(root, 'retrain.config.yaml'))) throw new ConfigError(`${root}: already has a retrain.config.yaml; nothing written`);
      if (existsSync(root) && readdirSync(root).length > 0 && !o.force) {
        throw new ConfigError(`${root}: not empty; pass --force to scaffold into it anyway`);
      }
      mkdirSync(path.join(root, 'model'), { recursive: true });
      for (const f of MODEL_FILES) copyFileSync(path.join(PROJECT_ROOT, 'examples/churn', f), path.join(root, 'model', f));
      await generate({ rows: 5000, seed: 1, shift: 0, out: path.join(root, 'data/current.csv') });
      await generate({ rows: 2000, seed: 2, shift: 0, out: path.join(root, 'data/eval.csv'), startId: 1_000_001 });
      // The TypeScript model runs through this installation's tsx, so the folder needs no npm install of its own.
      const tsxLoader = import.meta.resolve('tsx');
      writeFileSync(path.join(root, 'retrain.config.yaml'), `# Every key is described in the temporal-retrain README ("Configuration").\n${stringify(scaffoldConfig(tsxLoader))}`);
      writeFileSync(path.join(root, '.gitignore'), '.retrain/\n');
      print(
        [
          `scaffolded ${root}:`,
          '  retrain.config.yaml   the churn model: data, commands, validation, trigger and promotion policy, schedule',
          '  model/*.ts            the training and evaluation commands (the contract: README, "Training and evaluation")',
          '  data/                 example data (5,000 training rows, 2,000 evaluation rows)',
          'next:',
          `  cd ${path.relative(process.cwd(), root).startsWith('..') ? root : path.relative(process.cwd(), root) || '.'}`,
          '  retrain config validate',
          '  retrain dev            # local Temporal server + worker + schedules; Web UI link printed',
          '  retrain run churn      # in another terminal: retrain once and show each step',
        ].join('\n'),
      );
    });
}
