/**
 * Another Node.js major for the test run (`npm test -- --node 24`): installed once from the npm
 * registry's `node` package into the user's cache (~/.cache/temporal-retrain/node-<major>/), so CI
 * in a fresh clone reuses it. The project's node_modules serve both runtimes: its native modules
 * (Temporal's core bridge, DuckDB) are Node-API builds.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { cacheDir } from '../src/install-paths.js';

export async function ensureNode(major: string, say: (l: string) => void): Promise<string> {
  if (!/^\d+$/.test(major)) throw new Error(`--node: expected a major version such as 24, got ${JSON.stringify(major)}`);
  const dir = cacheDir(`node-${major}`);
  const bin = path.join(dir, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(bin)) {
    say(`installing node@${major} from the npm registry into ${dir} …`);
    mkdirSync(dir, { recursive: true });
    await execa('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--prefix', dir, `node@${major}`], { stdio: 'inherit' });
  }
  const { stdout } = await execa(bin, ['--version']);
  if (!stdout.startsWith(`v${major}.`)) throw new Error(`${bin} is ${stdout}, not Node.js ${major}`);
  return bin;
}
