import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { TRIGGER_REASONS } from '../policy/trigger-reasons.js';
import { ConfigError, GatewayRefusal, RetrainError, TemporalUnavailable } from '../errors.js';
import { controllerStatus, sendTrigger } from '../client/controller.js';
import { jsonBytes, TRIGGER_LIMITS } from '../triggers/trigger-limits.js';
import { ReplayCache } from './replay-cache.js';
import { deliveryId, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify } from './signature.js';
import { GITHUB_DELIVERY_HEADER, GITHUB_EVENT_HEADER, GITHUB_SIGNATURE_HEADER, githubTriggers, verifyGithubSignature, type GithubWatch } from './github.js';

export interface GatewayOptions {
  client: Client;
  /** Models the config defines; anything else is a 404 that never reaches Temporal. */
  models: readonly string[];
  secret: string;
  taskQueue: string;
  toleranceSeconds?: number;
  maxBodyBytes?: number;
  now?: () => number;
  log?: (line: string) => void;
  /** GitHub webhooks at POST /v1/github, verified with the webhook's own secret; off when absent. */
  github?: { secret: string; watches: Record<string, GithubWatch> };
  /** Signatures remembered in this process (the controller dedupes beyond it). */
  replayCacheSize?: number;
}

/** GitHub sends whole push payloads (up to 25 MB); only a few fields are read, and triggers stay small. */
const GITHUB_BODY_LIMIT = 5 * 1024 * 1024;

const triggerBody = z.strictObject({
  reason: z.enum(TRIGGER_REASONS),
  source: z.string().min(1).max(TRIGGER_LIMITS.sourceChars),
  details: z.record(z.string(), z.unknown()).optional(),
  idempotency_key: z.string().min(1).max(TRIGGER_LIMITS.idempotencyKeyChars).optional(),
  force: z.boolean().optional(),
});

