export { retrainPipeline, pipelineStepQuery } from './retrain-pipeline.js';
export { pendingApprovalQuery, approveUpdate, rejectUpdate, type PendingApproval } from './approval-gate.js';
export { retrainController, triggerSignal, statusQuery } from './retrain-controller.js';
export { scheduledTrigger } from './scheduled-trigger.js';
export { moveProduction } from './move-production.js';
export { retrainFleet, fleetQuery } from './retrain-fleet.js';
