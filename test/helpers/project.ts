import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { generate } from '../../examples/churn/generate.js';
import { PROJECT_ROOT } from '../../src/temporal/cli-binary.js';

export const TSX_NODE = [process.execPath, '--import', 'tsx'];
export const TRAIN = [...TSX_NODE, 'examples/churn/train.ts'];
export const EVALUATE = [...TSX_NODE, 'examples/churn/evaluate.ts'];
export const fixtureCommand = (name: string) => [process.execPath, path.join(PROJECT_ROOT, 'test/fixtures/commands', name)];

export interface TestProject {
  model: string;
  dir: string;
  configFile: string;
  dataDir: string;
  writeConfig(model?: Record<string, unknown>): void;
}

/**
 * A temp folder with churn data and a config for one model (default "churn"); `overrides` merge
 * into the model. Tests that start controllers or schedules use their own model name, because
 * those ids are unique per Temporal namespace.
 */
export async function makeProject(overrides: Record<string, unknown> = {}, rows = 1500, model = 'churn'): Promise<TestProject> {
  const dir = mkdtempSync(path.join(tmpdir(), 'retrain-test-'));
  const dataDir = path.join(dir, 'data');
  await generate({ rows, seed: 1, shift: 0, out: path.join(dataDir, 'current.csv') });
  await generate({ rows: 1000, seed: 2, shift: 0, out: path.join(dataDir, 'eval.csv'), startId: 1_000_001 });
  const configFile = path.join(dir, 'retrain.config.yaml');
  const project: TestProject = {
    model,
    dir,
    configFile,
    dataDir,
    writeConfig(changes = overrides) {
      const base = {
        data: { current: 'data/current.csv', evaluation: 'data/eval.csv', target: 'churned' },
        train: { command: TRAIN, workdir: PROJECT_ROOT, params: { epochs: 150 } },
        evaluate: { command: EVALUATE, workdir: PROJECT_ROOT },
        validation: { minRows: 100, columns: { tenure_months: { type: 'integer', min: 0 } } },
        promotion: { metric: 'auc', floor: 0.55 },
        steps: fastSteps,
      };
      writeFileSync(configFile, stringify({ version: 1, dataRoots: ['.'], stateDir: '.retrain', models: { [model]: deepMerge(base, changes) } }));
    },
  };
  project.writeConfig();
  return project;
}

const quickRetry = { maximumAttempts: 3, initialInterval: '100ms', maximumInterval: '1s' };
// Generous timeouts: a loaded 2-core CI machine must not turn slowness into retries.
const fastSteps = {
  check: { timeout: '5m', retry: quickRetry },
  validate: { timeout: '5m', retry: quickRetry },
  train: { timeout: '10m', heartbeatTimeout: '1m', retry: quickRetry },
  evaluate: { timeout: '10m', heartbeatTimeout: '1m', retry: quickRetry },
  register: { timeout: '5m', retry: quickRetry },
  promote: { timeout: '5m', retry: quickRetry },
};

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' && !Array.isArray(cur)
      ? deepMerge(cur as Record<string, unknown>, v as Record<string, unknown>)
      : v;
  }
  return out;
}
