import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { isAlive } from '../../src/runner/process-group.js';
import { resolveTemporal, type TemporalTarget } from '../../src/temporal/connection.js';
import { answers } from '../../src/temporal/dev-server.js';
import { PROJECT_ROOT } from '../../src/temporal/cli-binary.js';
import { readRecord, sqliteFile } from '../../src/temporal/embedded-server.js';

// `retrain dev` and `npm start` reach Temporal through resolveTemporal({ start: true }); an empty
// env keeps the test's own TEMPORAL_ADDRESS out of it.
const dev = (stateDir: string) => resolveTemporal({ stateDir, start: true }, {});

/** Every `temporal server start-dev` process whose command line names this SQLite file. */
function serversOn(dbFile: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (cmd.includes('start-dev') && cmd.includes(dbFile)) pids.push(Number(entry));
    } catch {
      /* gone meanwhile */
    }
  }
  return pids;
}

async function killServer(t: TemporalTarget): Promise<void> {
  process.kill(t.owned!.pid, 'SIGKILL');
  await t.owned!.exited;
}

const stateDir = () => mkdtempSync(path.join(tmpdir(), 'retrain-devlock-'));

describe('one embedded Temporal server per state folder', () => {
  it('after a server died and its owner stopped, two concurrent starts run one server', async () => {
    const dir = stateDir();
    const a = await dev(dir);
    await killServer(a);
    await a.owned!.stop();
    const [b, c] = await Promise.all([dev(dir), dev(dir)]);
    try {
      assert.equal(b.address, c.address);
      assert.equal([b, c].filter((t) => t.owned).length, 1, 'exactly one of them started a server');
      assert.equal(serversOn(path.resolve(sqliteFile(dir))).length, 1);
    } finally {
      await (b.owned ?? c.owned)!.stop();
    }
  });

  it('stopping the owner of a dead server keeps the live server\'s record; the next start reuses it', async () => {
    const dir = stateDir();
    const a = await dev(dir);
    await killServer(a);
    const b = await dev(dir);
    assert.ok(b.owned, 'B started the replacement');
    await a.owned!.stop();
    assert.equal(readRecord(dir)?.pid, b.owned.pid, 'the live server\'s record survived A stopping');
    const c = await dev(dir);
    try {
      assert.equal(c.owned, undefined, 'C reused the running server');
      assert.equal(c.address, b.address);
      assert.deepEqual(serversOn(path.resolve(sqliteFile(dir))), [b.owned.pid]);
    } finally {
      await b.owned.stop();
    }
    assert.equal(readRecord(dir), undefined, 'the owner removed its own record');
  });

  it('a server whose owner was killed keeps serving and is reused, never doubled', async () => {
    const dir = stateDir();
    // An owner in its own process, SIGKILLed: it cannot stop its server or release its lock.
    const script = `import { resolveTemporal } from './src/temporal/connection.ts';
      const t = await resolveTemporal({ stateDir: ${JSON.stringify(dir)}, start: true }, {});
      process.stdout.write(JSON.stringify({ pid: t.owned.pid }) + '\\n');
      setInterval(() => {}, 1000);`;
    const owner = execa(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: PROJECT_ROOT, reject: false, env: { PATH: process.env.PATH } });
    const serverPid = await new Promise<number>((resolve, reject) => {
      owner.stdout!.on('data', (d: Buffer) => resolve((JSON.parse(d.toString()) as { pid: number }).pid));
      void owner.then((r) => reject(new Error(`owner exited: ${String(r.stderr)}`)));
    });
    owner.kill('SIGKILL');
    await owner;
    try {
      assert.ok(isAlive(serverPid), 'the orphaned server still runs');
      const [b, c] = await Promise.all([dev(dir), dev(dir)]);
      assert.equal(b.owned, undefined);
      assert.equal(c.owned, undefined);
      assert.ok(await answers(b.address));
      assert.deepEqual(serversOn(path.resolve(sqliteFile(dir))), [serverPid]);
    } finally {
      process.kill(serverPid, 'SIGKILL');
    }
  });
});
