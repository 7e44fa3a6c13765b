import assert from 'node:assert/strict';
import { connect, type AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { rng as seededRandom } from '../../examples/churn/random.js';
import { createGateway } from '../../src/gateway/server.js';
import { sign } from '../../src/gateway/signature.js';
import { triggerProblem } from '../../src/triggers/trigger-limits.js';
import type { TriggerRequest } from '../../src/workflows/types.js';

/**
 * Random and mutated requests against a gateway whose Temporal client is a fake that records
 * every call. Seeded: a failure prints its seed and request number; rerun with
 * GATEWAY_FUZZ_SEED=<seed> to reproduce. Bounded by a request count, not by time.
 */
const SEED = Number(process.env.GATEWAY_FUZZ_SEED ?? 20261201);
const REQUESTS = Number(process.env.GATEWAY_FUZZ_REQUESTS ?? 3000);
const secret = 'fuzz-secret-0123456789abcdef';

/** The example data's seeded PRNG, with uniform picks for requests. */
function rng(seed: number) {
  const { next } = seededRandom(seed);
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  return { next, int, pick, chance: (p: number) => next() < p };
}

type Fake = { triggers: TriggerRequest[]; queries: number; failNext: boolean };

function fakeClient(fake: Fake): Client {
  return {
    workflow: {
      signalWithStart: async (_wf: unknown, opts: { workflowId: string; signalArgs: [TriggerRequest] }) => {
        if (fake.failNext) throw new Error('14 UNAVAILABLE: connection refused');
        fake.triggers.push(opts.signalArgs[0]);
        return { workflowId: opts.workflowId, signaledRunId: 'run-1' };
      },
      getHandle: () => ({
        query: async () => {
          if (fake.failNext) throw new Error('14 UNAVAILABLE: connection refused');
          fake.queries++;
          return { model: 'churn', phase: 'idle', counters: {} };
        },
      }),
    },
  } as unknown as Client;
}

const UNICODE = ['é', 'ünï', '模型', '🚀', '\u0000', '\ud800', '\u202e', 'a\nb', '"', '\\', '%', '\uffff'];
const REASONS = ['new_data', 'drift_alert', 'manual', 'schedule', 'performance_alert', 'business_change', 'because', '', 'NEW_DATA'];

function randomString(r: ReturnType<typeof rng>, max: number): string {
  const n = r.int(max + 1);
  let s = '';
  for (let i = 0; i < n; i++) s += r.chance(0.2) ? r.pick(UNICODE) : String.fromCharCode(32 + r.int(95));
  return s;
}

function randomValue(r: ReturnType<typeof rng>, depth = 0): unknown {
  switch (r.int(depth > 3 ? 5 : 8)) {
    case 0: return null;
    case 1: return r.chance(0.5);
    case 2: return r.pick([0, -1, 1e308, Number.MAX_SAFE_INTEGER, 3.14]);
    case 3: return randomString(r, 30);
    case 4: return r.pick(UNICODE);
    case 5: return Array.from({ length: r.int(4) }, () => randomValue(r, depth + 1));
    default: return Object.fromEntries(Array.from({ length: r.int(4) }, () => [randomString(r, 8), randomValue(r, depth + 1)]));
  }
}

/** A body: mostly a trigger with a few mutations, sometimes garbage. */
function randomBody(r: ReturnType<typeof rng>): string {
  const roll = r.int(20);
  if (roll === 0) return '';
  if (roll === 1) return randomString(r, 200);
  if (roll === 2) return '{"reason":"new_data","source":"x"'; // truncated
  if (roll === 3) return '['.repeat(5000) + ']'.repeat(5000); // deep nesting
  if (roll === 4) return JSON.stringify({ reason: 'new_data', source: 's', details: { blob: 'x'.repeat(r.pick([8000, 8200, 70_000])) } });
  if (roll === 5) return JSON.stringify({ reason: 'new_data', source: 's', details: nest(r.pick([100, 3000])) });
  if (roll === 6) return '{"__proto__":{"force":true},"reason":"manual","source":"p"}';
  if (roll === 7) return JSON.stringify(randomValue(r));
  const body: Record<string, unknown> = { reason: r.pick(REASONS.slice(0, 6)), source: r.pick(['airflow', 'dbt', 's3', 'ünï-模型']) };
  if (r.chance(0.3)) body.details = { partition: '2026-03-15', n: r.int(1000) };
  if (r.chance(0.3)) body.idempotency_key = `k-${r.int(50)}`;
  if (r.chance(0.2)) body.force = true;
  const mutations = r.int(3);
  for (let i = 0; i < mutations; i++) {
    const field = r.pick(['reason', 'source', 'details', 'idempotency_key', 'force', 'extra', 'requestId', 'deliveryId']);
    if (r.chance(0.3)) delete body[field];
    else if (field === 'source' || field === 'idempotency_key') body[field] = r.chance(0.5) ? randomString(r, 250) : 'x'.repeat(r.pick([200, 201]));
    else body[field] = r.chance(0.5) ? randomValue(r) : r.pick(REASONS);
  }
  const text = JSON.stringify(body);
  return r.chance(0.05) ? text.replace(/.$/, '') : r.chance(0.05) ? ` \n${text}\n ` : text;
}

function nest(depth: number): unknown {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = { d: v };
  return v;
}

const PATHS = ['/v1/models/churn/triggers', '/v1/models/churn/triggers', '/v1/models/%C3%BCn%C3%AF/triggers', '/v1/models/churn/status', '/healthz',
  '/v1/models/nope/triggers', '/v1/models/%E0%A4%A/triggers', '/v1/models//triggers', '/v1/models/churn/triggers/', '//v1/models/churn/triggers',
  '/v1/models/churn/triggers?x=1', '/v1/models/churn%2Ftriggers', '/', '/v1/models/' + 'a'.repeat(3000) + '/triggers', '/v1/models/churn/../churn/triggers'];
const METHODS = ['POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'];

interface Sent { method: string; path: string; body: string; headers: Record<string, string>; clean: boolean }

function randomRequest(r: ReturnType<typeof rng>, nowS: number): Sent {
  // Four in ten are well-formed trigger POSTs, so the body mutations reach validation and acceptance.
  const wellFormed = r.chance(0.4);
  const method = wellFormed ? 'POST' : r.pick(METHODS);
  const path = wellFormed ? PATHS[0]! : r.pick(PATHS);
  const body = method === 'GET' || method === 'HEAD' ? (r.chance(0.9) ? '' : 'x') : randomBody(r);
  const ts = wellFormed || r.chance(0.9) ? nowS + r.int(20) - 10 : r.pick([nowS - 301, nowS + 400, 0]);
  let signature = sign(secret, ts, body);
  const headerMode = wellFormed ? 7 + r.int(5) : r.int(12);
  if (headerMode === 0) signature = sign('wrong-secret-wrong-secret', ts, body);
  else if (headerMode === 1) signature = sign(secret, ts, body + ' ');
  else if (headerMode === 2) signature = `v1=${'0'.repeat(64)}, ${signature}`;
  else if (headerMode === 3) signature = randomString(r, 80).replace(/[^\x20-\x7e]/g, '');
  const headers: Record<string, string> = { 'content-type': r.chance(0.9) ? 'application/json' : 'text/plain' };
  if (headerMode !== 4) headers['x-retrain-timestamp'] = headerMode === 5 ? r.pick(['1e9', '-5', 'now', ' 17', '99999999999999']) : String(ts);
  if (headerMode !== 6) headers['x-retrain-signature'] = signature;
  const clean = method === 'POST' && path === '/v1/models/churn/triggers' && headerMode > 6 && Math.abs(ts - nowS) < 300;
  return { method, path, body, headers, clean };
}

/** A request Node's parser must refuse, written to a raw socket. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => s.end(text));
    let out = '';
    s.on('data', (d) => (out += d.toString('latin1')));
    s.on('close', () => resolve(out));
    s.on('error', () => resolve(out));
  });
}

describe('gateway fuzz (seeded; a fake Temporal client records every call)', () => {
  it(`${REQUESTS} random and mutated requests: no crash, typed JSON answers, nothing refused reaches Temporal, replays refused`, async (t) => {
    t.diagnostic(`seed ${SEED} (GATEWAY_FUZZ_SEED to reproduce)`);
    const r = rng(SEED);
    const fake: Fake = { triggers: [], queries: 0, failNext: false };
    const server = createGateway({ client: fakeClient(fake), models: ['churn', 'ünï'], secret, taskQueue: 'fuzz' });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const port = (server.address() as AddressInfo).port;
    const base = `http://127.0.0.1:${port}`;
    const accepted: Sent[] = [];
    const counts: Record<number, number> = {};
    let okStatus = 0;
    try {
      for (let i = 0; i < REQUESTS; i++) {
        const nowS = Math.floor(Date.now() / 1000);
        // Some requests replay an earlier accepted one byte for byte.
        const replay = accepted.length > 0 && r.chance(0.08);
        const req = replay ? r.pick(accepted) : randomRequest(r, nowS);
        fake.failNext = !replay && r.chance(0.03);
        let before = fake.triggers.length;
        const queriesBefore = fake.queries;
        const where = `request #${i} (seed ${SEED}): ${req.method} ${req.path.slice(0, 60)} ${req.body.slice(0, 120)}`;
        const res = await fetch(base + req.path, { method: req.method, headers: req.headers, ...(req.method === 'GET' || req.method === 'HEAD' ? {} : { body: req.body }) });
        const text = await res.text();
        counts[res.status] = (counts[res.status] ?? 0) + 1;
        assert.ok([200, 202, 400, 401, 404, 405, 409, 413, 502].includes(res.status), `${where}: status ${res.status} ${text}`);
        if (req.method !== 'HEAD') {
          const json = JSON.parse(text) as { error?: { code: unknown; reason: unknown }; accepted?: boolean; deliveryId?: string };
          if (res.status >= 400) {
            assert.equal(typeof json.error?.code, 'string', `${where}: ${text}`);
            assert.equal(typeof json.error?.reason, 'string', `${where}: ${text}`);
          }
          if (res.status === 202) assert.equal(json.accepted, true, where);
        }
        if (res.status === 502) {
          assert.ok(fake.failNext, `${where}: 502 without a Temporal failure`);
          if (req.method === 'POST') {
            // A delivery that failed is not remembered: the sender's retry of the same signed request goes through.
            fake.failNext = false;
            const retry = await fetch(base + req.path, { method: req.method, headers: req.headers, body: req.body });
            assert.equal(retry.status, 202, `${where}: retry after 502: ${await retry.text()}`);
            accepted.push(req);
            fake.failNext = true;
            before++; // the accounting below is about the first attempt, which reached nothing
          }
        }
        // Exactly the accepted requests reached Temporal, and only GET status reads it otherwise.
        assert.equal(fake.triggers.length - before, res.status === 202 ? 1 : 0, `${where}: ${res.status} ${text}`);
        if (res.status !== 200 || !req.path.includes('/status')) assert.equal(fake.queries, queriesBefore, `${where}: a refused request queried Temporal`);
        if (res.status === 200 && req.path.includes('/status')) okStatus++;
        if (replay) assert.equal(res.status, 409, `${where}: a replay was not refused`);
        if (res.status === 202) accepted.push(req);
        if (req.clean && !fake.failNext && res.status !== 202) {
          // A well-formed request may still be refused for its body, never for anything else.
          assert.ok([400, 409, 413].includes(res.status), `${where}: clean request refused ${res.status} ${text}`);
        }
      }
      for (const trig of fake.triggers) assert.equal(triggerProblem(trig), null, `a trigger outside the limits reached Temporal: ${JSON.stringify(trig).slice(0, 200)}`);
      assert.equal(new Set(fake.triggers.map((x) => x.deliveryId)).size, fake.triggers.length, 'each accepted delivery is distinct');
      assert.ok(fake.triggers.length > REQUESTS / 20, `the fuzzer reached acceptance (${fake.triggers.length} accepted)`);
      assert.ok(okStatus > 0 && (counts[409] ?? 0) > 0 && (counts[413] ?? 0) > 0 && (counts[401] ?? 0) > 0);

      // Requests the HTTP parser itself refuses still get a JSON error, and the server keeps serving.
      for (const raw of ['GARBAGE\r\n\r\n', 'POST /v1/models/churn/triggers HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', `GET /healthz HTTP/1.1\r\nX: ${'a'.repeat(20_000)}\r\n\r\n`, 'GET /healthz HTTP/1.1\r\nBad Header\r\n\r\n', 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n']) {
        const out = await rawRequest(port, raw);
        assert.match(out, /^HTTP\/1\.1 4\d\d /, `raw ${JSON.stringify(raw.slice(0, 40))}: ${out.slice(0, 100)}`);
        // The first response only: a refused chunk after a complete request adds a second one.
        const length = Number(/content-length: (\d+)/i.exec(out)?.[1] ?? 0);
        const json = out.slice(out.indexOf('\r\n\r\n') + 4).slice(0, length);
        // Node answers a bad chunk inside a request it already parsed with its own empty 400.
        if (/content-type: application\/json/i.test(out)) assert.equal(typeof (JSON.parse(json) as { error: { code: string } }).error.code, 'string', out);
      }
      assert.equal((await fetch(`${base}/healthz`)).status, 200, 'still serving');
      t.diagnostic(`statuses ${JSON.stringify(counts)}; ${fake.triggers.length} triggers reached the fake client`);
    } finally {
      server.close();
    }
  });
});
