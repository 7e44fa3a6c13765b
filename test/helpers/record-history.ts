import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';

/**
 * With RETRAIN_RECORD_HISTORIES=1, saves a finished run's history under test/replay/histories/
 * so the replay test can check that later code still replays it (see README, "Replay tests").
 */
export async function recordHistory(client: Client, workflowId: string, name: string): Promise<void> {
  if (process.env.RETRAIN_RECORD_HISTORIES !== '1') return;
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const file = path.resolve(import.meta.dirname, '../replay/histories', `${name}.json`);
  writeFileSync(file, JSON.stringify({ workflowId, history }, null, 1));
}
