import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { TOOLS_DIR } from '../../src/temporal/cli-binary.js';
import { freePort } from '../../src/temporal/ports.js';

export const MLFLOW_BIN = path.join(TOOLS_DIR, 'mlflow', 'bin', 'mlflow');

/** A real `mlflow server` (SQLite backend, artifacts served from a temp folder), as `npm run setup` installed it. */
export async function startMlflow(): Promise<{ uri: string; stop: () => Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'retrain-mlflow-'));
  const port = await freePort();
  const proc = execa(
    MLFLOW_BIN,
    ['server', '--backend-store-uri', `sqlite:///${dir}/mlflow.db`, '--artifacts-destination', path.join(dir, 'artifacts'), '--host', '127.0.0.1', '--port', String(port), '--workers', '1'],
    { reject: false, stdio: ['ignore', 'ignore', 'pipe'], cleanup: true },
  );
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const uri = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const ok = await fetch(`${uri}/health`).then((r) => r.ok).catch(() => false);
    if (ok) break;
    if (proc.exitCode !== null || i > 600) throw new Error(`mlflow server did not start (${MLFLOW_BIN}):\n${stderr}`);
    await sleep(200);
  }
  return {
    uri,
    stop: async () => {
      proc.kill('SIGTERM');
      await Promise.race([proc, sleep(10_000)]);
      proc.kill('SIGKILL');
    },
  };
}
