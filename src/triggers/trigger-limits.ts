/**
 * How big one trigger may be. Shared by the gateway, the CLI, sendTrigger and the controller
 * workflow, so this module stays pure (no Node built-ins: workflow code imports it).
 *
 * Why bounded: a trigger travels in the controller's state and in the pipeline's input, and both
 * are Temporal payloads (2 MB blob limit on the dev server). A few large triggers used to push the
 * controller's continue-as-new input over that limit and jam it for good.
 */
import { TRIGGER_REASONS } from '../policy/trigger-reasons.js';

export const TRIGGER_LIMITS = {
  /** `details`, as UTF-8 JSON. */
  detailsBytes: 8 * 1024,
  sourceChars: 200,
  idempotencyKeyChars: 200,
  /** `requestId`: set by callers that wait for the run answering their trigger. */
  requestIdChars: 100,
} as const;

/** UTF-8 length without Buffer/TextEncoder, which workflow code may not rely on. */
export function utf8Bytes(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Size of a value as JSON; values JSON cannot hold count as 0. */
export function jsonBytes(v: unknown): number {
  try {
    return utf8Bytes(JSON.stringify(v) ?? '');
  } catch {
    return Number.POSITIVE_INFINITY; // cycles, BigInt: never carried
  }
}

export interface TriggerProblem {
  field: string;
  message: string;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The first thing wrong with a trigger as it would be sent, or null. Checks shape and every bound;
 * messages name the field and the offending size or value.
 */
export function triggerProblem(t: unknown): TriggerProblem | null {
  if (!isPlainObject(t)) return { field: '(trigger)', message: `expected an object, got ${t === null ? 'null' : Array.isArray(t) ? 'an array' : typeof t}` };
  if (typeof t.reason !== 'string' || !(TRIGGER_REASONS as readonly string[]).includes(t.reason)) {
    return { field: 'reason', message: `${JSON.stringify(String(t.reason).slice(0, 40))} is not one of ${TRIGGER_REASONS.join(', ')}` };
  }
  if (typeof t.source !== 'string' || t.source.length === 0) return { field: 'source', message: 'expected a non-empty string' };
  if (t.source.length > TRIGGER_LIMITS.sourceChars) return { field: 'source', message: `${t.source.length} characters, at most ${TRIGGER_LIMITS.sourceChars}` };
  if (t.details !== undefined) {
    if (!isPlainObject(t.details)) return { field: 'details', message: 'expected a JSON object' };
    const bytes = jsonBytes(t.details);
    if (bytes > TRIGGER_LIMITS.detailsBytes) return { field: 'details', message: `${Number.isFinite(bytes) ? bytes : 'not JSON:'} bytes as JSON, at most ${TRIGGER_LIMITS.detailsBytes}` };
  }
  const idFields = [
    ['idempotencyKey', TRIGGER_LIMITS.idempotencyKeyChars],
    ['requestId', TRIGGER_LIMITS.requestIdChars],
    ['deliveryId', TRIGGER_LIMITS.requestIdChars],
    ['deliveryExpiresAt', 40],
  ] as const;
  for (const [field, max] of idFields) {
    const v = t[field];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v.length === 0) return { field, message: 'expected a non-empty string' };
    if (v.length > max) return { field, message: `${v.length} characters, at most ${max}` };
  }
  if (t.deliveryExpiresAt !== undefined && !Number.isFinite(Date.parse(t.deliveryExpiresAt as string))) return { field: 'deliveryExpiresAt', message: 'expected an ISO time' };
  if (t.force !== undefined && typeof t.force !== 'boolean') return { field: 'force', message: 'expected true or false' };
  if (t.now !== undefined && typeof t.now !== 'boolean') return { field: 'now', message: 'expected true or false' };
  return null;
}
