import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { execaSync } from 'execa';
import { defaultDeps } from '../../src/activities/deps.js';
import { PROJECT_ROOT, TOOLS_DIR } from '../../src/temporal/cli-binary.js';
import { retrainPipeline } from '../../src/workflows/index.js';
import { makeProject } from '../helpers/project.js';
import { withWorker } from '../helpers/temporal.js';

const python = path.join(TOOLS_DIR, 'py', 'bin', 'python');
const hasSklearn =
  existsSync(python) && execaSync(python, ['-c', 'import sklearn, pandas'], { reject: false }).exitCode === 0;

describe('examples/python (scikit-learn) under the same contract', { skip: hasSklearn ? false : 'scikit-learn not installed (npm run setup installs it)' }, () => {
  it('trains, evaluates and promotes a scikit-learn model', async () => {
    const p = await makeProject({
      train: { command: [python, path.join(PROJECT_ROOT, 'examples/python/train.py')], params: { C: 1.0 } },
      evaluate: { command: [python, path.join(PROJECT_ROOT, 'examples/python/evaluate.py')] },
    });
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      const result = await client.workflow.execute(retrainPipeline, {
        taskQueue,
        workflowId: `retrain/churn/python-${Date.now()}`,
        args: [{ model: 'churn', triggers: [{ reason: 'manual', source: 'test' }] }],
      });
      assert.equal(result.outcome, 'promoted', result.reason);
      assert.ok(result.outcome === 'promoted' && result.metrics.candidate.auc! > 0.7);
    });
  });
});
