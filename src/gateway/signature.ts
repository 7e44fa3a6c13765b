import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Request signing, in the style of Slack's and Stripe's webhooks:
 *   X-Retrain-Timestamp: <unix seconds>
 *   X-Retrain-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 * The timestamp is inside the signed text, so an old request cannot be replayed with a new time.
 */
export const TIMESTAMP_HEADER = 'x-retrain-timestamp';
export const SIGNATURE_HEADER = 'x-retrain-signature';
const VERSION = 'v1';

export function sign(secret: string, timestamp: number, body: string | Buffer): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
  return `${VERSION}=${mac}`;
}

export type Verdict = { ok: true } | { ok: false; reason: string };

export function verify(opts: {
  secret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  body: Buffer;
  nowSeconds: number;
  toleranceSeconds: number;
}): Verdict {
  if (!opts.timestamp || !/^\d{1,12}$/.test(opts.timestamp)) return { ok: false, reason: `missing or malformed ${TIMESTAMP_HEADER} (unix seconds)` };
  if (!opts.signature) return { ok: false, reason: `missing ${SIGNATURE_HEADER}` };
  const ts = Number(opts.timestamp);
  if (Math.abs(opts.nowSeconds - ts) > opts.toleranceSeconds) {
    return { ok: false, reason: `timestamp outside the ${opts.toleranceSeconds}s tolerance (replayed or clock skew)` };
  }
  const expected = Buffer.from(sign(opts.secret, ts, opts.body));
  // Several signatures may be sent (during a secret rotation); any valid one is enough.
  const offered = opts.signature.split(',').map((s) => Buffer.from(s.trim()));
  const match = offered.some((s) => s.length === expected.length && timingSafeEqual(s, expected));
  return match ? { ok: true } : { ok: false, reason: 'signature does not match' };
}

/**
 * The id of one signed request: sha256 over the timestamp and the *valid* signature (the one
 * this secret produces), so extra or reordered signatures in the header do not make a replay look
 * new. Same timestamp and body, same id: that is exactly a replay.
 */
export function deliveryId(secret: string, timestamp: number, body: string | Buffer): string {
  return createHash('sha256').update(`${timestamp}.${sign(secret, timestamp, body)}`).digest('hex').slice(0, 40);
}
