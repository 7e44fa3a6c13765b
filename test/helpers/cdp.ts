import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from './browser.js';

/**
 * Headless Chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe: commands on fd 3, replies
 * on fd 4, each message JSON ending in a NUL byte), so a test can run a single-page app, read its DOM and take a
 * screenshot without a WebSocket client. Everything but loopback goes to a proxy on a closed port: the page can reach
 * the local server it is pointed at and nothing else.
 */
export interface Page {
  /** Navigates and waits for the load event. */
  goto(url: string): Promise<void>;
  /** Evaluates an expression in the page and returns its (JSON) value. */
  evaluate<T>(expression: string): Promise<T>;
  /** Polls `expression` until it is truthy; fails with `describe()`'s value after `timeoutMs`. */
  waitFor(expression: string, timeoutMs: number, describe?: string): Promise<void>;
  screenshot(): Promise<Buffer>;
  /** Console errors and uncaught exceptions the page reported. */
  errors: string[];
  close(): Promise<void>;
}

interface Reply {
  id?: number;
  method?: string;
  sessionId?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
}

export async function openPage(profileDir: string, size = { width: 1400, height: 900 }): Promise<Page> {
  const child: ChildProcess = spawn(
    chromium(),
    ['--headless', '--disable-gpu', '--no-sandbox', '--no-first-run', '--disable-extensions', '--proxy-server=127.0.0.1:9', `--user-data-dir=${profileDir}`, '--remote-debugging-pipe', '--hide-scrollbars', 'about:blank'],
    { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] },
  );
  const toBrowser = child.stdio[3] as Writable;
  const fromBrowser = child.stdio[4] as Readable;
  const pending = new Map<number, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  const listeners: ((m: Reply) => void)[] = [];
  let buffered = '';
  let nextId = 1;
  let exited = false;
  child.once('exit', () => {
    exited = true;
    for (const p of pending.values()) p.reject(new Error('chromium exited'));
  });
  fromBrowser.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let end: number;
    while ((end = buffered.indexOf('\0')) !== -1) {
      const message = JSON.parse(buffered.slice(0, end)) as Reply;
      buffered = buffered.slice(end + 1);
      if (message.id !== undefined) {
        const p = pending.get(message.id);
        pending.delete(message.id);
        if (message.error) p?.reject(new Error(message.error.message));
        else p?.resolve(message.result ?? {});
      } else {
        for (const l of listeners) l(message);
      }
    }
  });
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> => {
    if (exited) return Promise.reject(new Error('chromium exited'));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      toBrowser.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
    });
  };

  const { targetId } = (await send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
  const { sessionId } = (await send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
  const page = (method: string, params: Record<string, unknown> = {}) => send(method, params, sessionId);
  const errors: string[] = [];
  listeners.push((m) => {
    if (m.sessionId !== sessionId) return;
    if (m.method === 'Runtime.exceptionThrown') errors.push(JSON.stringify(m.params).slice(0, 500));
    if (m.method === 'Runtime.consoleAPICalled' && m.params?.type === 'error') errors.push(JSON.stringify(m.params.args).slice(0, 500));
  });
  await page('Page.enable');
  await page('Runtime.enable');
  await page('Emulation.setDeviceMetricsOverride', { ...size, deviceScaleFactor: 1, mobile: false });

  const evaluate = async <T>(expression: string): Promise<T> => {
    const r = (await page('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true })) as { result: { value?: T }; exceptionDetails?: unknown };
    if (r.exceptionDetails) throw new Error(`${expression}: ${JSON.stringify(r.exceptionDetails).slice(0, 500)}`);
    return r.result.value as T;
  };
  return {
    errors,
    async goto(url) {
      const loaded = new Promise<void>((resolve) => {
        const l = (m: Reply) => {
          if (m.sessionId === sessionId && m.method === 'Page.loadEventFired') {
            listeners.splice(listeners.indexOf(l), 1);
            resolve();
          }
        };
        listeners.push(l);
      });
      const r = (await page('Page.navigate', { url })) as { errorText?: string };
      if (r.errorText) throw new Error(`${url}: ${r.errorText}`);
      await loaded;
    },
    evaluate,
    async waitFor(expression, timeoutMs, describe = 'document.body?.innerText') {
      const deadline = Date.now() + timeoutMs;
      while (!(await evaluate<boolean>(`Boolean(${expression})`))) {
        if (Date.now() > deadline) throw new Error(`page never showed ${expression}; it shows: ${String(await evaluate(describe)).slice(0, 2000)}`);
        await sleep(250);
      }
    },
    async screenshot() {
      const { data } = (await page('Page.captureScreenshot', { format: 'png' })) as { data: string };
      return Buffer.from(data, 'base64');
    },
    async close() {
      if (exited) return;
      await send('Browser.close').catch(() => {});
      if (!exited) await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}
