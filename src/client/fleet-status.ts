import type { Client } from '@temporalio/client';
import { fleetQuery } from '../workflows/messages.js';
import type { FleetStatus } from '../workflows/retrain-fleet.js';
import { fleetWorkflowId } from '../workflows/workflow-ids.js';

export interface FleetPlace {
  /** 1 = next to get a slot. */
  position: number;
  queued: number;
  /** Trainings holding a slot now. */
  training: number;
  limit: number;
}

/** The fleet semaphore of a task queue, or null when none runs there. */
export async function fleetStatus(client: Client, taskQueue: string): Promise<FleetStatus | null> {
  return client.workflow.getHandle(fleetWorkflowId(taskQueue)).query(fleetQuery).catch(() => null);
}

/** Where a pipeline waits for a training slot (its fleet is the one of its task queue); null when not queued. */
export async function fleetPlace(client: Client, pipelineWorkflowId: string): Promise<FleetPlace | null> {
  const { taskQueue } = await client.workflow.getHandle(pipelineWorkflowId).describe();
  const fleet = await fleetStatus(client, taskQueue);
  const i = fleet?.queue.findIndex((q) => q.workflowId === pipelineWorkflowId) ?? -1;
  if (!fleet || i < 0) return null;
  return { position: i + 1, queued: fleet.queue.length, training: fleet.holders.length, limit: fleet.limit };
}

/** "queued behind 2 trainings (position 1 of 2 waiting, limit 2)", as `retrain status` prints it. */
export const describePlace = (p: FleetPlace) =>
  `queued behind ${p.training} training${p.training === 1 ? '' : 's'} (position ${p.position} of ${p.queued} waiting, limit ${p.limit})`;
