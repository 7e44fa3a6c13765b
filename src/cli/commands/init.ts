import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { generate } from '../../../examples/churn/generate.js';
import { ConfigError } from '../../errors.js';
import { isInside } from '../../config/paths.js';
import { PACKAGE_ROOT } from '../../install-paths.js';
import { print } from '../output.js';

/** The scaffolded trainers: generic binary classifiers that choose their features from the data. */
const TEMPLATES = {
  node: { files: ['train.mjs', 'evaluate.mjs', 'model.mjs'], run: (script: string) => ['node', `model/${script}.mjs`] },
  python: { files: ['train.py', 'evaluate.py'], run: (script: string) => ['python3', `model/${script}.py`] },
} as const;

/** The bundled example's rules, known to fit the generated churn data. */
const CHURN_VALIDATION = {
  minRows: 500,
  maxNullRatio: 0.05,
  uniqueKey: ['customer_id'],
  columns: {
    tenure_months: { type: 'integer', min: 0, max: 120 },
    monthly_charges: { type: 'numeric', min: 0, max: 1000 },
    contract: { type: 'string', allowed: ['month-to-month', 'one-year', 'two-year'] },
    churned: { allowed: [0, 1] },
  },
};

interface ScaffoldModel {
  name: string;
  description: string;
  current: string;
  evaluation: string;
  target: string;
  dataRoots: string[];
  validation: Record<string, unknown>;
  language: keyof typeof TEMPLATES;
  exclude: string[];
}

/** Every path relative to the project folder, and commands found on PATH when they run: the folder can be committed as is. */
function scaffoldConfig(m: ScaffoldModel) {
  const t = TEMPLATES[m.language];
  return {
    version: 1,
    dataRoots: m.dataRoots,
    stateDir: '.retrain',
    models: {
      [m.name]: {
        description: m.description,
        data: { current: m.current, evaluation: m.evaluation, target: m.target },
        train: { command: t.run('train'), params: m.language === 'node' ? { learningRate: 0.5, epochs: 300, l2: 0.001, exclude: m.exclude } : { C: 1.0, exclude: m.exclude } },
        evaluate: { command: t.run('evaluate') },
        validation: m.validation,
        trigger: { quietPeriod: '30s', maxWait: '10m', cooldown: '1h', maxRelativeDrop: 0.05, minNewRows: 2000, maxModelAge: '30d' },
        promotion: { metric: 'auc', direction: 'maximize', floor: 0.6, minImprovement: 0.001 },
        schedule: { cron: '0 2 * * *', timezone: 'UTC' },
      },
    },
  };
}

/** `churn-2026.csv` → `churn-2026`: a model name the config accepts. */
function modelNameFor(file: string): string {
  const base = path.basename(file).replace(/\.[^.]*$/, '').toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[-_]+/, '').slice(0, 63);
  return base || 'model';
}

/** A data file the project will read: kept where it is when inside the folder, copied into data/ otherwise. */
function placeData(root: string, file: string): string {
  const abs = path.resolve(file);
  if (!existsSync(abs)) throw new ConfigError(`--data: ${file}: no such file`);
  if (isInside(root, abs)) return path.relative(root, abs).split(path.sep).join('/');
  mkdirSync(path.join(root, 'data'), { recursive: true });
  copyFileSync(abs, path.join(root, 'data', path.basename(abs)));
  return `data/${path.basename(abs)}`;
}

const PROJECT_FILES = new Set(['package.json', 'package-lock.json', 'node_modules', '.git', '.gitignore', 'README.md']);
const readdirSyncSafe = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);

interface InitOptions {
  force?: boolean;
  python?: boolean;
  data?: string;
  eval?: string;
  target?: string;
  model?: string;
}

