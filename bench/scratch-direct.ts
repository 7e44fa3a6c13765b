// scratch: the activities called directly, profiled after warm-up (not committed)
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { defaultDeps } from '../src/activities/deps.js';
import { createActivities } from '../src/activities/index.js';
import { noopProjectDir } from './noop-project.js';
const N = Number(process.env.N ?? 60);
const { dir, model: base } = noopProjectDir('retrain-direct-', 'sh');
const models = Array.from({ length: N }, (_, i) => `m${i}`);
const file = path.join(dir, 'retrain.config.yaml');
writeFileSync(file, stringify({ version: 1, dataRoots: ['.'], stateDir: '.retrain', models: Object.fromEntries(models.map((m) => [m, base])) }, { aliasDuplicateObjects: false }));
import { DataEngine } from '../src/data/engine.js';
const q: Record<string, { n: number; ms: number }> = {};
let cur = '';
for (const m of ['rows', 'columns', 'doubles', 'doubleColumns'] as const) {
  const orig = (DataEngine.prototype as any)[m];
  (DataEngine.prototype as any)[m] = async function (this: unknown, sql: string, ...rest: unknown[]) {
    const c0 = process.cpuUsage();
    try { return await orig.call(this, sql, ...rest); } finally { const c = process.cpuUsage(c0); const k = cur + ' ' + sql.replace(/\s+/g, ' ').slice(0, 70); const e = (q[k] ??= { n: 0, ms: 0 }); e.n++; e.ms += (c.user + c.system) / 1000; }
  };
}
const a = createActivities(defaultDeps(file)) as any;
const cost: Record<string, number> = {};
const t = async <T>(k: string, p: () => Promise<T>): Promise<T> => { cur = k; const c0 = process.cpuUsage(); try { return await p(); } finally { const c = process.cpuUsage(c0); cost[k] = (cost[k] ?? 0) + (c.user + c.system) / 1000; } };
async function one(i: number) {
  const pipelineId = `retrain/m${i}/x${i}`;
  const plan = await t('planRun', () => a.planRun({ model: models[i] }));
  const { snapshot } = await t('snapshotAndValidate', () => a.snapshotAndValidate({ plan, pipelineId }));
  const check = await t('checkData', () => a.checkData({ plan, pipelineId }));
  const data = { location: snapshot.location, sha256: snapshot.fingerprint.sha256 };
  const trained = await t('trainCandidate', () => a.trainCandidate({ plan, pipelineId, data }));
  const scores = await t('evaluateModels', () => a.evaluateModels({ plan, pipelineId, candidate: trained.artifact, productionVersion: check.production?.version ?? null }));
  const reg = await t('registerCandidate', () => a.registerCandidate({ plan, pipelineId, workflowId: pipelineId, artifact: trained.artifact, fingerprint: snapshot.fingerprint, metrics: scores.candidate, triggers: ['manual'], data }));
  await t('promoteVersion', () => a.promoteVersion({ plan, recordId: pipelineId, version: reg.version, expected: null, reason: 'x' }));
}
const W = 10;
for (let i = 0; i < W; i++) await one(i);
for (const k of Object.keys(cost)) delete cost[k]; for (const k of Object.keys(q)) delete q[k];
const s = new Session(); s.connect();
if (process.env.PROF) { await s.post('Profiler.enable'); await s.post('Profiler.setSamplingInterval', { interval: 200 }); await s.post('Profiler.start'); }
for (let i = W; i < N; i++) await one(i);
if (process.env.PROF) { const { profile } = await s.post('Profiler.stop'); writeFileSync('/tmp/prof/direct.cpuprofile', JSON.stringify(profile)); }
for (const [k, v] of Object.entries(cost)) console.log(k.padEnd(22), (v / (N - W)).toFixed(1), 'ms');
for (const [k, v] of Object.entries(q).sort((x, y) => y[1].ms - x[1].ms)) console.log((v.ms / (N - W)).toFixed(2).padStart(7), (v.n / (N - W)).toFixed(1), k);
console.log('total', (Object.values(cost).reduce((x, y) => x + y, 0) / (N - W)).toFixed(1));
process.exit(0);
