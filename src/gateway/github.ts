import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { TriggerRequest } from '../workflows/types.js';
import { matchesAny } from './glob.js';

/** What a model listens to on GitHub (`models.<m>.github`): pushes to one branch that touch these paths. */
export interface GithubWatch {
  branch: string;
  paths: string[];
}

export const GITHUB_SIGNATURE_HEADER = 'x-hub-signature-256';
export const GITHUB_EVENT_HEADER = 'x-github-event';
export const GITHUB_DELIVERY_HEADER = 'x-github-delivery';
/** Changed paths kept in a trigger's details; the rest are counted. */
const MAX_PATHS = 20;

/** GitHub's own scheme: `sha256=<hex HMAC-SHA256(webhook secret, raw body)>`, compared in constant time. */
export function verifyGithubSignature(secret: string, body: Buffer, header: string | undefined): boolean {
  if (!header || !header.startsWith('sha256=')) return false;
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  const offered = Buffer.from(header.trim());
  return offered.length === expected.length && timingSafeEqual(offered, expected);
}

// Only the fields of GitHub's documented push payload that decide anything; the rest is ignored.
const commit = z.object({ id: z.string().max(64), added: z.array(z.string()).default([]), removed: z.array(z.string()).default([]), modified: z.array(z.string()).default([]) });
const pushPayload = z.object({
  ref: z.string().max(300),
  after: z.string().max(64),
  deleted: z.boolean().optional(),
  repository: z.object({ full_name: z.string().max(200) }),
  head_commit: commit.nullable().optional(),
  commits: z.array(commit).default([]),
  pusher: z.object({ name: z.string().max(200) }).partial().optional(),
});

export type GithubOutcome =
  | { kind: 'ping' }
  | { kind: 'ignored'; reason: string }
  | { kind: 'triggers'; triggers: { model: string; trigger: TriggerRequest }[]; ignored: string[] };

/**
 * A verified GitHub delivery → the `new_data` triggers it asks for. A push to a watched branch
 * whose commits touch a watched path triggers that model, keyed by repository and head commit,
 * so a redelivery (or a second webhook on the same repository) counts once.
 */
export function githubTriggers(event: string | undefined, body: unknown, watches: Record<string, GithubWatch>): GithubOutcome {
  if (event === 'ping') return { kind: 'ping' };
  if (event !== 'push') return { kind: 'ignored', reason: `event ${JSON.stringify(String(event ?? 'none').slice(0, 40))} is not handled (only push and ping)` };
  const parsed = pushPayload.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`push payload: ${issue.path.join('.') || '(body)'}: ${issue.message}`);
  }
  const push = parsed.data;
  if (push.deleted) return { kind: 'ignored', reason: 'branch deleted' };
  const branch = push.ref.startsWith('refs/heads/') ? push.ref.slice('refs/heads/'.length) : null;
  if (!branch) return { kind: 'ignored', reason: `ref ${push.ref.slice(0, 100)} is not a branch` };
  const changed = [...new Set([...push.commits, ...(push.head_commit ? [push.head_commit] : [])].flatMap((c) => [...c.added, ...c.removed, ...c.modified]))].sort();
  const triggers: { model: string; trigger: TriggerRequest }[] = [];
  const ignored: string[] = [];
  for (const [model, watch] of Object.entries(watches)) {
    if (watch.branch !== branch) {
      ignored.push(`${model}: watches ${watch.branch}, not ${branch}`);
      continue;
    }
    const touched = changed.filter((f) => matchesAny(f, watch.paths));
    if (!touched.length) {
      ignored.push(`${model}: no changed path matches ${watch.paths.join(', ')}`);
      continue;
    }
    triggers.push({
      model,
      trigger: {
        reason: 'new_data',
        source: `github:${push.repository.full_name}`,
        idempotencyKey: `github:${push.repository.full_name}:${push.after}`,
        details: {
          repository: push.repository.full_name,
          branch,
          commit: push.after,
          paths: touched.slice(0, MAX_PATHS),
          ...(touched.length > MAX_PATHS ? { morePaths: touched.length - MAX_PATHS } : {}),
          ...(push.pusher?.name ? { pusher: push.pusher.name } : {}),
        },
      },
    });
  }
  return { kind: 'triggers', triggers, ignored };
}
