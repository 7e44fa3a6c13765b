/**
 * Where a worker's CPU goes, from the V8 CPU profiles `node --cpu-prof` writes (one per thread:
 * the main thread runs activities and the SDK, a worker thread runs the workflow sandbox).
 * Only samples inside a time window count (process.hrtime and V8's profile clock are both
 * CLOCK_MONOTONIC on Linux, in µs here). A sample counts once for each named function on its stack
 * (inclusive time), so nested names overlap; "other" is main-thread time under none of them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileBreakdown {
  /** Busy (not idle) ms of the main thread and of the workflow thread(s) inside the window. */
  mainMs: number;
  workflowMs: number;
  /** Inclusive main-thread ms per named function. */
  byFunction: Record<string, number>;
}

const IDLE = new Set(['(idle)', '(program)']);

/** `window` in µs of CLOCK_MONOTONIC (process.hrtime.bigint() / 1000n). */
export function profileBreakdown(dir: string, names: string[], window: { startUs: number; endUs: number }): ProfileBreakdown {
  const out: ProfileBreakdown = { mainMs: 0, workflowMs: 0, byFunction: Object.fromEntries(names.map((n) => [n, 0])) };
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const p = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Profile;
    const nodes = new Map(p.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    // The workflow sandbox's thread is the one whose stacks run workflow activations.
    const isWorkflowThread = p.nodes.some((n) => n.callFrame.url.includes('workflow-worker-thread'));
    let t = p.startTime;
    p.samples.forEach((s, i) => {
      t += p.timeDeltas[i]!;
      if (t < window.startUs || t >= window.endUs) return;
      const node = nodes.get(s)!;
      if (IDLE.has(node.callFrame.functionName)) return;
      const ms = p.timeDeltas[i]! / 1000;
      if (isWorkflowThread) {
        out.workflowMs += ms;
        return;
      }
      out.mainMs += ms;
      const seen = new Set<string>();
      for (let id: number | undefined = s; id !== undefined; id = parent.get(id)) {
        const fn = nodes.get(id)!.callFrame.functionName;
        if (Object.hasOwn(out.byFunction, fn) && !seen.has(fn)) {
          out.byFunction[fn]! += ms;
          seen.add(fn);
        }
      }
    });
  }
  return out;
}
