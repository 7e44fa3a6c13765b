import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';

const bin = path.resolve('bin/retrain.js');
const retrain = (...args: string[]) => execa(process.execPath, [bin, ...args], { reject: false, env: { RETRAIN_CONFIG: path.resolve('retrain.config.yaml') } });

// README: "2 invalid input (config, data or arguments)"; commander alone exits 1 on a usage error.
test('usage errors exit 2 and say what is missing', async () => {
  const missing = await retrain('explain');
  assert.equal(missing.exitCode, 2);
  assert.match(missing.stderr, /missing required argument 'run'/);
  assert.equal((await retrain('history', '--no-such-option')).exitCode, 2);
  assert.equal((await retrain('no-such-command')).exitCode, 2);
  assert.equal((await retrain('data', 'drift', 'only-one.csv')).exitCode, 2);
});

test('--help lists the exit codes and exits 0; --version prints the package version', async () => {
  const help = await retrain('--help');
  assert.equal(help.exitCode, 0);
  assert.match(help.stdout, /Exit codes: 0 ok, 1 failure, 2 invalid input/);
  const version = await retrain('--version');
  assert.equal(version.exitCode, 0);
  assert.equal(version.stdout.trim(), JSON.parse(await import('node:fs').then((fs) => fs.readFileSync('package.json', 'utf8'))).version);
});
