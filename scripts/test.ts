/**
 * `npm test`: starts one Temporal dev server and bundles the workflows once for the whole run,
 * then runs every test file with node's test runner (each file in its own process).
 *   npm test                       all tests
 *   npm test -- test/unit          one folder or file
 *   npm test -- test/integration/controller.test.ts --test-name-pattern=follow-up
 *   npm test -- --node 24          the test files run on another Node.js major (installed once into the cache)
 */
import { readdirSync, statSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { execa } from 'execa';
import { startDevServer } from '../src/temporal/dev-server.js';
import { installRuntime } from '../src/temporal/runtime.js';
import { PROJECT_ROOT } from '../src/temporal/cli-binary.js';
import { WORKFLOWS_PATH } from '../src/worker.js';
import { ensureNode } from './node-runtime.js';

function testFiles(target: string): string[] {
  if (statSync(target).isFile()) return [target];
  return readdirSync(target, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => path.join(target, f))
    .sort();
}

installRuntime('ERROR');
const argv = process.argv.slice(2).filter((a) => a !== '--');
const nodeAt = argv.findIndex((a) => a === '--node' || a.startsWith('--node='));
const nodeMajor = nodeAt === -1 ? undefined : argv[nodeAt]!.includes('=') ? argv[nodeAt]!.split('=')[1] : argv[nodeAt + 1];
const args = nodeAt === -1 ? argv : argv.filter((_a, i) => i !== nodeAt && (argv[nodeAt]!.includes('=') || i !== nodeAt + 1));
// Flags such as --test-name-pattern=… go to node's test runner; the rest are files or folders.
const passThrough = args.filter((a) => a.startsWith('--'));
const targets = args.filter((a) => !a.startsWith('--'));
const files = (targets.length ? targets : ['test']).flatMap((t) => testFiles(path.resolve(t)));
const say = (l: string) => process.stderr.write(`[test] ${l}\n`);

const node = nodeMajor ? await ensureNode(nodeMajor, say) : process.execPath;
const server = await startDevServer({ headless: true, port: 0, progress: say });
const bundleFile = path.join(PROJECT_ROOT, '.retrain', 'test', 'workflow-bundle.js');
mkdirSync(path.dirname(bundleFile), { recursive: true });
say('bundling workflows once for all tests …');
const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: undefined as never });
writeFileSync(bundleFile, code);
say(`running ${files.length} test file(s) on Node.js ${nodeMajor ? (await execa(node, ['--version'])).stdout : process.version} against ${server.address}`);
const run = await execa(node, ['--import', 'tsx', '--test', '--test-concurrency=1', ...passThrough, ...files], {
  stdio: 'inherit',
  reject: false,
  env: {
    TEMPORAL_ADDRESS: server.address,
    RETRAIN_TEST_BUNDLE: bundleFile,
    RETRAIN_LOG_LEVEL: 'ERROR',
    // Spawned commands (`node`, `npx retrain …`, trainers) run on the same Node.js as the tests.
    PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH}`,
  },
});
await server.stop();
process.exit(run.exitCode ?? 1);
