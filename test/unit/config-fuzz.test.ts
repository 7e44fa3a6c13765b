import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { rng as seededRandom } from '../../examples/churn/random.js';
import { loadConfig } from '../../src/config/load.js';
import { planModel } from '../../src/config/plan.js';
import { ConfigError } from '../../src/errors.js';
import { PROJECT_ROOT } from '../../src/temporal/cli-binary.js';

/** The example data's seeded generator (mulberry32), so a failing case can be replayed from its number. */
function rng(seed: number) {
  const { next } = seededRandom(seed);
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: T[]) => xs[Math.floor(next() * xs.length)]! };
}

const SEED_TEXT = readFileSync(path.join(PROJECT_ROOT, 'retrain.config.yaml'), 'utf8');
const NASTY = ['', '~', 'null', '-1', '1e309', '-1e309', '.nan', '.inf', '9'.repeat(400), '0x7fffffffffffffff', '"\\u0000"', "'", '"', '{', '[', '}', '&a', '*a', '*nope', '!!binary AAAA', '!!js/function x', '<<: *a', '? [a]', '- - -', ': :', '%YAML 1.1', '---', '...', '__proto__', 'constructor', '{__proto__: {polluted: 1}}', '\t', '\u00a0', '\ufeff', '"\ud800"'];

type Mutation = (lines: string[], r: ReturnType<typeof rng>) => string[];
const MUTATIONS: Mutation[] = [
  (l, r) => l.filter((_, i) => i !== r.int(l.length)), // delete a line
  (l, r) => { const i = r.int(l.length); return [...l.slice(0, i), l[i]!, ...l.slice(i)]; }, // duplicate a line
  (l, r) => { const [i, j] = [r.int(l.length), r.int(l.length)]; const c = [...l]; [c[i], c[j]] = [c[j]!, c[i]!]; return c; }, // swap lines
  (l, r) => l.map((line) => (r.next() < 0.1 && line.includes(':') ? `${line.slice(0, line.indexOf(':') + 1)} ${r.pick(NASTY)}` : line)), // swap values
  (l, r) => { const i = r.int(l.length); const s = l[i]!; const k = r.int(s.length + 1); const c = [...l]; c[i] = s.slice(0, k) + String.fromCharCode(r.int(0x3000)) + s.slice(k); return c; }, // random character
  (l, r) => { const c = [...l]; const i = r.int(c.length); c[i] = ' '.repeat(r.int(8)) + c[i]!.trimStart(); return c; }, // indentation
  (l, r) => [...l, `x${r.int(9)}: ${'['.repeat(1 + r.int(5000))}${']'.repeat(r.int(2) ? 0 : 5000)}`], // deep nesting (flow)
  (l, r) => [...l, ...Array.from({ length: 1 + r.int(300) }, (_, d) => `${'  '.repeat(d)}k${d}:`)], // deep nesting (block)
  (l, r) => l.map((line) => (r.next() < 0.05 ? line.replace(/\d+(\.\d+)?/, () => r.pick(['1e308', '-0', '1'.repeat(330), 'NaN', '0.0000001', '99999999999999999999999'])) : line)), // huge numbers
  (l, r) => { // aliases: anchor a block, reuse it (sometimes in a loop), or expand it a lot
    const lines = [...l];
    const i = r.int(lines.length);
    const kind = r.int(3);
    if (kind === 0) lines[i] = `${lines[i]} &a`;
    if (kind === 1) lines.push(`extra: &x [${Array.from({ length: 20 }, () => '*x').join(', ')}]`);
    if (kind === 2) lines.push('l0: &l0 [a, a, a, a, a, a, a, a, a, a]', ...Array.from({ length: 6 }, (_, k) => `l${k + 1}: &l${k + 1} [${Array(10).fill(`*l${k}`).join(', ')}]`));
    return lines;
  },
  (l, r) => l.map((line) => (r.next() < 0.02 ? r.pick(NASTY) : line)), // random nasty lines
  (l, r) => { const c = [...l]; const i = r.int(c.length); c[i] = Buffer.from(Array.from({ length: 1 + r.int(40) }, () => r.int(256))).toString('latin1'); return c; }, // random bytes
];

describe('config loader fuzz (issue 13, Proof)', () => {
  it('every random or mutated config loads or throws a ConfigError, never another error and never a hang', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'retrain-fuzz-'));
    const file = path.join(dir, 'retrain.config.yaml');
    const r = rng(13);
    const deadline = Date.now() + 20_000; // a bound on the test's time, not an assertion about it
    let cases = 0;
    let loaded = 0;
    const failures: string[] = [];
    for (; cases < 2000 && Date.now() < deadline; cases++) {
      let lines = SEED_TEXT.split('\n');
      const rounds = 1 + r.int(4);
      for (let k = 0; k < rounds; k++) lines = r.pick(MUTATIONS)(lines, r);
      const text = r.next() < 0.05 ? Buffer.from(Array.from({ length: r.int(2000) }, () => r.int(256))).toString('latin1') : lines.join(r.next() < 0.1 ? '\r\n' : '\n');
      writeFileSync(file, text);
      const env = r.next() < 0.2 ? { [`RETRAIN__${r.pick(['CHURN', 'FOO', 'CHURN__TRIGGER', 'CHURN__PROMOTION', ''])}__${r.pick(['FLOOR', 'COOLDOWN', 'X', ''])}`]: r.pick(NASTY) } : {};
      try {
        const config = loadConfig(file, env);
        for (const name of Object.keys(config.models)) {
          try {
            planModel(config, name);
          } catch (err) {
            if (!(err instanceof ConfigError)) throw err;
          }
        }
        loaded++;
      } catch (err) {
        if (!(err instanceof ConfigError)) failures.push(`case ${cases}: ${(err as Error)?.name}: ${String((err as Error)?.message).slice(0, 200)}\n${text.slice(0, 300)}`);
      }
    }
    if (process.env.FUZZ_VERBOSE) console.log({ cases, loaded });
    assert.deepEqual(failures, [], `${failures.length} case(s) crashed the loader`);
    assert.ok(cases >= 100, `ran ${cases} cases`);
    assert.ok(loaded > 0, 'some mutations still load (the fuzzer is not only producing garbage)');
  });
});
