import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether any process of the group is left: the leader may be gone while a child it spawned lives on. */
export function isGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** How long killGroup waits for the group to be gone after SIGKILL (the kernel delivers it, not instantly). */
const AFTER_KILL_MS = 2000;

/**
 * SIGTERM to the whole group (the command and anything it spawned), SIGKILL after a grace period to whatever of the
 * group is left, then a short wait for it to be gone. The group is watched, not the leader: a child that ignores
 * SIGTERM (a worker pool, a shell's `trap '' TERM`) must not outlive a leader that obeyed it.
 */
export async function killGroup(pid: number, graceMs = 5000): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      /* already gone */
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isGroupAlive(pid) && Date.now() < deadline) await sleep(50);
  if (!isGroupAlive(pid)) return;
  signal('SIGKILL');
  // Killed processes are zombies until reaped (by us for the leader, by init for orphans), which is quick.
  const killed = Date.now() + AFTER_KILL_MS;
  while (isGroupAlive(pid) && Date.now() < killed) await sleep(20);
}

/**
 * A worker killed with SIGKILL cannot stop its commands; the next attempt of the same activity
 * finds the pid file it left and ends that process group before starting again.
 */
export async function reapPrevious(pidFile: string): Promise<number | undefined> {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  rmSync(pidFile, { force: true });
  if (!Number.isInteger(pid) || pid <= 1 || !isGroupAlive(pid)) return undefined;
  await killGroup(pid, 2000);
  return pid;
}

export function writePidFile(pidFile: string, pid: number): void {
  writeFileSync(pidFile, String(pid));
}
