import type { Command } from 'commander';
import { requestRun } from '../../client/pipeline-run.js';
import { configPathFromEnv, loadConfig, modelConfig } from '../../config/load.js';
import { openRegistry } from '../../registry/open.js';
import { withRunIdAlias } from '../../registry/registry.js';
import { ConfigError } from '../../errors.js';
import { connectClient, resolveTemporal, workflowUrl } from '../../temporal/connection.js';
import { formatResult } from '../format-result.js';
import { EXIT, ExitSignal } from '../exit-codes.js';
import { print, printJson, table, fmt } from '../output.js';

export function registerPipeline(program: Command): void {
  program
    .command('run <model>')
    .description('ask the model\'s controller for a run now (no quiet period) and wait for its outcome (needs a worker); the controller\'s one-run-at-a-time gate and the evidence policy apply')
    .option('--force', 'retrain even when data and params are unchanged (a forced trigger: no coalescing wait)')
    .option('--json', 'machine-readable output')
    .action(async (model: string, o: { force?: boolean; json?: boolean }) => {
      const config = loadConfig(configPathFromEnv());
      modelConfig(config, model);
      const target = await resolveTemporal({ stateDir: config.stateDir, start: false });
      const client = await connectClient(target);
      try {
        let lastWait = '';
        const answer = await requestRun(client, {
          model,
          reason: 'manual',
          source: 'retrain run',
          force: Boolean(o.force),
          now: true,
          onWaiting: (s) => {
            const what = s.phase === 'running' && s.running ? `after the run in progress, ${s.running.workflowId}` : s.phase === 'waiting' && s.runAt ? `coalescing until ${s.runAt}` : '';
            if (!o.json && what && what !== lastWait) print(`  · waiting: ${(lastWait = what)}`);
          },
          onStarted: (workflowId) => {
            const link = workflowUrl(target, workflowId);
            if (!o.json) print(`started ${workflowId}${link ? `\n  ${link}` : ''}`);
          },
          onStep: (step) => !o.json && print(`  · ${step}`),
        });
        // No idempotency key is sent, so a run always answers; the other answers are defensive.
        if (answer.state !== 'finished') throw new Error(`the controller did not assign a run to this request (${answer.state}); see retrain status ${model}`);
        const { workflowId, result } = answer;
        if (o.json) printJson({ workflowId, ...result });
        else print(formatResult(result));
        if (result.outcome === 'failed') throw new ExitSignal(EXIT.failure);
      } finally {
        await client.connection.close();
      }
    });

  program
    .command('models [model]')
    .description('the configured models with their production version; with a model: its versions, aliases and lineage')
    .option('--at <time>', 'with a model: which version was in production at this time (ISO, e.g. 2026-03-15T12:00:00Z)')
    .option('--json', 'machine-readable output')
    .action(async (model: string | undefined, o: { json?: boolean; at?: string }) => {
      const config = loadConfig(configPathFromEnv());
      const registry = openRegistry(config);
      const alias = config.registry.alias;
      if (!model) {
        const rows = [];
        for (const [name, m] of Object.entries(config.models)) {
          const versions = await registry.listVersions(name);
          rows.push({ model: name, description: m.description ?? '', production: await registry.getAlias(name, alias), versions: versions.length, latest: versions.at(-1)?.createdAt ?? null });
        }
        if (o.json) return printJson(rows);
        return print(table(['model', 'production', 'versions', 'latest version created', 'description'], rows.map((r) => [r.model, r.production === null ? 'none' : `v${r.production}`, r.versions, r.latest, r.description])));
      }
      modelConfig(config, model);
      if (o.at) {
        const at = new Date(o.at);
        if (Number.isNaN(at.getTime())) throw new ConfigError(`--at: expected an ISO time such as 2026-03-15T12:00:00Z, got ${JSON.stringify(o.at)}`);
        const move = (await registry.aliasHistory(model)).filter((m) => m.alias === alias && Date.parse(m.at) <= at.getTime()).at(-1) ?? null;
        const version = move?.to ?? null;
        if (o.json) return printJson({ model, alias, at: at.toISOString(), version, since: move?.at ?? null, move: move && withRunIdAlias(move) });
        return print(version === null ? `${model}: no ${alias} version at ${at.toISOString()}` : `${model}: v${version} was ${alias} at ${at.toISOString()} (since ${move!.at}, moved by ${move!.actor}: ${move!.reason})`);
      }
      const versions = await registry.listVersions(model);
      const production = await registry.getAlias(model, alias);
      if (o.json) return printJson({ model, production, versions: versions.map(withRunIdAlias), aliasHistory: (await registry.aliasHistory(model)).map(withRunIdAlias) });
      if (!versions.length) return print(`no versions of ${model} yet`);
      // A commit reads as its first 12 hex digits, `-dirty` kept: enough to `git checkout` it.
      const code = (c: string | undefined) => (c ?? 'unknown').replace(/\b([0-9a-f]{12})[0-9a-f]{28,52}\b/g, '$1');
      print(table(['version', 'alias', 'created', 'metrics', 'data sha256', 'rows', 'code', 'triggers', 'workflow'], versions.map((v) => [
        v.version,
        [v.version === production ? alias : '', v.rolledBack ? `rolled back ${v.rolledBack.at.slice(0, 10)} by ${v.rolledBack.by}` : ''].filter(Boolean).join(', '),
        v.createdAt,
        Object.entries(v.metrics).filter(([k]) => k !== 'rows').map(([k, x]) => `${k} ${fmt(x)}`).join(', '),
        v.dataFingerprint.sha256.slice(0, 12),
        v.dataFingerprint.rows,
        code(v.codeVersion),
        v.triggers.join(','),
        v.workflowId,
      ])));
      const tracked = versions.filter((v) => v.dvc);
      if (tracked.length) {
        print('\nDVC lineage (restore with `retrain reproduce <model> <version>`):');
        print(table(['version', 'dvc md5', 'entry', 'commit'], tracked.map((v) => [v.version, v.dvc!.md5, v.dvc!.stage ? `${v.dvc!.file}:${v.dvc!.stage}` : v.dvc!.file, v.dvc!.commit?.slice(0, 12) ?? 'none'])));
      }
      const trained = versions.filter((v) => v.lineage);
      if (trained.length) {
        print('\nTraining lineage (lineage.json tags; train.dvc stage, commit, model md5, push):');
        print(table(['version', 'dvc stage', 'commit', 'model md5', 'pushed to', 'tags'], trained.map((v) => {
          const d = v.lineage!.dvc;
          return [v.version, d?.stage ?? '', d?.commit.slice(0, 12) ?? '', d?.model.md5 ?? '', d?.push ? d.push.remote : '', Object.entries(v.lineage!.tags ?? {}).map(([k, x]) => `${k}=${x}`).join(', ')];
        })));
      }
      const moves = await registry.aliasHistory(model);
      if (moves.length) {
        print(`\n${alias} history:`);
        print(table(['at', 'from', 'to', 'by', 'why'], moves.map((m) => [m.at, m.from === null ? 'none' : `v${m.from}`, m.to === null ? 'none' : `v${m.to}`, m.actor, m.reason])));
      }
    });

  program
    .command('config')
    .description('configuration helpers')
    .command('validate')
    .description('validate retrain.config.yaml (or $RETRAIN_CONFIG): the schema, then what check would fail on (paths inside dataRoots, files present, columns the rules name)')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }) => {
      const config = loadConfig(configPathFromEnv());
      const { DataEngine } = await import('../../data/engine.js');
      const { deepCheck } = await import('../../config/deep-check.js');
      const engine = await DataEngine.open();
      let problems;
      try {
        problems = await deepCheck(engine, config);
      } finally {
        engine.close();
      }
      if (o.json) printJson({ file: config.file, models: Object.keys(config.models), valid: problems.length === 0, problems });
      else if (problems.length === 0) print(`${config.file}: valid; models: ${Object.keys(config.models).join(', ')}`);
      else {
        print(`${config.file}: ${problems.length} problem(s)`);
        for (const p of problems) print(`  ${p.field}${p.value ? ` (${p.value})` : ''}: ${p.problem}`);
      }
      if (problems.length) throw new ExitSignal(EXIT.invalidInput);
    });
}
