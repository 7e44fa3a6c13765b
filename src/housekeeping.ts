/**
 * Housekeeping that need not run on every write: sweeping the temp files of writers that died (stale after an hour)
 * and pruning snapshots no version references (after a week). On every write they cost a directory listing and a
 * stat of each entry, for every step of every run; now and then is as good, and costs nothing between.
 *
 * `dueEvery(ms)` answers true for a key (a folder) the first time it is asked in this process, then at most once per
 * `ms`. The keys it remembers are bounded: past `max`, the oldest is forgotten (and is due again when next asked).
 */
export function dueEvery(everyMs: number, max = 4096): (key: string, now?: number) => boolean {
  const last = new Map<string, number>();
  return (key, now = Date.now()) => {
    const at = last.get(key);
    if (at !== undefined && now - at < everyMs) return false;
    last.delete(key);
    if (last.size >= max) last.delete(last.keys().next().value!);
    last.set(key, now);
    return true;
  };
}
