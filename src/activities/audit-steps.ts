import { writeRunRecord, type RunRecord } from '../audit/audit-log.js';
import type { ActivityDeps } from './deps.js';

export function createAuditSteps(deps: ActivityDeps) {
  return {
    /** Writes the run's audit record; the worker adds its code version. */
    async recordRun(record: RunRecord): Promise<string> {
      return writeRunRecord(deps.config().stateDir, { ...record, codeVersion: record.codeVersion ?? deps.codeVersion ?? null });
    },
  };
}
