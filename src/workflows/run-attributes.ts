import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { upsertSearchAttributes } from '@temporalio/workflow';

/**
 * How a pipeline run sets its search attributes. Each workflow task that upserts costs the server a visibility write
 * (about 5 ms of its CPU in the bench, the largest part of what a run costs it beyond a bare workflow's), so a run
 * recorded since `search-attributes-at-waits` holds what it learns between the steps it shows in the Web UI's list
 * (a fingerprint, the candidate version, a quick step's name) and sends it with the next upsert it makes: the next
 * shown step's, or the outcome's. A run's search attributes once it ends are the same either way.
 */
export interface RunAttributes {
  /** Sent with the run's next upsert. */
  hold(pairs: SearchAttributeUpdatePair[]): void;
  /** Sent now, with whatever is held, as one upsert. */
  upsert(pairs: SearchAttributeUpdatePair[]): void;
  /** Whatever is held, sent now (nothing when nothing is): before a cancelled run ends, or a long wait in a step not shown. */
  flush(): void;
}

/** Every value its own upsert as it is learnt: runs recorded before `search-attributes-at-waits` replay so. */
export const directAttributes = (): RunAttributes => ({ hold: upsertSearchAttributes, upsert: upsertSearchAttributes, flush: () => {} });

export function heldAttributes(): RunAttributes {
  const held = new Map<string, SearchAttributeUpdatePair>();
  const keep = (pairs: SearchAttributeUpdatePair[]) => {
    for (const p of pairs) held.set(p.key.name, p);
  };
  return {
    hold: keep,
    upsert(pairs) {
      keep(pairs);
      upsertSearchAttributes([...held.values()]);
      held.clear();
    },
    flush() {
      if (held.size === 0) return;
      upsertSearchAttributes([...held.values()]);
      held.clear();
    },
  };
}
