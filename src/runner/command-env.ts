import path from 'node:path';

/**
 * The environment of a training, evaluation or deploy command. It never inherits the worker's
 * whole environment: the worker holds TEMPORAL_API_KEY, MLFLOW_TRACKING_TOKEN, webhook URLs and
 * the gateway secret, and a command is user code. A command gets, in this order (later wins):
 *   1. the allow-list below, taken from the worker's environment when set;
 *   2. the variables its `passEnv` names (how to hand it a credential it needs, by name);
 *   3. its `venv`: `<venv>/bin` first on PATH, VIRTUAL_ENV set (so `[python, train.py]` is the venv's python);
 *   4. its `env` block from the config;
 *   5. the RETRAIN_* contract variables.
 */

/** What a program needs to run as the worker's user, find its tools and speak its locale. */
export const PASSED_ENV: readonly string[] = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'TZ',
  'TMPDIR',
  // Python environments: a trainer installed in a venv or conda env must still import its packages.
  'PYTHONPATH',
  'VIRTUAL_ENV',
  'CONDA_PREFIX',
  // GPU pools pick devices per worker; CUDA libraries are often found through the loader path.
  'CUDA_VISIBLE_DEVICES',
  'LD_LIBRARY_PATH',
];
/** Locale categories (LC_ALL, LC_CTYPE, …) pass as a family. */
export const PASSED_ENV_PREFIXES: readonly string[] = ['LC_'];

export function commandEnv(
  workerEnv: NodeJS.ProcessEnv,
  spec: { env: Record<string, string>; passEnv?: readonly string[] | undefined; venv?: string | undefined },
  contract: Record<string, string>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(workerEnv)) {
    if (value === undefined) continue;
    if (PASSED_ENV.includes(name) || PASSED_ENV_PREFIXES.some((p) => name.startsWith(p))) env[name] = value;
  }
  for (const name of spec.passEnv ?? []) {
    const value = workerEnv[name];
    if (value !== undefined) env[name] = value;
  }
  if (spec.venv) {
    env.PATH = [path.join(spec.venv, 'bin'), env.PATH].filter(Boolean).join(path.delimiter);
    env.VIRTUAL_ENV = spec.venv;
    // A PYTHONHOME from the worker would point the venv's python at another installation's stdlib.
    delete env.PYTHONHOME;
  }
  return { ...env, ...spec.env, ...contract };
}
