import { upsertSearchAttributes } from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';

/** How the pipeline sets a run's search attributes. */
export interface RunAttributes {
  /** A value learnt between steps (a fingerprint, a version): sent with the next `upsert`. */
  set(pairs: SearchAttributeUpdatePair[]): void;
  /** Entering a step, or the outcome: one upsert command, with what `set` held. */
  upsert(pairs: SearchAttributeUpdatePair[]): void;
}

/**
 * The server writes a run's visibility record once per upsert command (a visibility task each: about 2 ms of its
 * CPU for a second upsert in the same workflow task on the dev server, BENCHMARKS.md "Pipeline overhead"). In the
 * pipeline every value learnt between steps is followed, in the same workflow task, by the next step's upsert or by
 * the outcome's, so a run sends one upsert a task: the values `set` held and the step's. A key held twice keeps its
 * last value; a value given to `upsert` wins over a held one.
 */
export function heldAttributes(): RunAttributes {
  const held = new Map<string, SearchAttributeUpdatePair>();
  return {
    set(pairs) {
      for (const pair of pairs) held.set(pair.key.name, pair);
    },
    upsert(pairs) {
      for (const pair of pairs) held.set(pair.key.name, pair);
      const all = [...held.values()];
      held.clear();
      upsertSearchAttributes(all);
    },
  };
}

/** Runs recorded before `search-attributes-batched`: every value its own upsert, where it was learnt. */
export function directAttributes(): RunAttributes {
  return { set: upsertSearchAttributes, upsert: upsertSearchAttributes };
}
