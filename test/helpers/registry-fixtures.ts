import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ModelVersion, Registry } from '../../src/registry/registry.js';

/** Registers version `i` of a tiny model straight into a registry (tests where the pipeline is not under test). */
export async function registerFixtureVersion(registry: Registry, model: string, dir: string, i: number): Promise<ModelVersion> {
  const artifactDir = path.join(dir, `model-${i}`);
  mkdirSync(artifactDir, { recursive: true });
  writeFileSync(path.join(artifactDir, 'model.json'), JSON.stringify({ version: i }));
  return registry.register({
    model,
    recordId: `retrain/${model}/run-${i}`,
    workflowId: `retrain/${model}/run-${i}`,
    artifactDir,
    dataFingerprint: { sha256: String(i).repeat(64), files: 1, bytes: 1, rows: 1, schema: [] },
    params: {},
    metrics: { auc: 0.7 },
    triggers: ['manual'],
    codeVersion: undefined,
  });
}

/** Fresh labelled data on which a model does badly: every label of `column` flips (0 ↔ 1). */
export function flipLabels(file: string, column: string): void {
  const [header, ...rows] = readFileSync(file, 'utf8').trim().split('\n');
  const col = header!.split(',').indexOf(column);
  writeFileSync(file, [header, ...rows.map((r) => r.split(',').map((v, i) => (i === col ? String(1 - Number(v)) : v)).join(','))].join('\n') + '\n');
}
