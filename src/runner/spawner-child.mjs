// The command helper (see spawner.ts): a small process that starts the worker's commands, so the worker never forks
// itself. Plain JavaScript with no imports beyond Node's: it starts the same way from the sources and from the package.
// It is given no environment: every start carries the command's whole environment.
import { spawn } from 'node:child_process';

/** Output sent to the worker and not yet acknowledged, per stream, above which the command's pipe is paused. */
const IN_FLIGHT_BYTES = 1 << 20;
const children = new Map();

const send = (message, done) => {
  if (!process.connected) return;
  process.send(message, undefined, undefined, done);
};

function start({ id, file, args, cwd, env }) {
  let child;
  try {
    child = spawn(file, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    send({ op: 'failed', id, code: err.code, message: err.message });
    return;
  }
  if (child.pid === undefined) {
    child.once('error', (err) => send({ op: 'failed', id, code: err.code, message: err.message }));
    return;
  }
  send({ op: 'started', id, pid: child.pid });
  const streams = { 1: child.stdout, 2: child.stderr };
  const entry = { streams, paused: { 1: false, 2: false }, inFlight: { 1: 0, 2: 0 } };
  children.set(id, entry);
  const flow = (fd) => {
    const wanted = !entry.paused[fd] && entry.inFlight[fd] < IN_FLIGHT_BYTES;
    if (wanted && streams[fd].isPaused()) streams[fd].resume();
    if (!wanted && !streams[fd].isPaused()) streams[fd].pause();
  };
  for (const fd of [1, 2]) {
    streams[fd].on('data', (data) => {
      entry.inFlight[fd] += data.length;
      flow(fd);
      send({ op: 'data', id, fd, data }, () => {
        entry.inFlight[fd] -= data.length;
        flow(fd);
      });
    });
    streams[fd].on('end', () => send({ op: 'end', id, fd }));
    // A broken pipe ends the output; how the command itself ended comes with 'exit'.
    streams[fd].on('error', () => {});
  }
  child.on('exit', (code, signal) => send({ op: 'exit', id, code, signal }));
  child.on('close', () => children.delete(id));
}

process.on('message', (m) => {
  if (m.op === 'start') return start(m);
  const entry = children.get(m.id);
  if (!entry || (m.op !== 'pause' && m.op !== 'resume')) return;
  entry.paused[m.fd] = m.op === 'pause';
  const stream = entry.streams[m.fd];
  if (m.op === 'pause') stream.pause();
  else if (entry.inFlight[m.fd] < IN_FLIGHT_BYTES) stream.resume();
});
// The helper shares the worker's process group, so a Ctrl-C (or a group-wide SIGTERM) meant for the worker reaches it
// too. The worker decides how its steps end on shutdown (it cancels them and kills their groups): the helper stays
// until the worker itself is gone.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => {});
// The worker is gone: so is the reason to be here. Commands still running are left to the next attempt's reaping
// (their pid files), as when the worker itself is killed.
process.on('disconnect', () => process.exit(0));
