import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { PROJECT_ROOT } from '../../src/temporal/cli-binary.js';
import { WORKFLOWS_PATH } from '../../src/worker.js';

/** The workflow bundle `npm test` built, or one built now, as a file spawned workers can load. */
export async function bundleFileForSpawnedWorkers(): Promise<string> {
  const fromTestRun = process.env.RETRAIN_TEST_BUNDLE;
  if (fromTestRun && existsSync(fromTestRun)) return fromTestRun;
  const file = path.join(PROJECT_ROOT, '.retrain', 'test', 'workflow-bundle.js');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, (await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: undefined as never })).code);
  return file;
}