export function registerInit(program: Command): void {
  program
    .command('init [dir]')
    .description('scaffold retrain.config.yaml, a trainer and evaluator (model/), and data: the example churn data, or yours with --data')
    .option('--python', 'scaffold a scikit-learn trainer and evaluator (model/*.py) instead of plain Node.js ones')
    .option('--data <file>', 'your training data (CSV or Parquet): validation rules are inferred from its profile')
    .option('--target <column>', 'with --data: the label column')
    .option('--eval <file>', 'with --data: held-out evaluation data (default: the --data file itself)')
    .option('--model <name>', 'the model name (default: churn, or the --data file name)')
    .option('--force', 'write into a folder that is not empty')
    .action(async (dir: string | undefined, o: InitOptions) => {
      const root = path.resolve(dir ?? '.');
      if (existsSync(path.join(root, 'retrain.config.yaml'))) throw new ConfigError(`${root}: already has a retrain.config.yaml; nothing written`);
      // A folder that only holds the npm install of this package (or a fresh git repo) counts as empty.
      const own = readdirSyncSafe(root).filter((f) => !PROJECT_FILES.has(f));
      if (own.length > 0 && !o.force && !o.data) {
        throw new ConfigError(`${root}: not empty; pass --force to scaffold into it anyway`);
      }
      if (o.data && !o.target) throw new ConfigError('--target: name the label column of --data');
      if (!o.data && (o.target || o.eval)) throw new ConfigError(`${o.target ? '--target' : '--eval'}: only with --data`);
      const language = o.python ? 'python' : 'node';
      mkdirSync(path.join(root, 'model'), { recursive: true });
      for (const f of TEMPLATES[language].files) copyFileSync(path.join(PACKAGE_ROOT, 'templates', language, f), path.join(root, 'model', f));

      let model: ScaffoldModel;
      let dataNote: string;
      if (o.data) {
        const current = placeData(root, o.data);
        const evaluation = o.eval ? placeData(root, o.eval) : current;
        const { DataEngine } = await import('../../data/engine.js');
        const { inferRules } = await import('../../data/infer-rules.js');
        const engine = await DataEngine.open();
        let inferred;
        try {
          inferred = await inferRules(engine, path.join(root, current), o.target!);
        } catch (err) {
          throw new ConfigError(`--data: ${(err as Error).message}`);
        } finally {
          engine.close();
        }
        const roots = [...new Set([current, evaluation].map((p) => path.posix.dirname(p)))];
        model = {
          name: o.model ?? modelNameFor(current),
          description: `scaffolded by retrain init from ${path.basename(current)} (${inferred.rows} rows); validation rules inferred from its profile: review them`,
          current,
          evaluation,
          target: o.target!,
          dataRoots: roots,
          validation: inferred.validation,
          language,
          exclude: [...(inferred.validation.uniqueKey ?? [])],
        };
        dataNote = `  ${current}${' '.repeat(Math.max(1, 22 - current.length))}your data; validation rules inferred for ${Object.keys(inferred.validation.columns).length} columns${o.eval ? '' : '\n  (evaluation uses the same file: point data.evaluation at held-out data)'}`;
      } else {
        await generate({ rows: 5000, seed: 1, shift: 0, out: path.join(root, 'data/current.csv') });
        await generate({ rows: 2000, seed: 2, shift: 0, out: path.join(root, 'data/eval.csv'), startId: 1_000_001 });
        model = {
          name: o.model ?? 'churn',
          description: 'Customer churn classifier (scaffolded by retrain init; edit model/ or point the commands at your own)',
          current: 'data/current.csv',
          evaluation: 'data/eval.csv',
          target: 'churned',
          dataRoots: ['data'],
          validation: CHURN_VALIDATION,
          language,
          exclude: ['customer_id'],
        };
        dataNote = '  data/                 example data (5,000 training rows, 2,000 evaluation rows)';
      }
      writeFileSync(path.join(root, 'retrain.config.yaml'), `# Every key is described in the temporal-retrain README ("Configuration").\n${stringify(scaffoldConfig(model))}`);
      const ignore = path.join(root, '.gitignore');
      const ignored = existsSync(ignore) ? readFileSync(ignore, 'utf8') : '';
      const missing = ['.retrain/', 'node_modules/'].filter((l) => !ignored.split('\n').includes(l));
      if (missing.length) writeFileSync(ignore, `${ignored}${ignored && !ignored.endsWith('\n') ? '\n' : ''}${missing.join('\n')}\n`);
      const where = path.relative(process.cwd(), root);
      print(
        [
          `scaffolded ${root}:`,
          `  retrain.config.yaml   the ${model.name} model: data, commands, validation, trigger and promotion policy, schedule`,
          `  model/                the training and evaluation commands (${language === 'python' ? 'scikit-learn; needs pandas and scikit-learn on python3' : 'plain Node.js'}; the contract: README, "Training and evaluation")`,
          dataNote,
          'next:',
          ...(where && where !== '.' ? [`  cd ${where.startsWith('..') ? root : where}`] : []),
          '  npx retrain config validate',
          '  npx retrain dev                # local Temporal server + worker + schedules; Web UI link printed',
          `  npx retrain run ${model.name}${' '.repeat(Math.max(1, 15 - model.name.length))}# in another terminal: retrain once and show each step`,
        ].join('\n'),
      );
    });
}
