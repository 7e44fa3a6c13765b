// One drift report over two Parquet files; prints seconds and peak RSS (VmHWM) as JSON.
// Exact (no value budget): the baseline computes the same statistics on every value. bench/wide.ts compares sampled and exact.
import { readFileSync } from 'node:fs';
import { DataEngine } from '../src/data/engine.js';
import { detectDrift } from '../src/data/drift/detect.js';
import { SortedColumnCache } from '../src/data/drift/sorted-cache.js';

// A third argument: the folder of the reference's sorted columns (sorted-cache.ts), as a worker's state folder keeps it.
const [ref, cur, cacheDir] = process.argv.slice(2) as [string, string, string | undefined];
const t = performance.now();
const engine = await DataEngine.open({ memoryLimit: '768MB' });
const referenceCache = cacheDir ? new SortedColumnCache(cacheDir) : undefined;
const report = await detectDrift(engine, { location: ref, format: 'parquet' }, { location: cur, format: 'parquet' }, { smallReferenceRows: 1000, exact: true, ...(referenceCache ? { referenceCache } : {}) });
const seconds = (performance.now() - t) / 1000;
const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
const columns = Object.fromEntries(report.columns.map((c) => [c.column, { test: c.test, score: c.pValue ?? c.statistic, drifted: c.drifted }]));
process.stdout.write(JSON.stringify({ seconds, peakMiB: Number(hwm?.[1] ?? 0) / 1024, driftedShare: report.driftedShare, columns, ...(referenceCache ? { cache: referenceCache.stats } : {}) }));
