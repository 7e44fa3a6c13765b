import type { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { defaultDeps } from './activities/deps.js';
import { loadConfig, type LoadedConfig } from './config/load.js';
import { applySchedules } from './client/schedules.js';
import { connectClient, connectNative, resolveTemporal, type TemporalTarget } from './temporal/connection.js';
import { taskQueue } from './temporal/task-queues.js';
import { createWorker, workflowCode } from './worker.js';

export interface DevStack {
  config: LoadedConfig;
  target: TemporalTarget;
  client: Client;
  /** Resolves when the worker stops (Ctrl-C). */
  running: Promise<void>;
  /** Asks the worker to finish what it holds and stop. */
  shutdown(): void;
  close(): Promise<void>;
}

/**
 * Everything on one machine: the embedded dev server (started or reused), a worker, and the
 * config's schedules applied. `npm start` and `retrain dev` both use it.
 */
export async function startDevStack(configFile: string, say: (line: string) => void): Promise<DevStack> {
  const config = loadConfig(configFile);
  const target = await resolveTemporal({ stateDir: config.stateDir, start: true, progress: say });
  if (target.uiUrl) say(`Temporal Web UI: ${target.uiUrl}`);
  const connection: NativeConnection = await connectNative(target);
  const workflowBundle = workflowCode();
  const worker = await createWorker({ connection, namespace: target.namespace, deps: defaultDeps(configFile), ...(workflowBundle ? { workflowBundle } : {}) });
  const running = worker.run();
  const client = await connectClient(target);
  for (const c of await applySchedules(client, config, { taskQueue: taskQueue() })) {
    if (c.change !== 'unchanged') say(`schedule ${c.scheduleId}: ${c.change} (${c.detail})`);
  }
  say(`worker polling task queue "${taskQueue()}" on ${target.address}`);
  return {
    config,
    target,
    client,
    running,
    shutdown: () => worker.shutdown(),
    async close() {
      await client.connection.close();
      await connection.close();
      await target.owned?.stop();
    },
  };
}
