/**
 * `npm test`: bundles the workflows once for the whole run, starts two Temporal dev servers and runs every test
 * file with node's test runner (each file in its own process) in two lanes, one per server (DEV_LANES). Then the
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
import { createInterface } from 'node:readline';
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
 * The dev-server part runs in two lanes, each with its own dev server and one file at a time: integration files share
 * a server's visibility, and several restart servers or kill workers, so no two files share a server. Most files wait
 * (on training subprocesses, timers, servers) more than they compute, so two lanes on 2 cores nearly halve the wall
 * time. Files are dealt longest first by the seconds they took here (FILE_SECONDS; unlisted files count SHORT_FILE).
 * The cluster part keeps one lane: its files share one namespace, and controller ids are unique per namespace.
 */
const DEV_LANES = 2;
const FILE_SECONDS: Record<string, number> = {
  'test/integration/dvc-train.test.ts': 137,
  'test/integration/promotion.test.ts': 81,
  'test/integration/dvc.test.ts': 75,
  'test/integration/package-install.test.ts': 70,
  'test/integration/two-hosts.test.ts': 69,
  'test/integration/controller.test.ts': 66,
};
const SHORT_FILE = 20;
function dealLanes(files: string[], lanes: number): string[][] {
  const cost = (f: string) => FILE_SECONDS[path.relative(PROJECT_ROOT, f)] ?? SHORT_FILE;
  const out = Array.from({ length: lanes }, () => ({ files: [] as string[], seconds: 0 }));
  for (const f of [...files].sort((x, y) => cost(y) - cost(x) || x.localeCompare(y))) {
    const lane = out.reduce((min, l) => (l.seconds < min.seconds ? l : min));
    lane.files.push(f);
    lane.seconds += cost(f);
  }
  return out.map((l) => l.files.sort()).filter((l) => l.length > 0);
}
/** One node test runner over `files`, one file at a time; with a `label`, each output line is prefixed with it. */
const runFiles = async (files: string[], env: Record<string, string>, label?: string) => {
  const child = execa(node, ['--import', 'tsx', '--test', '--test-concurrency=1', ...FILE_BOUNDS, ...nodeFlags, ...files], {
    stdio: label ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    reject: false,
    env: {
      RETRAIN_TEST_BUNDLE: bundleFile,
      RETRAIN_LOG_LEVEL: 'ERROR',
      // Spawned commands (`node`, `npx retrain …`, trainers) run on the same Node.js as the tests.
      PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH}`,
      ...env,
    },
  });
  if (label) {
    for (const [from, to] of [[child.stdout, process.stdout], [child.stderr, process.stderr]] as const) {
      createInterface({ input: from! }).on('line', (line) => to.write(`${label} ${line}\n`));
    }
  }
  return (await child).exitCode ?? 1;
};

let failed = false;
if (devFiles.length) {
  const lanes = dealLanes(devFiles, DEV_LANES);
  const servers = await Promise.all(lanes.map(() => startDevServer({ headless: true, port: 0, progress: say })));
  const version = nodeMajor ? (await execa(node, ['--version'])).stdout : process.version;
  say(`running ${devFiles.length} test file(s) on Node.js ${version} in ${lanes.length} lane(s), each against its own dev server (${servers.map((s) => s.address).join(', ')})`);
  const codes = await Promise.all(
    lanes.map((files, i) => runFiles(files, { TEMPORAL_ADDRESS: servers[i]!.address }, lanes.length > 1 ? `[lane ${i + 1}]` : undefined)),
  );
  if (codes.some((c) => c !== 0)) failed = true;
  await Promise.all(servers.map((s) => s.stop()));
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
