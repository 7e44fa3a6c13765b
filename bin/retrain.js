#!/usr/bin/env node
// The `retrain` command. Installed from npm it runs the compiled JavaScript in dist/; in a clone
// of the repository (src/ is there) it runs the TypeScript sources through tsx, so there is no
// build step while developing.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/index.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import('../dist/src/cli/index.js');
}