const TRIGGERS = /^\/v1\/models\/([^/]+)\/triggers$/;
const STATUS = /^\/v1\/models\/([^/]+)\/status$/;

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new GatewayRefusal(413, 'body_too_large', `body over ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new GatewayRefusal(413, 'body_too_large', `body over ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * `POST /v1/models/{model}/triggers`, `GET /v1/models/{model}/status`, `GET /healthz`.
 * Every request but /healthz must be signed (see signature.ts); every refusal is a JSON error
 * with a reason and is decided before anything reaches Temporal.
 */
export function createGateway(opts: GatewayOptions): Server {
  const tolerance = opts.toleranceSeconds ?? 300;
  // NaN would make every timestamp "within tolerance" and disable replay protection.
  if (!Number.isInteger(tolerance) || tolerance < 1 || tolerance > 3600) {
    throw new ConfigError(`gateway tolerance: expected whole seconds between 1 and 3600, got ${String(opts.toleranceSeconds)}`);
  }
  const limit = opts.maxBodyBytes ?? 64 * 1024;
  const now = opts.now ?? Date.now;
  const models = new Set(opts.models);
  const replays = new ReplayCache(opts.replayCacheSize);

  const modelFrom = (raw: string): string => {
    let name: string;
    try {
      name = decodeURIComponent(raw);
    } catch {
      throw new GatewayRefusal(404, 'unknown_model', 'unknown model');
    }
    if (!models.has(name)) throw new GatewayRefusal(404, 'unknown_model', `unknown model ${JSON.stringify(name.slice(0, 64))}`);
    return name;
  };

  const authenticate = (req: IncomingMessage, body: Buffer) => {
    const header = (h: string) => (Array.isArray(req.headers[h]) ? req.headers[h][0] : req.headers[h]) as string | undefined;
    const verdict = verify({
      secret: opts.secret,
      timestamp: header(TIMESTAMP_HEADER),
      signature: header(SIGNATURE_HEADER),
      body,
      nowSeconds: Math.floor(now() / 1000),
      toleranceSeconds: tolerance,
    });
    if (!verdict.ok) throw new GatewayRefusal(401, 'unauthorized', verdict.reason);
    return Number(header(TIMESTAMP_HEADER));
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://gateway');
    } catch {
      throw new GatewayRefusal(400, 'bad_request', 'the request target is not a valid URL path');
    }
    if (url.pathname === '/healthz') {
      if (req.method !== 'GET') throw new GatewayRefusal(405, 'method_not_allowed', 'use GET');
      return send(res, 200, { ok: true });
    }
    if (url.pathname === '/v1/github') return handleGithub(req, res);
    const trigger = TRIGGERS.exec(url.pathname);
    const status = STATUS.exec(url.pathname);
    if (!trigger && !status) throw new GatewayRefusal(404, 'not_found', `no route ${url.pathname.slice(0, 100)}`);
    if (trigger && req.method !== 'POST') throw new GatewayRefusal(405, 'method_not_allowed', 'use POST');
    if (status && req.method !== 'GET') throw new GatewayRefusal(405, 'method_not_allowed', 'use GET');
    const body = await readBody(req, limit);
    const timestamp = authenticate(req, body);
    const model = modelFrom((trigger ?? status)![1]!);

    if (status) {
      const s = await controllerStatus(opts.client, model).catch((err: unknown) => {
        throw new TemporalUnavailable(err);
      });
      return send(res, 200, s ?? { model, phase: 'not started' });
    }
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      throw new GatewayRefusal(400, 'invalid_json', 'body is not valid JSON');
    }
    const parsed = triggerBody.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new GatewayRefusal(400, 'invalid_body', `${issue.path.join('.') || '(body)'}: ${issue.message}`);
    }
    const t = parsed.data;
    if (t.details) {
      const bytes = jsonBytes(t.details);
      if (bytes > TRIGGER_LIMITS.detailsBytes) throw new GatewayRefusal(413, 'details_too_large', `details: ${bytes} bytes as JSON, at most ${TRIGGER_LIMITS.detailsBytes}`);
    }
    // A replay of this exact signed request (same timestamp and body) has the same delivery id.
    const delivery = deliveryId(opts.secret, timestamp, body);
    const expiresAt = (timestamp + tolerance) * 1000;
    if (!replays.claim(delivery, expiresAt, now())) throw new GatewayRefusal(409, 'replayed', 'this signed request was already accepted; sign a new one (new timestamp) to send again');
    let sent: Awaited<ReturnType<typeof sendTrigger>>;
    try {
      sent = await sendTrigger(opts.client, {
        model,
        taskQueue: opts.taskQueue,
        trigger: {
          reason: t.reason,
          source: t.source,
          ...(t.details ? { details: t.details } : {}),
          ...(t.idempotency_key ? { idempotencyKey: t.idempotency_key } : {}),
          ...(t.force ? { force: true } : {}),
          deliveryId: delivery,
          deliveryExpiresAt: new Date(expiresAt).toISOString(),
        },
      });
    } catch (err) {
      replays.release(delivery);
      if (err instanceof RetrainError) throw new GatewayRefusal(400, 'invalid_body', err.message);
      throw new TemporalUnavailable(err);
    }
    opts.log?.(`trigger ${t.reason} from ${t.source} → ${sent.controllerId} (delivery ${delivery.slice(0, 12)})`);
    send(res, 202, { accepted: true, model, controllerId: sent.controllerId, idempotencyKey: t.idempotency_key ?? null, deliveryId: delivery });
  }

  async function handleGithub(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!opts.github) throw new GatewayRefusal(404, 'not_found', 'GitHub webhooks are not enabled (set RETRAIN_GITHUB_SECRET)');
    if (req.method !== 'POST') throw new GatewayRefusal(405, 'method_not_allowed', 'use POST');
    const body = await readBody(req, GITHUB_BODY_LIMIT);
    const header = (h: string) => (Array.isArray(req.headers[h]) ? req.headers[h][0] : req.headers[h]) as string | undefined;
    if (!verifyGithubSignature(opts.github.secret, body, header(GITHUB_SIGNATURE_HEADER))) {
      throw new GatewayRefusal(401, 'unauthorized', `missing or wrong ${GITHUB_SIGNATURE_HEADER}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      throw new GatewayRefusal(400, 'invalid_json', 'body is not valid JSON (set the webhook content type to application/json)');
    }
    let outcome;
    try {
      outcome = githubTriggers(header(GITHUB_EVENT_HEADER), json, opts.github.watches);
    } catch (err) {
      throw new GatewayRefusal(400, 'invalid_body', (err as Error).message);
    }
    const delivery = header(GITHUB_DELIVERY_HEADER)?.slice(0, 64) ?? null;
    if (outcome.kind === 'ping') return send(res, 200, { ok: true, event: 'ping', delivery });
    if (outcome.kind === 'ignored') return send(res, 202, { accepted: [], ignored: [outcome.reason], delivery });
    const accepted = [];
    for (const t of outcome.triggers) {
      const sent = await sendTrigger(opts.client, { model: t.model, taskQueue: opts.taskQueue, trigger: t.trigger }).catch((err: unknown) => {
        throw err instanceof RetrainError ? new GatewayRefusal(400, 'invalid_body', err.message) : new TemporalUnavailable(err);
      });
      opts.log?.(`github push ${String(t.trigger.details?.commit).slice(0, 12)} → ${sent.controllerId}`);
      accepted.push({ model: t.model, controllerId: sent.controllerId, idempotencyKey: t.trigger.idempotencyKey });
    }
    send(res, 202, { accepted, ignored: outcome.ignored, delivery });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof GatewayRefusal) {
        opts.log?.(`refused ${req.method} ${req.url?.slice(0, 100)}: ${err.status} ${err.message}`);
        return send(res, err.status, { error: { code: err.code, reason: err.message } });
      }
      if (err instanceof TemporalUnavailable) {
        opts.log?.(`error on ${req.method} ${req.url?.slice(0, 100)}: ${(err.cause as Error)?.message}`);
        return send(res, 502, { error: { code: 'temporal_unavailable', reason: 'could not reach Temporal; retry later' } });
      }
      // An aborted upload or a bug: never a crash, never a detail of the failure to the caller.
      opts.log?.(`internal error on ${req.method} ${req.url?.slice(0, 100)}: ${(err as Error)?.message}`);
      send(res, req.destroyed ? 400 : 500, { error: { code: req.destroyed ? 'aborted' : 'internal_error', reason: 'the request could not be handled' } });
    });
  });
  // Requests Node's HTTP parser refuses (bad method token, header syntax, oversized headers) get a JSON error too.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // A response already under way for this socket cannot be replaced by a well-formed one: close.
    const inFlight = (socket as unknown as { _httpMessage?: unknown })._httpMessage;
    if (!socket.writable || inFlight) return socket.destroy();
    const text = JSON.stringify({ error: { code: 'bad_request', reason: `malformed HTTP request (${err.code ?? 'parse error'})` } });
    socket.end(`HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`);
  });
  return server;
}

