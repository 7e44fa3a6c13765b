import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const SRC = path.resolve('src');
const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => path.join(SRC, f));

/** The relative modules a file loads at run time: static imports and re-exports that are not type-only. */
function valueImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^(import|export)\s+(type\s+)?([^;'"]*?)\s*from\s+'(\.[^']+)';/gms)) {
    const [, , typeOnly, clause, spec] = m;
    if (typeOnly) continue;
    // `import { type A, type B } from` is erased too; `import './x.js'` has no clause and loads.
    const names = /^\{([^}]*)\}$/.exec(clause!.trim())?.[1]?.split(',').map((n) => n.trim()).filter(Boolean);
    if (names && names.length > 0 && names.every((n) => n.startsWith('type '))) continue;
    out.push(path.resolve(path.dirname(file), spec!.replace(/\.js$/, '.ts')));
  }
  return out.filter((f) => f.startsWith(SRC));
}

const graph = new Map(files.map((f) => [f, valueImports(f)]));
const rel = (f: string) => path.relative(SRC, f);

// Issue 16 item 1: an import circle loads modules half-initialised and, through workflows, drags workflow code into
// the worker, CLI and gateway processes.
test('src has no import circle', () => {
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (f: string, trail: string[]) => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'open') {
      cycles.push([...trail.slice(trail.indexOf(f)), f].map(rel).join(' → '));
      return;
    }
    state.set(f, 'open');
    for (const next of graph.get(f) ?? []) visit(next, [...trail, f]);
    state.set(f, 'done');
  };
  for (const f of files) visit(f, []);
  assert.deepEqual(cycles, []);
});

test('outside src/workflows, only messages.ts and workflow-ids.ts of the workflows are loaded', () => {
  const workflows = path.join(SRC, 'workflows');
  const allowed = new Set(['messages.ts', 'workflow-ids.ts'].map((f) => path.join(workflows, f)));
  const offenders = files
    .filter((f) => !f.startsWith(workflows + path.sep))
    .flatMap((f) => (graph.get(f) ?? []).filter((d) => d.startsWith(workflows + path.sep) && !allowed.has(d)).map((d) => `${rel(f)} → ${rel(d)}`));
  assert.deepEqual(offenders, []);
});

test('the parser sees what it must: a value import is found, a type-only one is not', () => {
  const dir = path.join(SRC, 'cli');
  assert.ok((graph.get(path.join(dir, 'index.ts')) ?? []).includes(path.join(dir, 'exit-codes.ts')));
  assert.ok(!(graph.get(path.join(SRC, 'workflows', 'messages.ts')) ?? []).some((d) => d.endsWith('retrain-controller.ts')), 'messages.ts imports the controller for types only');
});
