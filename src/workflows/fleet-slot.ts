import { CancellationScope, condition, isCancellation, log, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { fleetGrantSignal } from './messages.js';
import { fleetWorkflowId } from './workflow-ids.js';

/** A queued pipeline asks again this often, so a fleet that was reset or terminated still hears of it. */
export const FLEET_REASK_MS = 120_000;

const { requestTrainingSlot } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
  summary: 'queue for a training slot (fleet.maxConcurrentTrainings)',
});
// Must land: a slot not given back is held until the fleet's safety net sees this pipeline closed.
const { releaseTrainingSlot } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 20 },
  summary: 'give the training slot back',
});

/** The pipeline's side of the fleet semaphore (see retrain-fleet.ts). */
export function fleetSlot(model: string, limit: number) {
  const { workflowId, taskQueue } = workflowInfo();
  const fleetId = fleetWorkflowId(taskQueue);
  let granted = false;
  setHandler(fleetGrantSignal, () => {
    granted = true;
  });
  return {
    fleetId,
    async acquire(): Promise<void> {
      for (;;) {
        await requestTrainingSlot({ taskQueue, workflowId, model, limit });
        if (await condition(() => granted, FLEET_REASK_MS)) return;
      }
    },
    /** Also when the pipeline is being cancelled: releasing cannot be cancelled with it. */
    async release(): Promise<void> {
      try {
        await CancellationScope.nonCancellable(() => releaseTrainingSlot({ fleetId, workflowId }));
      } catch (err) {
        if (isCancellation(err)) throw err;
        log.warn('training slot not released; the fleet drops it once this pipeline has closed', { fleetId, error: String(err) });
      }
    },
  };
}
