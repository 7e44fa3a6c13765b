/**
 * `npm run build` (run by `npm pack` through `prepack`): compiles src/ to dist/ with tsc and
 * bundles the workflows once into dist/workflow-bundle.js, so an installed worker starts without
 * webpack and users never run TypeScript at run time.
 */
import { copyFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { execa } from 'execa';
import { PACKAGE_ROOT } from '../src/install-paths.js';

const say = (l: string) => process.stderr.write(`[build] ${l}\n`);
const dist = path.join(PACKAGE_ROOT, 'dist');
rmSync(dist, { recursive: true, force: true });
say('tsc -p tsconfig.build.json …');
await execa('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: PACKAGE_ROOT, stdio: 'inherit' });
// Files the compiled code reads (or starts) next to itself.
for (const file of ['src/cluster/dynamicconfig.yaml', 'src/runner/spawner-child.mjs']) copyFileSync(path.join(PACKAGE_ROOT, file), path.join(dist, file));
say('bundling workflows …');
// From the compiled JavaScript: the bundle is exactly the code the package ships.
const { code } = await bundleWorkflowCode({ workflowsPath: path.join(dist, 'src/workflows/index.js'), logger: undefined as never });
writeFileSync(path.join(dist, 'workflow-bundle.js'), code);
say(`dist/ ready (workflow bundle ${(code.length / 1024).toFixed(0)} KiB)`);
