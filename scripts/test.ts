/**
 * `npm test`: starts one Temporal dev server and bundles the workflows once for the whole run,
 * then runs every test file with node's test runner (each file in its own process). Then the
 * cluster part: the files in CLUSTER_FILES again, against the production-shaped cluster
 * (`retrain cluster up`: PostgreSQL + the real server), in a fresh namespace set up by `retrain setup`.
 *   npm test                       all tests on the dev server, then the cluster part
 *   npm test -- test/unit          one folder or file (dev server only)
 *   npm test -- test/integration/controller.test.ts --test-name-pattern=follow-up
 *   npm test -- --node 24          NODE_COMPAT_FILES on another Node.js major (installed once into the cache)
 *   npm test -- --node 24 test     every dev-server test file on that major
 *   npm test -- --cluster [files]  the cluster part only (default: CLUSTER_FILES); also RETRAIN_TEST_CLUSTER=1
 *   RETRAIN_SKIP_CLUSTER=1 npm test   skip the cluster part (CI never sets it; --node runs the dev-server part only)
 */
import { mkdtempSync, readdirSync, statSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { execa } from 'execa';
import { startDevServer } from '../src/temporal/dev-server.js';
import { installRuntime } from '../src/temporal/runtime.js';
import { PROJECT_ROOT } from '../src/temporal/cli-binary.js';
import { WORKFLOWS_PATH } from '../src/worker.js';
import { ensureNode } from './node-runtime.js';
import { clusterDown, clusterEnv, clusterUp } from '../src/cluster/cluster.js';

/**
 * What runs on the cluster as well: the pipeline, the controller (incl. its Temporal Schedule),
 * promotion with approval and rollback, worker kills (chaos), setup itself, and test/cluster (checks only the cluster
 * can pass: the server version, PostgreSQL persistence, the UI). Chosen because they exercise the
 * server's features rather than the dev server's specifics (server-restart restarts the dev server).
 */
const CLUSTER_FILES = [
  'test/cluster',
  'test/integration/cluster-setup.test.ts',
  'test/integration/pipeline.test.ts',
  'test/integration/controller.test.ts',
  'test/integration/promotion.test.ts',
  'test/integration/worker-kills.test.ts',
  // Hosts that share no disk: two workers in their own mount namespaces, against the cluster and MLflow.
  'test/integration/two-hosts.test.ts',
];
const CLUSTER_ONLY = path.resolve('test/cluster');

/**
 * What another Node.js major runs by default: what differs between majors — the installed package and its bin
 * (spawned CLI, trainer, dev server), the worker's bundle and native bridge (a pipeline end to end), the recorded
 * histories — not behaviour the main run already checked. `npm test -- --node 24 test` runs every file.
 */
const NODE_COMPAT_FILES = [
  'test/replay',
  'test/unit/cli-usage.test.ts',
  'test/integration/package-install.test.ts',
  'test/integration/pipeline.test.ts',
];

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
const say = (l: string) => process.stderr.write(`[test] ${l}\n`);
const resolved = targets.map((t) => path.resolve(t));
const clusterOnly = args.includes('--cluster') || process.env.RETRAIN_TEST_CLUSTER === '1' || (resolved.length > 0 && resolved.every((t) => t.startsWith(CLUSTER_ONLY)));
const nodeFlags = passThrough.filter((a) => a !== '--cluster');
// test/cluster needs the cluster: the dev-server pass leaves it out.
const devFiles = clusterOnly ? [] : (targets.length ? targets : nodeMajor ? NODE_COMPAT_FILES : ['test']).flatMap((t) => testFiles(path.resolve(t))).filter((f) => !f.startsWith(CLUSTER_ONLY));
// The cluster part checks the server, not the Node.js release: another --node runs the dev-server part only.
const clusterFiles = clusterOnly ? (targets.length ? targets : CLUSTER_FILES) : !targets.length && !nodeMajor && process.env.RETRAIN_SKIP_CLUSTER !== '1' ? CLUSTER_FILES : [];
const node = nodeMajor ? await ensureNode(nodeMajor, say) : process.execPath;

const bundleFile = path.join(PROJECT_ROOT, '.retrain', 'test', 'workflow-bundle.js');
mkdirSync(path.dirname(bundleFile), { recursive: true });
say('bundling workflows once for all tests …');
const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: undefined as never });
writeFileSync(bundleFile, code);

