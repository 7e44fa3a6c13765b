import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { execa } from 'execa';
import { findTemporalCli, PROJECT_ROOT } from '../../src/temporal/cli-binary.js';

export const HISTORIES_DIR = path.resolve(import.meta.dirname, '../replay/histories');

/**
 * With RETRAIN_RECORD_HISTORIES=1, saves a run's history under test/replay/histories/ so the
 * replay test can check that later code still replays it. It is exported with the Temporal CLI
 * (`temporal workflow show --output json`), the format users export too. See README, "Replay tests".
 * RETRAIN_RECORD_TAG=<tag> saves `<name>.<tag>.json` beside the older recording instead of replacing it: after a
 * patched() change both the histories recorded before it and those recorded after it must keep replaying.
 */
/**
 * `root` replaced by `<project>` inside every JSON payload's (base64) data too, where the CLI's JSON cannot reach it.
 * A payload of another encoding (binary, protobuf) is left as it is: rewriting its bytes as text would corrupt it.
 */
export function scrubPaths(value: unknown, root: string): unknown {
  if (Array.isArray(value)) return value.map((v) => scrubPaths(v, root));
  if (typeof value !== 'object' || value === null) return value;
  const o = value as Record<string, unknown>;
  const encoding = (o.metadata as { encoding?: unknown } | undefined)?.encoding;
  if (typeof o.data === 'string' && typeof encoding === 'string' && Buffer.from(encoding, 'base64').toString() === 'json/plain') {
    const text = Buffer.from(o.data, 'base64').toString('utf8');
    return text.includes(root) ? { ...o, data: Buffer.from(text.replaceAll(root, '<project>'), 'utf8').toString('base64') } : o;
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, scrubPaths(v, root)]));
}

export async function recordHistory(client: Client, workflowId: string, name: string): Promise<void> {
  if (process.env.RETRAIN_RECORD_HISTORIES !== '1') return;
  const address = process.env.TEMPORAL_ADDRESS;
  const cli = findTemporalCli();
  if (!address || !cli) throw new Error('recording histories needs TEMPORAL_ADDRESS and the temporal CLI (npm run setup)');
  const { stdout } = await execa(cli, ['workflow', 'show', '--workflow-id', workflowId, '--address', address, '--namespace', client.options.namespace, '--output', 'json']);
  // Paths of the recording machine stay out of the repository, in the events and inside their payloads; replay
  // does not read them.
  const history = scrubPaths(JSON.parse(stdout.replaceAll(PROJECT_ROOT, '<project>')), PROJECT_ROOT) as Record<string, unknown>;
  const tag = process.env.RETRAIN_RECORD_TAG;
  if (tag !== undefined && !/^[a-z0-9-]+$/.test(tag)) throw new Error(`RETRAIN_RECORD_TAG must be lower-case letters, digits and dashes, got ${JSON.stringify(tag)}`);
  writeFileSync(path.join(HISTORIES_DIR, tag ? `${name}.${tag}.json` : `${name}.json`), `${JSON.stringify({ workflowId, ...history }, null, 1)}\n`);
}
