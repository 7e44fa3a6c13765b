import type { PromotionPolicyConfig } from '../config/model-schema.js';
import { relativeDrop } from './relative-drop.js';

type Watch = NonNullable<PromotionPolicyConfig['watch']>;

export type WatchVerdict = { breached: false; drop: number } | { breached: true; drop: number; why: string };

/**
 * The watch window's rule for one round: production's metric, scored again on today's evaluation
 * data, may fall at most `watch.maxRelativeDrop` below what the version was promoted with. A
 * missing metric counts as a breach (nothing shows the model still works).
 */
export function watchVerdict(
  watch: Pick<Watch, 'maxRelativeDrop'>,
  promotion: { metric: string; direction: 'maximize' | 'minimize' },
  promoted: { version: number; value: number },
  watched: Record<string, number>,
): WatchVerdict {
  const value = watched[promotion.metric];
  const drop = value === undefined ? Infinity : relativeDrop(promoted.value, value, promotion.direction);
  if (drop <= watch.maxRelativeDrop) return { breached: false, drop };
  const why = `watch window: ${promotion.metric} ${value ?? 'missing'} is ${(drop * 100).toFixed(1)}% below the ${promoted.value} v${promoted.version} was promoted with (limit ${(watch.maxRelativeDrop * 100).toFixed(1)}%)`;
  return { breached: true, drop, why };
}
