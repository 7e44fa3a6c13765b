import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { chmod, cp, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { execa } from 'execa';
import { configPathFromEnv, loadConfig, modelConfig } from '../../config/load.js';
import { ConfigError, FailureType, RetrainError } from '../../errors.js';
import { dvcBinary, restoreSteps } from '../../lineage/dvc.js';
import { listFiles } from '../../registry/hash-dir.js';
import { openRegistry } from '../../registry/open.js';
import { print, printJson } from '../output.js';

/** sha256 over every file's bytes in sorted order: the same hash as the version's data fingerprint. */
export async function hashDataFolder(dir: string): Promise<{ sha256: string; files: number }> {
  const files = await listFiles(dir);
  const hash = createHash('sha256');
  for (const f of files) for await (const chunk of createReadStream(path.join(dir, f), { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return { sha256: hash.digest('hex'), files: files.length };
}

export function registerReproduce(program: Command): void {
  program
    .command('reproduce <model> <version>')
    .description('how to restore exactly the code and data that trained a version; with --into, restore the data and check its hash')
    .option('--into <dir>', 'restore the training data into this (new or empty) folder and check its sha256')
    .option('--json', 'machine-readable output')
    .action(async (model: string, versionArg: string, o: { into?: string; json?: boolean }) => {
      const config = loadConfig(configPathFromEnv());
      modelConfig(config, model);
      const version = Number(versionArg);
      if (!Number.isInteger(version) || version < 1) throw new ConfigError(`version: expected a positive whole number, got ${JSON.stringify(versionArg)}`, { field: 'version', value: versionArg });
      const v = await openRegistry(config).getVersion(model, version);
      if (!v) throw new RetrainError(FailureType.Registry, `model ${model} has no version ${version}`, { model, version });
      const sha = v.dataFingerprint.sha256;
      const snapshot = path.join(config.stateDir, 'snapshots', model, sha);
      const haveSnapshot = existsSync(snapshot);
      const steps = [
        ...(v.dvc ? restoreSteps(v.dvc) : []),
        ...(haveSnapshot ? [`# or copy the content-addressed snapshot: ${snapshot}`] : []),
      ];
      const plan = {
        model,
        version,
        dataSha256: sha,
        codeVersion: v.codeVersion ?? null,
        dvc: v.dvc ?? null,
        snapshot: haveSnapshot ? snapshot : null,
        steps,
      };
      if (!o.into) {
        if (o.json) return printJson(plan);
        if (!steps.length) return print(`${model} v${version}: no DVC lineage and no snapshot kept; data sha256 ${sha} (code ${v.codeVersion ?? 'unknown'})`);
        return print([`${model} v${version} trained on data sha256 ${sha}${v.dvc?.matches === false ? ' (which differs from its DVC md5: use the snapshot)' : ''}:`, ...steps.map((s) => `  ${s}`)].join('\n'));
      }
      const into = path.resolve(o.into);
      if (existsSync(into) && (await readdir(into)).length > 0) throw new ConfigError(`--into: ${into} is not empty`, { field: 'into', value: into });
      await mkdir(into, { recursive: true });
      let source: string;
      if (haveSnapshot) {
        await cp(snapshot, into, { recursive: true });
        // Snapshot files are read-only; the restored copy belongs to the user.
        for (const f of await listFiles(into)) await chmod(path.join(into, f), 0o644);
        source = 'snapshot';
      } else if (v.dvc?.commit) {
        // argv, no shell: repo, path and commit are data. DVC reads the data from that commit's cache or remote.
        const r = await execa(dvcBinary(), ['get', v.dvc.repo, v.dvc.path, '--rev', v.dvc.commit, '-o', path.join(into, path.basename(v.dvc.path))], { reject: false, stdin: 'ignore' });
        if (r.exitCode !== 0) throw new RetrainError(FailureType.DataSource, `dvc get ${v.dvc.path} at ${v.dvc.commit} failed: ${(r.stderr || r.stdout).trim().slice(0, 500)}`, { model, version });
        source = `dvc get ${v.dvc.path} --rev ${v.dvc.commit}`;
      } else {
        throw new RetrainError(FailureType.DataSource, `${model} v${version}: no snapshot kept (${snapshot}) and no DVC lineage to restore from`, { model, version });
      }
      const got = await hashDataFolder(into);
      if (got.sha256 !== sha) {
        throw new RetrainError(FailureType.DataSource, `${into}: restored data (from ${source}) has sha256 ${got.sha256}, but ${model} v${version} trained on ${sha}`, { model, version, expected: sha, actual: got.sha256 });
      }
      if (o.json) return printJson({ ...plan, restored: { into, from: source, sha256: got.sha256, files: got.files } });
      print(`restored ${model} v${version}'s training data into ${into} from ${source}: sha256 ${got.sha256} matches`);
    });
}
