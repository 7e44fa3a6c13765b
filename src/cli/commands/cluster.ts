import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { configPathFromEnv, loadConfig } from '../../config/load.js';
import { ConfigError } from '../../errors.js';
import { print, printJson } from '../output.js';

const say = (line: string) => process.stderr.write(`${line}\n`);

/** The project's state folder when there is a config, else ./.retrain: `setup` and `cluster` work without one. */
function stateDir(): string {
  const file = configPathFromEnv();
  return existsSync(file) ? loadConfig(file).stateDir : path.resolve('.retrain');
}

export function registerCluster(program: Command): void {
  program
    .command('setup')
    .description('register the search attributes the workflows use on TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE (idempotent)')
    .option('--create-namespace', 'register the namespace first when it does not exist')
    .option('--wait <seconds>', 'retry until the server answers, for a cluster that is still starting (compose, Kubernetes jobs)', '0')
    .option('--json', 'machine-readable output')
    .action(async (o: { createNamespace?: boolean; wait: string; json?: boolean }) => {
      const { resolveTemporal } = await import('../../temporal/connection.js');
      const { ensureNamespace, ensureSearchAttributes } = await import('../../temporal/provision.js');
      const target = await resolveTemporal({ stateDir: stateDir(), start: false });
      const deadline = Date.now() + Number(o.wait) * 1000;
      const provision = async () => ({ namespace: o.createNamespace ? await ensureNamespace(target) : undefined, report: await ensureSearchAttributes(target) });
      let namespace, report;
      try {
        for (;;) {
          try {
            ({ namespace, report } = await provision());
            break;
          } catch (err) {
            // Not answering yet (connect failure, UNAVAILABLE) is worth waiting for; anything else is not.
            const code = (err as { code?: number }).code;
            const unreachable = code === 14 || code === 4 || /connect|ECONNREFUSED|ENOTFOUND|UNAVAILABLE/i.test((err as Error).message);
            if (!unreachable || Date.now() > deadline) throw err;
            await new Promise((r) => setTimeout(r, 1000));
          }
        }
      } catch (err) {
        if ((err as { code?: number }).code === 5) {
          throw new ConfigError(`namespace ${target.namespace} does not exist on ${target.address}: create it (temporal operator namespace create -n ${target.namespace}) or run \`retrain setup --create-namespace\``);
        }
        throw err;
      }
      if (o.json) return printJson({ address: target.address, ...(namespace ? { namespaceChange: namespace } : {}), ...report });
      if (namespace) print(`namespace ${target.namespace}: ${namespace}`);
      print(`search attributes on ${target.address}, namespace ${target.namespace}:`);
      for (const name of report.created) print(`  created  ${name}`);
      for (const name of report.found) print(`  found    ${name}`);
    });

  const cluster = program.command('cluster').description('a production-shaped Temporal cluster on this machine: PostgreSQL, the Temporal server (all services), the Web UI');
  cluster
    .command('up')
    .description('start it (building the binaries into the user cache the first time) and print the environment to export')
    .option('--state-dir <dir>', 'where the database, logs and pids live (default: <stateDir>/cluster)')
    .option('--namespace <name>', 'namespace to create and print', 'default')
    .option('--port <port>', 'preferred frontend port', '7233')
    .option('--ui-port <port>', 'preferred Web UI port', '8080')
    .option('--no-ui', 'skip the Web UI server')
    .option('--json', 'machine-readable output')
    .action(async (o: { stateDir?: string; namespace: string; port: string; uiPort: string; ui: boolean; json?: boolean }) => {
      const { clusterEnv, clusterUp } = await import('../../cluster/cluster.js');
      const { ensureSearchAttributes } = await import('../../temporal/provision.js');
      const dir = o.stateDir ? path.resolve(o.stateDir) : path.join(stateDir(), 'cluster');
      const up = await clusterUp({ stateDir: dir, namespace: o.namespace, port: Number(o.port), uiPort: Number(o.uiPort), ui: o.ui, progress: say });
      // A cluster for this project is only useful with the search attributes: register them too.
      const sa = await ensureSearchAttributes({ address: up.address, namespace: up.namespace, uiUrl: undefined, tls: undefined, apiKey: undefined, owned: undefined });
      if (sa.created.length) say(`search attributes created on ${up.namespace}: ${sa.created.join(', ')}`);
      const env = clusterEnv(up);
      if (o.json) return printJson({ ...env, reused: up.reused, stateDir: dir, timings: up.timings });
      say(up.reused ? `cluster already running (state in ${dir})` : `cluster up in ${up.timings.total?.toFixed(1)} s (state in ${dir})`);
      if (up.uiUrl) say(`Temporal Web UI: ${up.uiUrl}/namespaces/${up.namespace}/workflows`);
      say('export these, or run: eval "$(npx retrain cluster up)"');
      for (const [k, v] of Object.entries(env)) print(`export ${k}=${v}`);
    });
  cluster
    .command('down')
    .description('stop the UI, the server and PostgreSQL')
    .option('--state-dir <dir>', 'as given to `cluster up`')
    .option('--purge', 'also delete the database')
    .action(async (o: { stateDir?: string; purge?: boolean }) => {
      const { clusterDown } = await import('../../cluster/cluster.js');
      const dir = o.stateDir ? path.resolve(o.stateDir) : path.join(stateDir(), 'cluster');
      const was = await clusterDown({ stateDir: dir, ...(o.purge ? { purge: true } : {}) });
      print(was ? `cluster stopped${o.purge ? ' and its data deleted' : ''} (${dir})` : `no cluster recorded in ${dir}`);
    });
}
