import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
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
import { FROM_SOURCE, PACKAGE_ROOT } from './install-paths.js';
import { redact } from './redact.js';
import { ConfigError } from './errors.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL(`./workflows/index.${FROM_SOURCE ? 'ts' : 'js'}`, import.meta.url));
/** Built by `npm run build` (and so by `npm pack`): the installed package's workers start without webpack. */
export const PREBUILT_BUNDLE = path.join(PACKAGE_ROOT, 'dist', 'workflow-bundle.js');

/**
 * The workflow code a worker runs: RETRAIN_WORKFLOW_BUNDLE when set (tests, chaos scripts), the
 * package's prebuilt bundle when running the published build, otherwise bundled at start from source.
 */
export function workflowCode(env = process.env): WorkerOptions['workflowBundle'] | undefined {
  const file = env.RETRAIN_WORKFLOW_BUNDLE || (!FROM_SOURCE && existsSync(PREBUILT_BUNDLE) ? PREBUILT_BUNDLE : undefined);
  return file ? { code: readFileSync(file, 'utf8') } : undefined;
}

export interface CreateWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue?: string;
  deps: ActivityDeps;
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Workflows kept in memory between tasks (the sticky cache); the SDK's default sizes it by the heap. */
  maxCachedWorkflows?: number;
}

/**
 * RETRAIN_MAX_CACHED_WORKFLOWS: a fleet's worker holds thousands of idle controllers, each a few hundred KiB in the
 * sticky cache; a bound keeps the heap (and its garbage collection) small, at the cost of a replay when an evicted
 * controller wakes. Unset: the SDK's default.
 */
export function maxCachedWorkflowsFromEnv(env = process.env): number | undefined {
  const raw = env.RETRAIN_MAX_CACHED_WORKFLOWS;
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new ConfigError(`RETRAIN_MAX_CACHED_WORKFLOWS=${JSON.stringify(raw.slice(0, 40))}: expected a whole number of workflows, at least 1`);
  }
  return n;
}

/** Workflows and activities on one task queue; `workflowBundle` lets tests bundle once. */
export function createWorker(opts: CreateWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue ?? taskQueue(),
    activities: createActivities(opts.deps),
    ...(opts.maxCachedWorkflows ? { maxCachedWorkflows: opts.maxCachedWorkflows } : {}),
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
  });
}

/** `tsx src/worker.ts`: connects to TEMPORAL_ADDRESS or the running embedded server; stops on SIGINT/SIGTERM. */
export async function runWorker(): Promise<void> {
  installRuntime();
  const maxCachedWorkflows = maxCachedWorkflowsFromEnv(); // a typo fails before connecting
  const configFile = configPathFromEnv();
  const config = loadConfig(configFile);
  const target = await resolveTemporal({ stateDir: config.stateDir, start: false });
  const connection = await connectNative(target);
  try {
    await (await import('./temporal/provision.js')).assertSearchAttributes(target, connection); // fail now, naming `retrain setup`
  } catch (err) {
    // An open connection would keep the process alive after the error is printed.
    await connection.close();
    throw err;
  }
  const workflowBundle = workflowCode();
  const worker = await createWorker({ connection, namespace: target.namespace, deps: defaultDeps(configFile), ...(workflowBundle ? { workflowBundle } : {}), ...(maxCachedWorkflows ? { maxCachedWorkflows } : {}) });
  process.stderr.write(`worker polling task queue "${taskQueue()}" on ${target.address} (config ${configFile})\n`);
  stopOnSignals(() => worker.shutdown());
  await worker.run();
  await connection.close();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  runWorker().catch((err: unknown) => {
    process.stderr.write(`${redact((err as Error).message)}\n`);
    process.exit(1);
  });
}
