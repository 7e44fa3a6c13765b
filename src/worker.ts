import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { NativeConnection} from '@temporalio/worker';
import { Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from './activities/index.js';
import { defaultDeps, type ActivityDeps } from './activities/deps.js';
import { configPathFromEnv, loadConfig } from './config/load.js';
import { connectNative, resolveTemporal } from './temporal/connection.js';
import { taskQueue } from './temporal/task-queues.js';
import { installRuntime } from './temporal/runtime.js';
import { stopOnSignals } from './process-signals.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));

export interface CreateWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue?: string;
  deps: ActivityDeps;
  workflowBundle?: WorkerOptions['workflowBundle'];
}

/** Workflows and activities on one task queue; `workflowBundle` lets tests bundle once. */
export function createWorker(opts: CreateWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue ?? taskQueue(),
    activities: createActivities(opts.deps),
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
  });
}

/** `tsx src/worker.ts`: connects to TEMPORAL_ADDRESS or the running embedded server; stops on SIGINT/SIGTERM. */
export async function runWorker(): Promise<void> {
  installRuntime();
  const configFile = configPathFromEnv();
  const config = loadConfig(configFile);
  const target = await resolveTemporal({ stateDir: config.stateDir, start: false });
  const connection = await connectNative(target);
  await (await import('./temporal/provision.js')).assertSearchAttributes(target, connection); // fail now, naming `retrain setup`
  // A prebuilt bundle (RETRAIN_WORKFLOW_BUNDLE) makes restarts fast: no webpack run per worker start.
  const bundleFile = process.env.RETRAIN_WORKFLOW_BUNDLE;
  const workflowBundle = bundleFile ? { code: readFileSync(bundleFile, 'utf8') } : undefined;
  const worker = await createWorker({ connection, namespace: target.namespace, deps: defaultDeps(configFile), ...(workflowBundle ? { workflowBundle } : {}) });
  process.stderr.write(`worker polling task queue "${taskQueue()}" on ${target.address} (config ${configFile})\n`);
  stopOnSignals(() => worker.shutdown());
  await worker.run();
  await connection.close();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  runWorker().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  });
}
