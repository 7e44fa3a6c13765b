import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { controllerStatus } from '../../src/client/controller.js';

/** Polls `fn` until it returns something truthy (errors count as "not yet"), or fails after `timeoutMs`. */
export async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 5 * 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** As `until`, but an error from `fn` fails at once (a broken query should not look like "not yet"). */
export async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 8 * 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

/** Waits until the model's controller has finished `runs` pipeline runs and is idle again. */
export const settled = (client: Client, model: string, runs: number) =>
  waitFor(`${runs} finished run(s) of ${model}`, async () => {
    const s = await controllerStatus(client, model);
    return s && s.recent.length >= runs && s.phase === 'idle' ? s : null;
  });
