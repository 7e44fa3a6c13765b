export { retrainPipeline, pipelineStepQuery, pendingApprovalQuery, approveUpdate, rejectUpdate, type PendingApproval } from './retrain-pipeline.js';
export { retrainController, triggerSignal, statusQuery } from './retrain-controller.js';
export { scheduledTrigger } from './scheduled-trigger.js';
export { moveProduction } from './move-production.js';
