import type { Evidence } from '../../policy/trigger-policy.js';
import type { DataEngine } from '../engine.js';
import { estimateCbpe, type DatasetSide, type EstimateOptions } from './cbpe.js';
import type { EstimateMetric } from './realized.js';

/**
 * What the check step calls for trigger.estimatedDrop: one metric of the CBPE estimate on the current data, with its
 * band and the reference's realised value, as the trigger policy reads it (Evidence.estimate).
 */
export async function estimatePerformance(
  engine: DataEngine,
  reference: DatasetSide,
  current: DatasetSide,
  opts: Omit<EstimateOptions, 'chunks'> & { metric: EstimateMetric },
): Promise<NonNullable<Evidence['estimate']>> {
  const report = await estimateCbpe(engine, reference, current, opts);
  const m = report.whole.metrics[opts.metric];
  return { metric: opts.metric, value: m.value, lower: m.lower, upper: m.upper, reference: report.reference.realized[opts.metric] };
}
