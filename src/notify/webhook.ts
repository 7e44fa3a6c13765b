import type { NotifyEvent } from '../config/schema.js';
import { redact, registerSecret } from '../redact.js';

/** What a notification says; built by the workflow from its own state, so it holds no secrets. */
export interface Notification {
  event: NotifyEvent;
  model: string;
  /** One line for people: "churn v7 promoted: auc 0.84 vs production 0.82 (+0.02)". */
  text: string;
  workflowId: string;
  version?: number | null;
  details?: Record<string, unknown>;
}

export interface WebhookTarget {
  kind: 'slack' | 'json';
  urlEnv: string;
  events: NotifyEvent[];
}

export interface Delivery {
  urlEnv: string;
  status: 'sent' | 'skipped';
  why?: string;
}

const ICON: Record<NotifyEvent, string> = {
  trigger_fired: ':arrows_counterclockwise:',
  run_skipped: ':zzz:',
  validation_failed: ':no_entry:',
  candidate_rejected: ':x:',
  approval_requested: ':raising_hand:',
  model_promoted: ':rocket:',
  rolled_back: ':rewind:',
  run_failed: ':rotating_light:',
};

/** The request body: Slack's incoming-webhook `text` (with a fallback block), or the event as JSON. */
export function webhookBody(kind: WebhookTarget['kind'], n: Notification, sentAt: string): string {
  if (kind === 'slack') return JSON.stringify({ text: `${ICON[n.event]} *${n.model}* ${n.text}\n\`${n.workflowId}\`` });
  return JSON.stringify({ ...n, sentAt });
}

/**
 * Sends to every target that wants this event. The URL is read from the environment here, in the
 * worker, so it never reaches workflow history. A target whose variable is unset is skipped; a
 * failed POST throws so the activity retries it.
 */
export async function deliver(targets: WebhookTarget[], n: Notification, env = process.env, timeoutMs = 10_000): Promise<Delivery[]> {
  const out: Delivery[] = [];
  const failures: string[] = [];
  for (const t of targets.filter((t) => t.events.includes(n.event))) {
    const url = env[t.urlEnv];
    if (!url) {
      out.push({ urlEnv: t.urlEnv, status: 'skipped', why: `$${t.urlEnv} is not set` });
      continue;
    }
    // The whole URL is a secret (Slack's carries its key in the path): hidden from every message.
    registerSecret(url);
    try {
      const { href, authorization } = splitCredentials(url);
      const res = await fetch(href, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: webhookBody(t.kind, n, new Date().toISOString()),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      out.push({ urlEnv: t.urlEnv, status: 'sent' });
    } catch (err) {
      // Name the variable, never the URL: webhook URLs are secrets.
      // fetch's own messages may quote the URL ("…includes credentials: https://…"); its cause too.
      const e = err as Error;
      const cause = e.cause instanceof Error ? ` (${e.cause.message})` : '';
      failures.push(`$${t.urlEnv}: ${redact(`${e.message}${cause}`)}`);
    }
  }
  if (failures.length) throw new Error(`webhook delivery failed: ${failures.join('; ')}`);
  return out;
}

/**
 * fetch refuses URLs with credentials, and its refusal quotes the URL. `https://user:pass@host/…`
 * is sent as the URL without them plus an HTTP Basic Authorization header, as curl does.
 */
export function splitCredentials(url: string): { href: string; authorization?: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('the value is not a valid URL');
  }
  if (!parsed.username && !parsed.password) return { href: parsed.href };
  const user = decodeURIComponent(parsed.username);
  const pass = decodeURIComponent(parsed.password);
  parsed.username = '';
  parsed.password = '';
  return { href: parsed.href, authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` };
}
