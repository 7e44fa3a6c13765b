/**
 * `npm run bench`: benchmarks as ratios against a baseline run side by side. Each benchmark's
 * result is kept in bench/results.json, and BENCHMARKS.md is rendered from all of them, so one
 * benchmark can be re-run alone:
 *   npm run bench                                   all; drift and validation at 1,000,000 rows
 *   npm run bench -- --rows 10000000                the data-check issue's full size
 *   npm run bench -- --only drift --rows 100000000  100M rows (10 GB a file; no numpy baseline at that size)
 *   npm run bench -- --only latency,overhead,scale  the Temporal-side benchmarks
 *   npm run bench -- --only handoff                 task handoff: the shipped queue read rates vs the server's defaults
 *   npm run bench -- --only evidently --evidently-rows 100000
 *   npm run bench -- --only skip --fingerprint-gib 2    skipped-check CPU and cached fingerprints
 *   npm run bench -- --only estimate --rows 10000000  performance estimated without labels (CBPE) vs NannyML
 *   npm run bench -- --only fleet                   1,000 scheduled models on one worker vs bare schedule ticks
 *   npm run bench -- --only fleet --models 10000 --fleet-interval 1200 --fleet-warmup 60 --fleet-window 240   the fleet issue's size
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { benchDrift, benchEvidently, benchValidation, type DriftBenchResult, type EvidentlyBenchResult, type ValidationBenchResult } from './drift.js';
import { benchEstimate, type EstimateBenchResult } from './estimate.js';
import { benchControllerScale, benchPipelineOverhead, benchTaskHandoff, benchTriggerLatency, DEFAULT_READ_RATES, workflowBundle, type HandoffResult, type LatencyResult, type OverheadResult, type ScaleResult } from './temporal.js';
import { benchSkipCheck, type SkipBenchResult } from './skip-check.js';
import { benchFleet, type FleetBenchResult, type FleetRun } from './fleet.js';
import { lineChartSvg } from './svg-chart.js';
import type { StepTime } from './step-times.js';
import { connectClient, connectNative } from '../src/temporal/connection.js';
import { startDevServer } from '../src/temporal/dev-server.js';
import { installRuntime } from '../src/temporal/runtime.js';

type At<T> = T & { at: string };
interface Results {
  /** Drift runs by row count, so a quick 1M run does not overwrite a long 10M one. */
  drift?: Record<string, At<DriftBenchResult>>;
  evidently?: At<EvidentlyBenchResult>;
  validation?: Record<string, At<ValidationBenchResult>>;
  /** CBPE estimator runs by row count of the current data. */
  estimate?: Record<string, At<EstimateBenchResult>>;
  latency?: At<LatencyResult>;
  handoff?: At<HandoffResult>;
  overhead?: At<OverheadResult>;
  scale?: At<ScaleResult>;
  skip?: At<SkipBenchResult>;
  /** Fleet runs by model count, so a quick 1,000-model run does not overwrite the 10,000 one. */
  fleet?: Record<string, At<FleetBenchResult>>;
  /**
   * One change to the check path measured as two profiled fleet runs at the same size (BENCH_RESULTS side
   * runs, merged here): before, and after the change.
   */
  fleetChange?: { change: string; before: At<FleetBenchResult>; after: At<FleetBenchResult> };
}

const ALL = 'drift,validation,estimate,evidently,handoff,latency,overhead,scale,skip,fleet';
const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    'evidently-rows': { type: 'string', default: '100000' },
    triggers: { type: 'string', default: '50' },
    runs: { type: 'string', default: '40' },
    controllers: { type: 'string', default: '1000' },
    checks: { type: 'string', default: '20' },
    'fingerprint-gib': { type: 'string', default: '2' },
    models: { type: 'string', default: '1000' },
    /** Seconds between two checks of one model; the N models are spread evenly over it. */
    'fleet-interval': { type: 'string', default: '120' },
    /** Seconds measured; default one interval (every model checked once). */
    'fleet-window': { type: 'string' },
    /** Seconds from the schedules' creation to the window; default one interval. */
    'fleet-warmup': { type: 'string' },
    only: { type: 'string' },
  },
});
// BENCH_RESULTS=<file>: keep a side run (a profile, a second bench at once) out of the committed results,
// and its rendering out of BENCHMARKS.md and docs/ (it goes next to the file: <file>.md and its SVGs).
const SIDE = Boolean(process.env.BENCH_RESULTS);
const RESULTS = SIDE ? path.resolve(process.env.BENCH_RESULTS!) : path.resolve(import.meta.dirname, 'results.json');
const results: Results = existsSync(RESULTS) ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as Results) : {};
const wanted = new Set((values.only ?? ALL).split(','));
const at = new Date().toISOString();
const say = (l: string) => process.stderr.write(`${l}\n`);
const save = () => writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);

