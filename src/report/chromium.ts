import { existsSync } from 'node:fs';
import { execa } from 'execa';

/** Where Debian's (or the system's) Chromium is, or undefined. RETRAIN_CHROMIUM overrides. */
export function findChromium(env = process.env): string | undefined {
  const candidates = [env.RETRAIN_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  return candidates.find((c): c is string => Boolean(c && existsSync(c)));
}

/**
 * `npm run setup`: Debian's chromium, for the browser test that renders the HTML reports offline.
 * Installed only as root with apt-get (CI and containers), as PostgreSQL is.
 */
export async function ensureChromium(progress: (line: string) => void): Promise<string> {
  const found = findChromium();
  if (found) return found;
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) {
    throw new Error('Chromium is not installed: run `sudo apt-get install -y --no-install-recommends chromium` (the report browser test uses it)');
  }
  progress('installing Chromium from Debian packages (apt-get install -y --no-install-recommends chromium) …');
  const install = () => execa('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { stdio: ['ignore', 'ignore', 'inherit'], env: { DEBIAN_FRONTEND: 'noninteractive' } });
  try {
    await install();
  } catch {
    // A fresh machine's package lists may be missing or stale: refresh them once and retry.
    await execa('apt-get', ['update'], { stdio: ['ignore', 'ignore', 'inherit'] });
    await install();
  }
  const installed = findChromium();
  if (!installed) throw new Error('apt-get installed chromium but no /usr/bin/chromium exists');
  return installed;
}
