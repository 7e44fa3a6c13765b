import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

// Issue 16 item 3: client code (start, signal, update, query a workflow or a Schedule from outside one) lives in
// src/client/, not in four places. Activities use the client of their own activity context and stay where they are.
const SRC = path.resolve('src');
const CLIENT_CALL = /\.workflow\.(start|signalWithStart|execute)\b|\.signalWithStart\(|\.executeUpdate\(|\.schedule\.(create|getHandle|list)\b/;

test('only src/client/ (and activities, on their own context client) start, signal, update or schedule', () => {
  const outside: string[] = [];
  for (const rel of readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'))) {
    const where = rel.split(path.sep).join('/');
    if (where.startsWith('client/') || where.startsWith('activities/')) continue;
    readFileSync(path.join(SRC, rel), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (CLIENT_CALL.test(line)) outside.push(`${where}:${i + 1}: ${line.trim()}`);
      });
  }
  assert.deepEqual(outside, []);
});

test('the files that held client code before are gone', () => {
  for (const old of ['client.ts', 'api/client.ts', 'approvals.ts', 'fleet-status.ts', 'triggers/send-trigger.ts', 'schedules/apply-schedules.ts']) {
    assert.throws(() => readFileSync(path.join(SRC, old)), `src/${old} moved to src/client/`);
  }
});