if (wanted.has('drift')) {
  const rows = Number(values.rows);
  say(`drift: ${rows.toLocaleString()} rows × 20 columns, ours vs numpy/scipy …`);
  results.drift = { ...results.drift, [rows]: { ...(await benchDrift(rows)), at } };
  save();
}
if (wanted.has('validation')) {
  const rows = Number(values.rows);
  say(`validation: ${rows.toLocaleString()} rows × 20 columns, ours vs pandas …`);
  results.validation = { ...results.validation, [rows]: { ...(await benchValidation(rows)), at } };
  save();
}
if (wanted.has('estimate')) {
  const rows = Number(values.rows);
  say(`estimate: CBPE on ${rows.toLocaleString()} unlabelled rows, ours vs NannyML …`);
  results.estimate = { ...results.estimate, [rows]: { ...(await benchEstimate(rows)), at } };
  save();
}
if (wanted.has('evidently')) {
  const rows = Number(values['evidently-rows']);
  say(`drift: ${rows.toLocaleString()} rows × 20 columns, ours vs Evidently …`);
  results.evidently = { ...(await benchEvidently(rows)), at };
  save();
}
if (wanted.has('skip')) {
  say(`skipped checks: ${values.checks} on the bundled example, before and after; fingerprint of an unchanged ${values['fingerprint-gib']} GiB file …`);
  results.skip = { ...(await benchSkipCheck(Number(values.checks), Number(values['fingerprint-gib']), say)), at };
  save();
}
if (wanted.has('handoff')) {
  installRuntime('ERROR');
  say(`task handoff: ${values.triggers} bare six-activity runs one at a time, shipped dynamic config vs the server's default read rates …`);
  results.handoff = { ...(await benchTaskHandoff(Number(values.triggers), say)), at };
  save();
}
if (['latency', 'overhead', 'scale', 'fleet'].some((b) => wanted.has(b))) {
  installRuntime('ERROR');
  // BENCH_SERVER_DEFAULT_READ_RATES=1: the server with its own task-queue read rates, to measure what raising them costs.
  const server = await startDevServer({ headless: true, port: 0, progress: say, ...(process.env.BENCH_SERVER_DEFAULT_READ_RATES ? { dynamicConfig: DEFAULT_READ_RATES } : {}) });
  const target = { address: server.address, namespace: 'default', uiUrl: undefined } as Parameters<typeof connectClient>[0];
  const env = { client: await connectClient(target), connection: await connectNative(target), address: server.address, serverPid: server.pid };
  const bundle = await workflowBundle();
  try {
    if (wanted.has('latency')) {
      say(`trigger latency: ${values.triggers} triggers through the controller vs direct starts …`);
      results.latency = { ...(await benchTriggerLatency(env, Number(values.triggers), bundle)), at };
      save();
    }
    if (wanted.has('overhead')) {
      say(`pipeline overhead: ${values.runs} no-op pipelines vs bare six-activity workflows, one worker …`);
      results.overhead = { ...(await benchPipelineOverhead(env, Number(values.runs), bundle)), at };
      save();
    }
    if (wanted.has('scale')) {
      say(`controller scale: ${values.controllers} idle controllers …`);
      results.scale = { ...(await benchControllerScale(env, Number(values.controllers), bundle.file)), at };
      save();
    }
    if (wanted.has('fleet')) {
      const n = Number(values.models);
      const interval = Number(values['fleet-interval']);
      say(`fleet: ${n.toLocaleString()} models checked every ${interval} s on one worker, vs bare schedule ticks …`);
      results.fleet = { ...results.fleet, [n]: { ...(await benchFleet(env, n, interval, Number(values['fleet-window'] ?? interval), bundle.file, say, Number(values['fleet-warmup'] ?? interval))), at } };
      save();
    }
  } finally {
    await env.connection.close();
    await env.client.connection.close();
    await server.stop();
  }
}

