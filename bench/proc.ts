/** Process memory and CPU time from /proc (Linux), for processes other than this one (worker, dev server). */
import { readFileSync } from 'node:fs';

export const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

/** User + system CPU seconds of the process (utime and stime, fields 14 and 15 of /proc/<pid>/stat), not wall time. */
export const cpuSeconds = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};

/** As cpuSeconds, plus the CPU of its waited-for children (cutime, cstime): a worker's git or command processes count as its cost. */
export const cpuSecondsWithChildren = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
};
