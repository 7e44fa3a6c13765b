import path from 'node:path';
import { writeRunRecord, type RunRecord } from '../audit/audit-log.js';
import { codeVersion } from '../lineage/git.js';
import type { ActivityDeps } from './deps.js';

export function createAuditSteps(deps: ActivityDeps) {
  return {
    /** Writes the run's audit record, with the code version read now (git commit, or RETRAIN_CODE_VERSION). */
    async recordRun(record: RunRecord): Promise<string> {
      const config = deps.config();
      const model = config.models[record.model];
      const dirs = [config.dir, ...(model ? [model.train.workdir, model.evaluate.workdir].map((w) => path.resolve(config.dir, w)) : [])];
      const code = await codeVersion(dirs);
      return writeRunRecord(config.stateDir, { ...record, codeVersion: record.codeVersion ?? code.label, code: code.repos });
    },
  };
}
