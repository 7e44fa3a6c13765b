// Our validation of one Parquet file with the same rules as validation_baseline.py; prints seconds and peak RSS.
import { readFileSync } from 'node:fs';
import { validationSchema } from '../src/config/schema.js';
import { DataEngine } from '../src/data/engine.js';
import { validateDataset } from '../src/data/validate.js';

const [file] = process.argv.slice(2) as [string];
const columns: Record<string, unknown> = {};
for (let i = 0; i < 12; i++) columns[`n${i}`] = { type: 'numeric', min: -10, max: 10, maxNullRatio: 0.01 };
for (let i = 0; i < 8; i++) columns[`c${i}`] = { type: 'string', allowed: Array.from({ length: 5 + i * 3 + 1 }, (_, k) => `c${k}`) };
const validation = validationSchema.parse({ minRows: 1, columns });
const t = performance.now();
const engine = await DataEngine.open({ memoryLimit: '768MB' });
const report = await validateDataset(engine, file, { data: { target: 'c0', format: 'parquet' }, validation });
const seconds = (performance.now() - t) / 1000;
const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
process.stdout.write(JSON.stringify({ seconds, peakMiB: Number(hwm?.[1] ?? 0) / 1024, violations: report.violations.length }));