/** Step → queue and run ms, one run's count; with a second list, its figures side by side (matched by step name). */
function stepTable(a: StepTime[], b?: StepTime[]): string[] {
  const f = (x: number) => (Number.isFinite(x) ? String(Math.round(x)) : '');
  const head = b ? ['| step | per run | queued ms | running ms | baseline per run | baseline queued ms | baseline running ms |', '|---|---|---|---|---|---|---|'] : ['| step | per run | queued ms | running ms |', '|---|---|---|---|'];
  const names = [...new Set([...a.map((x) => x.step), ...(b ?? []).map((x) => x.step)])];
  return [
    ...head,
    ...names.map((n) => {
      const x = a.find((s) => s.step === n);
      const y = b?.find((s) => s.step === n);
      const cells = (s: StepTime | undefined) => (s ? [String(s.perRun), f(s.queueMs), f(s.runMs)] : ['', '', '']);
      return `| ${n} | ${[...cells(x), ...(b ? cells(y) : [])].join(' | ')} |`;
    }),
    '',
  ];
}
const secs = (x: { seconds: number } | null | undefined) => (x ? x.seconds.toFixed(2) : '');
const mib = (x: { peakMiB: number } | null | undefined) => (x ? x.peakMiB.toFixed(0) : '');
const times = (base: { seconds: number } | null | undefined, ours: { seconds: number }) => (base ? `${(base.seconds / ours.seconds).toFixed(2)}×` : 'n/a');
const day = (x: { at: string }) => x.at.slice(0, 10);
const lines = [
  '# Benchmarks',
  '',
  `Rendered by \`npm run bench\` from bench/results.json. Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}; Temporal CLI dev server (SQLite).`,
  'Each pair ran side by side in one run on this machine; ratios, not absolute times, are the result.',
  '',
];
for (const d of Object.values(results.drift ?? {}).sort((a, b) => a.rows - b.rows)) {
  lines.push(
    `## Drift report: ${d.rows.toLocaleString()} rows × 20 columns (12 numeric, 8 categorical), Parquet (${day(d)})`,
    '',
    '| run | seconds | peak RSS MiB | speed-up over numpy/scipy |',
    '|---|---|---|---|',
    `| temporal-retrain (DuckDB, memory limit 768 MB) | ${secs(d.ours)} | ${mib(d.ours)} | ${times(d.baseline, d.ours)} |`,
    ...(d.cached
      ? [
          `| … reference kept sorted (drift.sortedReferenceMiB): first check after a promotion, sorts and keeps it | ${secs(d.cached.first)} | ${mib(d.cached.first)} | ${times(d.baseline, d.cached.first)} |`,
          `| … reference kept sorted: every later check, the current side sorted only | ${secs(d.cached.later)} | ${mib(d.cached.later)} | ${times(d.baseline, d.cached.later)} |`,
        ]
      : []),
    `| numpy/scipy baseline (same statistics) | ${d.baseline ? secs(d.baseline) : 'not run at this size'} | ${mib(d.baseline)} | 1× |`,
    '',
    ...(d.cached && d.cached.cacheMiB > 0 ? [`The kept reference took ${d.cached.cacheMiB.toFixed(0)} MiB of disk (8 bytes per finite numeric value); the reports with and without it were compared column by column and are equal.`, ''] : []),
    ...(d.cached && d.cached.cacheMiB === 0
      ? [
          `Nothing was kept at this size: 12 columns × ${d.rows.toLocaleString()} values need ${((12 * 8 * d.rows) / 2 ** 20).toFixed(0)} MiB, over drift.sortedReferenceMiB's default`,
          `(4096), so both "kept sorted" runs sorted both sides like the first row (a larger bound keeps it: 8 bytes a value).`,
          '',
        ]
      : []),
    ...(d.floor
      ? [
          `Sort floor, same files, same process kind: the 12 numeric columns of both sides read and sorted, nothing else, took`,
          `${d.floor.duckdbSort.toFixed(2)} s with DuckDB's ORDER BY and ${d.floor.typedArraySort.toFixed(2)} s read unsorted and sorted by Float64Array.prototype.sort;`,
          `the whole report took ${(d.ours.seconds / Math.min(d.floor.duckdbSort, d.floor.typedArraySort)).toFixed(2)}× the faster of the two${d.cached ? ` (with the reference kept sorted, ${(d.cached.later.seconds / Math.min(d.floor.duckdbSort, d.floor.typedArraySort)).toFixed(2)}×)` : ''}${d.load !== undefined ? ` (1-minute load average ${d.load.toFixed(1)} on ${os.cpus().length} cores)` : ''}.`,
          '',
        ]
      : []),
    `Fingerprint throughput on the reference Parquet file (best of 3, alternating): ${d.fingerprint.mibPerSec.toFixed(0)} MiB/s`,
    `(streamed sha256 + DuckDB row count and schema) vs ${d.fingerprint.rawSha256MibPerSec.toFixed(0)} MiB/s for raw sha256 of the same file`,
    `(node:crypto), i.e. ${((100 * d.fingerprint.mibPerSec) / d.fingerprint.rawSha256MibPerSec).toFixed(0)}% of raw hashing speed.`,
    '',
  );
}
for (const v of Object.values(results.validation ?? {}).sort((a, b) => a.rows - b.rows)) {
  lines.push(
    `## Validation rules: ${v.rows.toLocaleString()} rows × 20 columns, Parquet (${day(v)})`,
    '',
    'Ranges, null ratios and finiteness on 12 numeric columns, allowed categories on 8; every violation with samples.',
    '',
    '| run | seconds | peak RSS MiB | speed-up over pandas |',
    '|---|---|---|---|',
    `| temporal-retrain (DuckDB) | ${secs(v.ours)} | ${mib(v.ours)} | ${times(v.baseline, v.ours)} |`,
    `| pandas baseline (same rules) | ${v.baseline ? secs(v.baseline) : 'not run'} | ${mib(v.baseline)} | 1× |`,
    '',
  );
}
const e = results.evidently;
if (e) {
  lines.push(
    `## Against Evidently's DataDriftPreset: ${e.rows.toLocaleString()} rows × 20 columns (${day(e)})`,
    '',
    '| run | seconds | peak RSS MiB | speed-up over Evidently |',
    '|---|---|---|---|',
    `| temporal-retrain (DuckDB) | ${secs(e.ours)} | ${mib(e.ours)} | ${times(e.evidently, e.ours)} |`,
    `| Evidently DataDriftPreset | ${e.evidently ? secs(e.evidently) : 'not installed: python -m venv ~/.cache/temporal-retrain/tools/evidently && ~/.cache/temporal-retrain/tools/evidently/bin/pip install evidently pyarrow "pandas<3"'} | ${mib(e.evidently)} | 1× |`,
    '',
  );
  const a = e.agreement;
  if (a) {
    lines.push(
      `Same answers: both picked the same test for ${a.sameTest} of ${a.columns} columns; their scores differ by at most ${a.maxScoreDifference.toExponential(1)};`,
      `drifted share ${a.driftedShare.ours} (ours) and ${a.driftedShare.evidently} (Evidently).`,
      '',
    );
  }
}
const pctOf = (share: number | undefined) => (share === undefined ? '' : `${(share * 100).toFixed(1)} % of a core`);
const h = results.handoff;
if (h) {
  lines.push(
    `## Task handoff: one run at a time, shipped dynamic config vs the server's defaults, ${h.runs} runs (${day(h)})`,
    '',
    'The bare six-activity workflow (7 workflow tasks), started and awaited one at a time on a fresh dev server. The',
    'history service reads each shard\'s task queues at most 20 times a second by default, so each handoff (an activity',
    'done → the next workflow task) waits for the next read; src/cluster/dynamicconfig.yaml raises the transfer, timer',
    'and visibility read rates to 1,000 a second for both servers: a cap on reads, so an idle server reads no more',
    'often (its CPU at rest, 30 s after the runs, is the last column).',
    '',
    '| server | run p50 ms | workflow task queued ms (median) | run time relative | idle server CPU |',
    '|---|---|---|---|---|',
    `| shipped dynamic config | ${h.ours.p50Ms} | ${h.ours.workflowTaskQueueMs} | ${(h.ours.p50Ms / h.defaults.p50Ms).toFixed(2)}× | ${pctOf(h.ours.idleCpuShare)} |`,
    `| server defaults (baseline) | ${h.defaults.p50Ms} | ${h.defaults.workflowTaskQueueMs} | 1× | ${pctOf(h.defaults.idleCpuShare)} |`,
    '',
  );
}
const l = results.latency;
if (l) {
  lines.push(
    `## Trigger latency: signal sent → training activity started, ${l.triggers} triggers (${day(l)})`,
    '',
    'A forced trigger skips the coalescing wait, so the difference is the controller\'s own cost (signal, child workflow).',
    'Both paths include the steps that precede training: the config read (planRun, a local activity in the run\'s first workflow task) and snapshotAndValidate; the check of a forced run runs beside training (evaluation waits for it), so it is not on this path.',
    '',
    '| path | p50 ms | p99 ms | p50 relative to direct |',
    '|---|---|---|---|',
    `| trigger signal → controller → pipeline | ${l.controller.p50} | ${l.controller.p99} | ${(l.controller.p50 / l.direct.p50).toFixed(2)}× |`,
    `| pipeline workflow started directly (baseline) | ${l.direct.p50} | ${l.direct.p99} | 1× |`,
    '',
  );
  if (l.steps) {
    const st = l.steps;
    lines.push(
      `Where it goes (medians from the histories; server event times): the controller took ${st.signalToChildStartedMs} ms from the trigger signal to its pipeline child started; its whole history over the ${l.triggers} triggers:`,
      '',
      ...stepTable(st.controller),
      'Then the pipeline, up to the training activity (through the controller | started directly):',
      '',
      ...stepTable(st.viaController, st.direct),
    );
  }
}
const spread = (xs: number[]) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}×`;
const o = results.overhead;
if (o) {
  lines.push(
    `## Pipeline overhead: ${o.runs} runs at once, one worker (${day(o)})`,
    '',
    'Ours: the six steps with no-op training and evaluation commands on a 20-row dataset (fingerprint, validation, two',
    'command processes, registry write, compare-and-set, audit record). Baseline: six trivial activities in one workflow.',
    'Profiled (`node --cpu-prof`, 40 runs of each kind, 2026-12-03): when the worker started commands itself,',
    '`ChildProcess.spawn` took 3.15 s of its main thread\'s 12.7 busy seconds (25 %: a fork copies the large worker\'s page',
    'tables, about 20 ms a start, and every other activity waited behind it). Commands now start in a small helper process',
    '(src/runner/spawner.ts): the worker\'s p99 event-loop stall fell from 78 to 17 ms (shell) and from 90 to 36 ms (Node.js).',
    '',
    'On 2 cores both kinds keep the whole machine busy (1.8 to 1.9 cores), so the ratio is the ratio of CPU per run, wherever',
    'it is spent: the table below splits it. Side measurements (2026-12-03, the same 40 runs, 3 rounds each, CPU ms per run)',
    'before the changes of that day: machine 181–213, server 80–94, worker 86–106; bare 68–74, server 41–46, worker 28. What',
    'cut it since:',
    '- One patch marker (`pipeline-patches-folded`) asked first stands for the fourteen a run used to record, and the config',
    '  read and the audit record run as local activities inside workflow tasks: two activity tasks and two workflow tasks less',
    '  per run. The server\'s CPU per run fell to 56–61 ms in those side runs, each on a fresh dev server. (The bench\'s own',
    '  figure was higher, unexplained that day: the server finishes a run\'s visibility updates after its result, and a round',
    '  started while the last round\'s were running. Since 2026-12-04 each round waits for the server to settle, and what',
    '  the server did until then counts in that round\'s CPU, not in the next round\'s time and CPU.)',
    '- The record gets the steps\' evidence from the workflow instead of reading the run\'s history back: one history fetch',
    '  cost 5.4 ms of server and 2.4 ms of worker CPU (200 fetches of a finished run\'s history).',
    '- Three DuckDB statements less per run: validation reuses the schema and row count the snapshot recorded, and the',
    '  snapshot\'s count and the lineage Parquet copy no longer sniff. A snapshot also takes the dialect sniffed for its',
    '  unchanged source, but only when the source was last written more than the 2 s timestamp granularity before its sniff',
    '  and the bytes copied are those the stat cache vouched for: not here, where every round writes its data a moment before the runs.',
    '- Search attributes at the steps a run waits in (2026-12-04, patch `search-attributes-at-waits`): each workflow task that',
    '  sets one is a visibility write, and a run set them in six of its seven tasks. Promote, and evaluate and register when',
    '  they take moments (after a training under 5 s; under 256 MiB of data), are no longer shown as they run; what a run',
    '  learns between shown steps goes out with the next upsert or the outcome, so a finished run\'s attributes are as before',
    '  (README, "Temporal"). A quick run now upserts in three tasks. The server\'s CPU per run, over the bare run\'s, went',
    '  from 31 to 16 ms in two runs of this bench that day, before and after; the shell kind\'s ratio, 0.46× before, was',
    '  0.51×, 0.48×, 0.54× and 0.54× in the four runs after (the table below is the last). The same patterns on the bare workflow (five',
    '  activities, 100 at once, 5 rounds): 69 ms of server CPU a run as a run upserted, 58 ms upserting in three tasks,',
    '  49 ms with none.',
    '- A snapshot taken within a second sends no heartbeat: an attempt\'s first goes to the server at once, and one heartbeat',
    '  an activity cost the bare workflow 3.0 ms of server CPU a run (side script, 80 at once, 5 rounds).',
    '- Housekeeping and DuckDB round trips: a sniffed CSV\'s schema is the columns the sniff named (no DESCRIBE); statements',
    '  are prepared straight instead of split as a script first (a thread-pool round trip less each); the profile reads the',
    '  Parquet copy; stale temp files are swept at most once a minute a folder and old snapshots pruned at most hourly a',
    '  model, not on every write. The steps called directly: 41 ms of CPU a run instead of 42 (medians of 5 alternating runs).',
    ...(o.upsertCost
      ? [
          `What is left, against the bare workflow. On the server: the visibility update of each task that sets a search attribute`,
          `(measured in this run on the bare workflow, ${o.runs} at once, median of ${o.upsertCost.rounds} rounds, server CPU a run: as it is ${o.upsertCost.none.toFixed(0)} ms, with one`,
          `upsert in each of its six tasks ${o.upsertCost.one.toFixed(0)} ms, ${((o.upsertCost.one - o.upsertCost.none) / 6).toFixed(1)} ms a task; with two ${o.upsertCost.two.toFixed(0)} ms, a second in the same task ${((o.upsertCost.two - o.upsertCost.one) / 6).toFixed(1)} ms),`,
          `of which a quick run has three; two local-activity markers; larger payloads (the model\'s plan in each step\'s input: 3.5`,
          `KB to each of six activities cost the bare workflow 2.8 ms of server and 4.7 ms of worker CPU a run). In the worker, the steps\'`,
        ]
      : [
          'What is left, against the bare workflow: on the server, the visibility update of every workflow task that sets a search',
          'attribute (a bare workflow that sets one in each of its six tasks costs 63–66 ms of server CPU a run instead of 38–42:',
          'about 3.7 ms a task; ours sets one in six, for RetrainStep, fingerprint, version and outcome). In the worker, the steps\'',
        ]),
    'own work: the same activities called directly, without Temporal, cost 34–41 ms of CPU a run (five DuckDB statements, each',
    'a fixed cost even at 20 rows: a CSV sniff, the count, validation, the lineage Parquet copy, the profile; the registry,',
    'snapshot and record files most of the rest). In the workflow thread, each call into the sandbox runs with `vm`\'s timeout',
    '(the SDK\'s isolateExecutionTimeout), which starts a watchdog thread: 58 µs a call on an idle machine, about 2 ms of an',
    'activation\'s wall time on a busy one, for both kinds alike; and the SDK\'s promise hook captures a stack for each promise',
    'the workflow makes (40 to 80 a run; without it the workflow thread took about 2 ms a run less, a side run on a patched SDK).',
    'git is not started for a folder outside a repository, and concurrent runs share one git read of a folder.',
    'Measured on 2026-12-04 with side scripts: the same workflow with its activities answering canned results costs the',
    'worker 41–52 ms a run against the bare run\'s 30–38 (our workflow\'s shape: two local activities, the check beside',
    'training, larger payloads).',
    '',
    '| run | seconds | runs per second | relative |',
    '|---|---|---|---|',
    ...(o.oursShell ? [`| retrainPipeline, no-op steps as shell one-liners (a shell start each) | ${o.oursShell.seconds.toFixed(2)} | ${o.oursShell.runsPerSec.toFixed(2)} | ${(o.oursShell.runsPerSec / o.bare.runsPerSec).toFixed(2)}× |`] : []),
    `| retrainPipeline, no-op steps as Node.js scripts (a Node.js start each) | ${o.ours.seconds.toFixed(2)} | ${o.ours.runsPerSec.toFixed(2)} | ${(o.ours.runsPerSec / o.bare.runsPerSec).toFixed(2)}× |`,
    `| bare six-activity workflow (baseline) | ${o.bare.seconds.toFixed(2)} | ${o.bare.runsPerSec.toFixed(2)} | 1× |`,
    '',
    ...(o.roundRatios
      ? [
          `Each row is its kind's median of ${o.rounds} rounds (shell, Node.js, bare, alternating, after one uncounted warm-up round of each); each round's ratio to its own bare run ranged`,
          `${spread(o.roundRatios.shell)} (shell) and ${spread(o.roundRatios.node)} (Node.js).` +
            (o.stallP99Ms ? ` The worker's event loop stalled up to ${o.stallP99Ms.shell.toFixed(0)} ms (shell) and ${o.stallP99Ms.node.toFixed(0)} ms (Node.js) at p99.` : ''),
          '',
          ...(o.cpuPerRun
            ? [
                'CPU per run (ms) in each kind\'s median round: the machine (/proc/stat), the dev server, and the bench process (the',
                'worker and the client that starts the runs); the rest is the command processes and the helper that starts them.',
                '',
                '| run | machine | server | worker + client | rest |',
                '|---|---|---|---|---|',
                ...(['shell', 'node', 'bare'] as const).map((k) => {
                  const c = o.cpuPerRun![k];
                  const name = { shell: 'retrainPipeline, shell no-op steps', node: 'retrainPipeline, Node.js no-op steps', bare: 'bare six-activity workflow (baseline)' }[k];
                  return `| ${name} | ${c.machineMs.toFixed(0)} | ${c.serverMs.toFixed(0)} | ${c.workerMs.toFixed(0)} | ${Math.max(0, c.machineMs - c.serverMs - c.workerMs).toFixed(0)} |`;
                }),
                '',
              ]
            : []),
        ]
      : ['One round of each kind (runs before the bench took rounds).', '']),
  );
  if (o.steps) lines.push(`Where a run's time goes (medians over the runs' histories, Node.js no-op commands; ours | baseline), ${o.runs} at once on one worker:`, '', ...stepTable(o.steps.ours, o.steps.bare));
}
const s = results.scale;
if (s) {
  lines.push(
    `## Controller scale: ${s.controllers.toLocaleString()} idle model controllers (${day(s)})`,
    '',
    '| process | before MiB | with controllers MiB | per controller KiB |',
    '|---|---|---|---|',
    `| worker (own process) | ${s.worker.idleMiB.toFixed(0)} | ${s.worker.loadedMiB.toFixed(0)} | ${(((s.worker.loadedMiB - s.worker.idleMiB) * 1024) / s.controllers).toFixed(1)} |`,
    `| dev server | ${s.server.idleMiB.toFixed(0)} | ${s.server.loadedMiB.toFixed(0)} | ${(((s.server.loadedMiB - s.server.idleMiB) * 1024) / s.controllers).toFixed(1)} |`,
    '',
    `Starting all of them and answering one status query each took ${s.startSeconds.toFixed(1)} s and ${s.server.cpuSecondsToStart.toFixed(1)} CPU seconds of the server.`,
    '',
  );
}
const k = results.skip;
if (k) {
  const row = (name: string, c: SkipBenchResult['before']) =>
    `| ${name} | ${c.cpuMsPerCheck.toFixed(1)} | ${c.childProcessesPerCheck.toFixed(2)} | ${c.childCpuMsPerCheck.toFixed(0)} | ${c.wallMsPerCheck.toFixed(1)} |`;
  const f = k.fingerprint;
  lines.push(
    `## A skipped check: ${k.checks} checks of the bundled example (${k.rows.toLocaleString()} rows), data and params unchanged (${day(k)})`,
    '',
    'The check activity in-process, as the worker runs it (plan from the cached config, fingerprint, registry, inputs, evidence).',
    'Before: every check computed drift and scored production (the evaluation command) and hashed every byte. After: the',
    'cheap rules decide the skip, so neither runs, and the fingerprint comes from the stat cache.',
    '',
    '| check | worker CPU ms per check | child processes per check | child CPU ms per check | wall ms per check |',
    '|---|---|---|---|---|',
    row('after: lazy evidence + stat cache', k.after),
    row('before: eager evidence, no cache (baseline)', k.before),
    '',
    `Fingerprint of an unchanged ${f.gib} GiB CSV (${f.rows.toLocaleString()} rows, in the page cache): ${f.uncachedSeconds.toFixed(2)} s hashing every byte`,
    `and counting rows (raw sha256 alone: ${f.rawSha256Seconds.toFixed(2)} s) vs ${f.cachedMs.toFixed(1)} ms from the stat cache (median of 5, each reading the`,
    'cache file as a new process would, on the worker\'s warm DuckDB instance). The cached path stats the files and reads',
    'the header and schema only, so its time does not grow with the file size: a 10 GB file costs the same (2 GiB shows it).',
    '',
  );
}
const fleets = Object.values(results.fleet ?? {}).sort((a, b) => a.models - b.models);
for (const f of fleets) {
  const o = f.ours;
  const b = f.bare;
  const row = (name: string, r: FleetRun | null) =>
    r && r.checks === 0
      ? `| ${name} | 0: no check finished inside the window | | | | ${r.worker.rssMiB.toFixed(0)} | ${r.server.rssMiB.toFixed(0)} | | | ${r.loadavg.join(' ')} |`
      : r
      ? `| ${name} | ${r.checks.toLocaleString()} | ${r.checksPerSec.toFixed(2)} | ${r.worker.cpuMsPerCheck.toFixed(1)} | ${r.server.cpuMsPerCheck.toFixed(1)} | ${r.worker.rssMiB.toFixed(0)} | ${r.server.rssMiB.toFixed(0)} | ${r.delayMs.p50} | ${r.delayMs.p99} | ${r.loadavg.join(' ')} |`
      : `| ${name} | not run | | | | | | | | |`;
  lines.push(
    `## Fleet: ${f.models.toLocaleString()} models on one worker, each checked every ${f.intervalSeconds} s (${day(f)})`,
    '',
    `Every model has a Temporal Schedule (offsets spread over the interval, ${f.offeredPerSec.toFixed(2)} checks/s asked for); a tick goes`,
    `${o.decidedIn === undefined ? 'scheduledTrigger → controller → pipeline → check' : 'scheduledTrigger → quick check'} → skip (unchanged data) → audit record, on one worker process${o.decidedIn === undefined ? '' : ` (${(100 * o.decidedIn.schedule).toFixed(0)} % of the checks decided by the tick itself, ${(100 * o.decidedIn.controller).toFixed(0)} % by the controller, the rest by a pipeline run)`}. Baseline: the`,
    'same schedules starting a bare workflow with one trivial activity (Temporal\'s own floor per tick), its own worker process.',
    `${f.warmupSeconds === undefined ? 'Controllers started by their first check; measured' : 'Controllers started idle first; measured'} over ${f.windowSeconds} s after ${f.warmupSeconds ?? f.intervalSeconds} s of warm-up; CPU is process time from /proc (worker including its children), not wall.${f.ours.maxCachedWorkflows ? ` The worker ran with RETRAIN_MAX_CACHED_WORKFLOWS=${f.ours.maxCachedWorkflows} (a bounded sticky cache).` : ''}`,
    'Delay: nominal schedule slot → decision recorded (ours) or the activity ran (baseline). Load average (1, 5, 15 min) at the end: the machine is shared.',
    '',
    '| run | checks | checks/s | worker CPU ms/check | server CPU ms/check | worker RSS MiB | server RSS MiB | delay p50 ms | delay p99 ms | load avg |',
    '|---|---|---|---|---|---|---|---|---|---|',
    row(o.decidedIn === undefined ? 'temporal-retrain: schedule → controller → skipped check' : 'temporal-retrain: schedule → skipped check', o),
    row('bare schedule tick, one activity (baseline)', b),
    '',
  );
  if (o.checks === 0) {
    lines.push(
      `No check finished inside the window: ${o.prestartSeconds === undefined ? '' : `starting the ${f.models.toLocaleString()} idle controllers took ${o.prestartSeconds.toFixed(0)} s and `}creating the schedules ${o.setupSeconds.toFixed(0)} s, and`,
      'the dev server (SQLite) then fell behind its own schedulers (one scheduler workflow per schedule): no tick started and a',
      '`temporal schedule describe` timed out after 30 s. On this machine the dev server, not the worker, is the first bottleneck at this size.',
      '',
    );
  }
  if (!b) lines.push('Baseline not run at this size (BENCH_SKIP_BASELINE, to fit the time); the smaller runs have one.', '');
  if (b && o.checks > 0) lines.push(`Relative cost: ${(o.worker.cpuMsPerCheck / b.worker.cpuMsPerCheck).toFixed(1)}× the baseline's worker CPU and ${(o.server.cpuMsPerCheck / b.server.cpuMsPerCheck).toFixed(1)}× its server CPU per check. Outcomes: ${Object.entries(o.outcomes).map(([k, v]) => `${v} ${k}`).join(', ')}.`, '');
  if ((o.storage || o.disk) && o.checks > 0) {
    const st = o.storage;
    const kib = (b: number) => (b / 1024).toFixed(1);
    lines.push(
      'What one check leaves behind:' +
        (st ? ` on the server, ${st.pipelineBytes === null ? 'no pipeline history' : `a pipeline history of ${kib(st.pipelineBytes)} KiB (${st.pipelineEvents} events)`}, a schedule tick of ${kib(st.tickBytes)} KiB (${st.tickEvents} events) and ${Number.isFinite(st.controllerBytesPerCheck) ? `${kib(st.controllerBytesPerCheck)} KiB (${st.controllerEventsPerCheck} events) more controller history` : 'no controller history (no sampled controller was woken)'} (${st.sampled} models sampled);` : '') +
        (o.disk ? ` in the state folder, ${o.disk.filesPerCheck} file${o.disk.filesPerCheck === 1 ? "" : "s"} and ${kib(o.disk.bytesPerCheck)} KiB (${o.disk.filesPerCheck < 1.5 ? "the audit record; a quick skip's HTML page is written on demand" : 'audit record and run report'}).` : ''),
      '',
    );
  }
  if (o.profile) {
    const p = o.profile;
    lines.push(
      'Where the worker\'s CPU goes per check (V8 CPU profile of the worker over the same window, `BENCH_CPU_PROF=<dir>`; inclusive, so nested rows overlap):',
      '',
      '| step | worker CPU ms per check |',
      '|---|---|',
      `| workflow sandbox thread (tick, controller and pipeline activations) | ${p.workflowMsPerCheck.toFixed(1)} |`,
      `| main thread, all (activities, SDK, gRPC, native bridge) | ${p.mainMsPerCheck.toFixed(1)} |`,
      ...Object.entries(p.byFunction).filter(([, v]) => v > 0).map(([k, v]) => `| … in ${k} | ${v.toFixed(1)} |`),
      '',
    );
  }
}
const fc = results.fleetChange;
if (fc) {
  const b = fc.before.ours;
  const a = fc.after.ours;
  const r = (name: string, x: number | undefined, y: number | undefined) => `| ${name} | ${x?.toFixed(1) ?? ''} | ${y?.toFixed(1) ?? ''} | ${x && y ? `${(y / x).toFixed(2)}×` : ''} |`;
  lines.push(
    `## A skipped check, before and after: ${fc.change} (${fc.before.models} models, ${fc.before.offeredPerSec.toFixed(1)} checks/s, worker profiled, ${day(fc.after)})`,
    '',
    'Both runs profiled with `node --cpu-prof` (which adds its own cost to the worker); ratios are the result.',
    '',
    '| per check | before | after | after / before |',
    '|---|---|---|---|',
    r('worker CPU ms (process, /proc)', b.worker.cpuMsPerCheck, a.worker.cpuMsPerCheck),
    r('server CPU ms (process, /proc)', b.server.cpuMsPerCheck, a.server.cpuMsPerCheck),
    r('… workflow thread ms (profile)', b.profile?.workflowMsPerCheck, a.profile?.workflowMsPerCheck),
    r('… main thread ms (profile)', b.profile?.mainMsPerCheck, a.profile?.mainMsPerCheck),
    r('controller history events', b.storage?.controllerEventsPerCheck, a.storage?.controllerEventsPerCheck),
    r('schedule tick history events', b.storage?.tickEvents, a.storage?.tickEvents),
    r('delay p50 ms', b.delayMs.p50, a.delayMs.p50),
    '',
    `Load average at the end: before ${b.loadavg.join(' ')}, after ${a.loadavg.join(' ')}.`,
    '',
  );
}
const sizing = fleets.filter((f) => f.ours.checks > 0).at(-1);
if (sizing) {
  const o = sizing.ours;
  const core = (models: number, everySec: number, ms: number) => (models / everySec) * (ms / 1000);
  // A worker process runs activities on one main thread and workflows on one more; plan 0.7 of a core each.
  const workers = (cores: number) => Math.max(1, Math.ceil(cores / 0.7));
  const hourly10k = core(10_000, 3600, o.worker.cpuMsPerCheck);
  const hourly10kAll = core(10_000, 3600, o.worker.cpuMsPerCheck + o.server.cpuMsPerCheck);
  lines.push(
    `## How many workers a fleet needs (from the ${sizing.models.toLocaleString()}-model run)`,
    '',
    `Cores = checks per second × CPU per check (worker ${o.worker.cpuMsPerCheck.toFixed(1)} ms, server ${o.server.cpuMsPerCheck.toFixed(1)} ms, this machine); workers at 0.7 of a core each.`,
    'Skipped checks only: a check that retrains adds its training command, and the server figure is the dev server (SQLite), not a cluster.',
    '',
    '| fleet size | check every | checks/s | worker cores | server cores | workers |',
    '|---|---|---|---|---|---|',
  );
  for (const models of [1_000, 10_000, 100_000]) {
    for (const [label, sec] of [['5 min', 300], ['1 h', 3600], ['1 day', 86_400]] as const) {
      const w = core(models, sec, o.worker.cpuMsPerCheck);
      lines.push(`| ${models.toLocaleString()} | ${label} | ${(models / sec).toFixed(2)} | ${w.toFixed(3)} | ${core(models, sec, o.server.cpuMsPerCheck).toFixed(3)} | ${workers(w)} |`);
    }
  }
  lines.push(
    '',
    `Goal "10,000 models checked hourly under 10 % of one core": the worker needs ${(100 * hourly10k).toFixed(1)} % of a core (${hourly10k <= 0.1 ? 'met' : 'not met'}); worker and dev server together ${(100 * hourly10kAll).toFixed(1)} %.`,
    '',
  );
}
// The scaling curves, as committed SVGs next to the tables they plot.
const docs = SIDE ? path.dirname(RESULTS) : path.resolve(import.meta.dirname, '..', 'docs');
mkdirSync(docs, { recursive: true });
if (fleets.length) {
  writeFileSync(
    path.join(docs, 'bench-fleet.svg'),
    lineChartSvg({
      title: 'Fleet: CPU per check vs fleet size (one worker)',
      xLabel: 'models',
      yLabel: 'CPU ms per check',
      logX: true,
      logY: true,
      series: [
        { name: 'ours: worker', color: '#1f77b4', points: fleets.map((f) => [f.models, f.ours.worker.cpuMsPerCheck]) },
        { name: 'ours: server', color: '#ff7f0e', points: fleets.map((f) => [f.models, f.ours.server.cpuMsPerCheck]) },
        { name: 'bare tick: worker', color: '#1f77b4', dashed: true, points: fleets.flatMap((f) => (f.bare ? [[f.models, f.bare.worker.cpuMsPerCheck] as [number, number]] : [])) },
        { name: 'bare tick: server', color: '#ff7f0e', dashed: true, points: fleets.flatMap((f) => (f.bare ? [[f.models, f.bare.server.cpuMsPerCheck] as [number, number]] : [])) },
      ],
    }),
  );
  lines.push('![fleet scaling: CPU per check by fleet size, ours vs bare schedule ticks](docs/bench-fleet.svg)', '');
}
const drifts = Object.values(results.drift ?? {}).sort((a, b) => a.rows - b.rows);
if (drifts.length) {
  writeFileSync(
    path.join(docs, 'bench-drift.svg'),
    lineChartSvg({
      title: 'Drift report: seconds by rows (20 columns)',
      xLabel: 'rows',
      yLabel: 'seconds',
      logX: true,
      logY: true,
      series: [
        { name: 'temporal-retrain', color: '#1f77b4', points: drifts.map((d) => [d.rows, d.ours.seconds]) },
        { name: 'numpy/scipy', color: '#d62728', dashed: true, points: drifts.flatMap((d) => (d.baseline ? [[d.rows, d.baseline.seconds] as [number, number]] : [])) },
      ],
    }),
  );
  lines.push('![drift scaling: seconds by rows, ours vs numpy/scipy](docs/bench-drift.svg)', '');
}
writeFileSync(SIDE ? `${RESULTS.replace(/\.json$/, '')}.md` : path.resolve(import.meta.dirname, '..', 'BENCHMARKS.md'), lines.join('\n'));
process.stdout.write(`${lines.join('\n')}\n`);
