import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { runCommand, type CommandSpec } from '../../src/runner/run-command.js';
import { commandHelperPid, dropHelperChannelForTest, startCommand } from '../../src/runner/spawner.js';

/**
 * Commands start in a helper process (spawner.ts), not in the worker. How that could lie: output lost or reordered on
 * the way back, a command that did not start reported as a success, the worker's secrets in the helper's environment,
 * a dead helper that hangs the step or leaves its command running, the worker still forking each command itself.
 */
const tmp = () => mkdtempSync(path.join(tmpdir(), 'retrain-spawn-'));
const spec = (command: string[]): CommandSpec => ({ command, workdir: tmp(), env: {} });
const node = (code: string) => [process.execPath, '-e', code];
const run = (command: string[], extra: { timeoutMs?: number } = {}) =>
  runCommand({ spec: spec(command), vars: {}, runDir: tmp(), logName: 'cmd', ...extra });
const ppidOf = (pid: number) =>
  Number(
    readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /, '')
      .split(' ')[1],
  );

describe('commands start in the helper process', () => {
  it('the command is a child of the helper, not of the worker, and the helper has an empty environment', async () => {
    const out = path.join(tmp(), 'ppid');
    process.env.RETRAIN_TEST_SECRET = 'hunter2-in-the-worker';
    try {
      const r = await run(
        node(`require('node:fs').writeFileSync(${JSON.stringify(out)}, String(process.ppid))`),
      );
      assert.equal(r.exitCode, 0);
      const helper = commandHelperPid();
      assert.ok(helper, 'the helper runs');
      assert.equal(Number(readFileSync(out, 'utf8')), helper);
      assert.notEqual(helper, process.pid);
      assert.equal(ppidOf(helper), process.pid);
      // Only what Node.js sets up for the IPC channel itself.
      const environ = readFileSync(`/proc/${helper}/environ`, 'utf8').split('\0').filter(Boolean);
      assert.deepEqual(
        environ.filter((v) => !v.startsWith('NODE_CHANNEL_')),
        [],
        'the helper inherited an environment',
      );
    } finally {
      delete process.env.RETRAIN_TEST_SECRET;
    }
  });

  it('20 MiB of output reaches the log whole and in order, then the stderr tail and the exit code come back', async () => {
    // The log takes both streams as they come, so lines of the two may interleave mid-line: stdout carries the bulk.
    const lines = 200_000;
    const code = `for (let i = 0; i < ${lines}; i++) process.stdout.write('line ' + String(i).padStart(8, '0') + ' ' + 'x'.repeat(90) + '\\n');
      process.stdout.write('', () => { process.stderr.write('the last words\\n'); process.exitCode = 3; });`;
    const r = await run(node(code));
    assert.equal(r.exitCode, 3);
    const text = readFileSync(r.logFile, 'utf8');
    // The two pipes drain independently into one log: the stderr line is there once, not necessarily last, and it may
    // land between two chunks of a stdout line (as it did when the worker started commands itself).
    assert.equal(text.split('the last words\n').length, 2);
    const got = text.replace('the last words\n', '').trimEnd().split('\n');
    assert.deepEqual(
      got.map((l) => Number(l.slice(5, 13))),
      Array.from({ length: lines }, (_, i) => i),
    );
    assert.ok(
      got.every((l) => /^line \d{8} x{90}$/.test(l)),
      'a stdout line was cut or changed',
    );
    assert.equal(r.stderrTail, 'the last words');
  });

  it('a command that cannot start (not found, workdir missing) is exit 127 naming it, and the next one runs', async () => {
    const missing = await run(['retrain-no-such-command-xyz']);
    assert.equal(missing.exitCode, 127);
    assert.match(missing.stderrTail, /retrain-no-such-command-xyz.*ENOENT/);
    const noDir = await runCommand({
      spec: { command: ['true'], workdir: path.join(tmp(), 'gone'), env: {} },
      vars: {},
      runDir: tmp(),
      logName: 'cmd',
    });
    assert.equal(noDir.exitCode, 127);
    assert.equal((await run(node('process.exit(0)'))).exitCode, 0);
  });

  it('a command killed by a signal is exit 128 and says so', async () => {
    const r = await run(node('process.kill(process.pid, "SIGKILL")'));
    assert.equal(r.exitCode, 128);
    assert.match(r.stderrTail, /SIGKILL/);
  });

  it('a helper killed mid-command fails the attempt with a clear error, leaves no command behind, and is replaced', async () => {
    const pidFile = path.join(tmp(), 'pid');
    const running = run(
      node(
        `require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 1000)`,
      ),
    );
    let pid = 0;
    for (let i = 0; i < 200 && !pid; i++) {
      await sleep(25);
      try {
        pid = Number(readFileSync(pidFile, 'utf8'));
      } catch {
        /* not yet */
      }
    }
    assert.ok(pid, 'the command started');
    const helper = commandHelperPid()!;
    process.kill(helper, 'SIGKILL');
    await assert.rejects(running, /command helper exited \(SIGKILL\)/);
    const alive = (() => {
      try {
        process.kill(pid, 0);
        return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return false;
      }
    })();
    assert.equal(alive, false, `command ${pid} outlived the helper's death`);
    const next = await run(node('process.exit(0)'));
    assert.equal(next.exitCode, 0);
    assert.notEqual(commandHelperPid(), helper);
  });

  it('a helper that goes away after its replacement started a command fails only its own commands', async () => {
    const x = await startCommand(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { cwd: tmp(), env: {} });
    const a = commandHelperPid();
    // A's channel closes as at a crash; in the same tick, before A's exit can be seen, Y starts, on a new helper B.
    dropHelperChannelForTest();
    const y = await startCommand(process.execPath, ['-e', 'setTimeout(() => process.stdout.write("y done"), 500)'], { cwd: tmp(), env: {} });
    const b = commandHelperPid();
    assert.ok(a && b && a !== b, `a new helper runs Y (${a} then ${b})`);
    let out = '';
    let yEnded = false;
    y.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const yExit = y.exited.finally(() => (yEnded = true));
    try {
      await assert.rejects(x.exited, /command helper exited/);
      assert.equal(yEnded, false, "A's exit was seen while Y still ran");
      assert.equal(commandHelperPid(), b, "A's exit did not drop B");
      assert.deepEqual(await yExit, { exitCode: 0, signal: null });
      assert.equal(out, 'y done');
    } finally {
      process.kill(-x.pid, 'SIGKILL');
    }
  });

  it("a Ctrl-C or SIGTERM sent to the worker's process group does not end the helper: the worker decides", async () => {
    const running = run(node('setTimeout(() => process.exit(4), 1500)'));
    await sleep(300);
    const helper = commandHelperPid()!;
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.kill(helper, signal);
    assert.equal((await running).exitCode, 4);
    assert.equal(commandHelperPid(), helper);
  });

  it('many commands at once each get their own output and exit code', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        run(['sh', '-c', `echo out-${i}; echo err-${i} >&2; exit ${i % 5}`]),
      ),
    );
    results.forEach((r, i) => {
      assert.equal(r.exitCode, i % 5);
      assert.deepEqual(readFileSync(r.logFile, 'utf8').split('\n').filter(Boolean).sort(), [
        `err-${i}`,
        `out-${i}`,
      ]);
    });
  });
});
