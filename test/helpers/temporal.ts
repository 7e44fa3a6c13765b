import { existsSync, readFileSync } from 'node:fs';
import { after } from 'node:test';
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode, type NativeConnection, type Worker } from '@temporalio/worker';
import { defaultDeps, type ActivityDeps } from '../../src/activities/deps.js';
import { connectClient, connectNative, resolveTemporal, type TemporalTarget } from '../../src/temporal/connection.js';
import { startDevServer } from '../../src/temporal/dev-server.js';
import { installRuntime } from '../../src/temporal/runtime.js';
import { createWorker, WORKFLOWS_PATH } from '../../src/worker.js';

export interface TestTemporal {
  target: TemporalTarget;
  client: Client;
  connection: NativeConnection;
  bundle: { code: string };
}

let shared: Promise<TestTemporal> | undefined;
const closers: (() => Promise<void>)[] = [];
// Registered at import, so it runs once after the whole file rather than after the first test.
after(async () => {
  for (const close of closers) await close();
});

/**
 * The dev server `npm test` started (TEMPORAL_ADDRESS), or one of our own when a file runs alone.
 * Workflows come from the bundle `npm test` built once.
 */
export function testTemporal(): Promise<TestTemporal> {
  shared ??= (async () => {
    installRuntime('ERROR');
    let owned: Awaited<ReturnType<typeof startDevServer>> | undefined;
    if (!process.env.TEMPORAL_ADDRESS) {
      owned = await startDevServer({ headless: true, port: 0 });
      process.env.TEMPORAL_ADDRESS = owned.address;
    }
    const target = await resolveTemporal({ stateDir: '.retrain', start: false });
    const bundleFile = process.env.RETRAIN_TEST_BUNDLE;
    const bundle = bundleFile && existsSync(bundleFile)
      ? { code: readFileSync(bundleFile, 'utf8') }
      : { code: (await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH })).code };
    const env = { target, client: await connectClient(target), connection: await connectNative(target), bundle };
    closers.push(async () => {
      await env.connection.close();
      await env.client.connection.close();
      await owned?.stop();
    });
    return env;
  })();
  return shared;
}

/** A worker on a fresh task queue for one test, shut down when `fn` settles. */
export async function withWorker<T>(
  deps: ActivityDeps,
  fn: (ctx: { client: Client; taskQueue: string; worker: Worker }) => Promise<T>,
): Promise<T> {
  const t = await testTemporal();
  const taskQueue = `test-${randomUUID()}`;
  const worker = await createWorker({ connection: t.connection, namespace: t.target.namespace, taskQueue, deps, workflowBundle: t.bundle });
  try {
    return await worker.runUntil(fn({ client: t.client, taskQueue, worker }));
  } catch (err) {
    // runUntil wraps the test's own failure; show the assertion, not the wrapper.
    throw (err as Error).name === 'CombinedWorkerRunError' ? ((err as Error).cause ?? err) : err;
  }
}

export { defaultDeps };