/**
 * A hang must fail one file, not eat CI's whole budget: node's runner applies --test-timeout to each file's process as
 * well as to each test (the slowest file takes about 2 min), and --test-force-exit ends a file whose tests are done
 * but whose event loop a leaked handle keeps alive.
 */
const FILE_BOUNDS = ['--test-timeout=600000', '--test-force-exit'];
/**
 * test/unit runs two files at a time (its files touch no server and share nothing, as in `npm run test:unit`); the
 * rest one at a time: they share the dev server's visibility, and several restart servers or kill workers.
 */
const UNIT = path.resolve('test/unit');
const runFiles = async (files: string[], env: Record<string, string>) => {
  const unit = files.filter((f) => f.startsWith(UNIT));
  const rest = files.filter((f) => !f.startsWith(UNIT));
  let code = 0;
  if (rest.length) code = Math.max(code, await runBatch(rest, 1, env));
  if (unit.length) code = Math.max(code, await runBatch(unit, 2, env));
  return code;
};
const runBatch = async (files: string[], concurrency: number, env: Record<string, string>) =>
  (
    await execa(node, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...FILE_BOUNDS, ...nodeFlags, ...files], {
      stdio: 'inherit',
      reject: false,
      env: {
        RETRAIN_TEST_BUNDLE: bundleFile,
        RETRAIN_LOG_LEVEL: 'ERROR',
        // Spawned commands (`node`, `npx retrain …`, trainers) run on the same Node.js as the tests.
        PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH}`,
        ...env,
      },
    })
  ).exitCode ?? 1;

let failed = false;
if (devFiles.length) {
  const server = await startDevServer({ headless: true, port: 0, progress: say });
  say(`running ${devFiles.length} test file(s) on Node.js ${nodeMajor ? (await execa(node, ['--version'])).stdout : process.version} against the dev server on ${server.address}`);
  if ((await runFiles(devFiles, { TEMPORAL_ADDRESS: server.address })) !== 0) failed = true;
  await server.stop();
}
// The cluster part runs even after a dev-server failure: both results are worth having.
if (clusterFiles.length && !(await clusterPart(clusterFiles.flatMap((t) => testFiles(path.resolve(t)))))) failed = true;
process.exit(failed ? 1 : 0);

/** A throwaway cluster (fresh database, fresh namespace), set up with `retrain setup` as a user would. */
async function clusterPart(files: string[]): Promise<boolean> {
  const started = Date.now();
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'retrain-test-cluster-'));
  const namespace = `retrain-test-${Date.now().toString(36)}`;
  try {
    const up = await clusterUp({ stateDir, namespace, port: 0, uiPort: 0, progress: say });
    const env = { ...clusterEnv(up), RETRAIN_TEST_CLUSTER: '1', RETRAIN_RECORD_HISTORIES: '0' };
    const setup = await execa(process.execPath, [path.join(PROJECT_ROOT, 'bin/retrain.js'), 'setup'], { env, reject: false });
    if (setup.exitCode !== 0) throw new Error(`retrain setup failed:\n${setup.stderr}`);
    say(`cluster up in ${((Date.now() - started) / 1000).toFixed(1)} s (${JSON.stringify(up.timings)}); ${setup.stdout.replace(/\n\s*/g, ' ')}`);
    say(`running ${files.length} test file(s) against the cluster on ${up.address}, namespace ${namespace}`);
    return (await runFiles(files, env)) === 0;
  } finally {
    await clusterDown({ stateDir, purge: true });
    say(`cluster part took ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
}
