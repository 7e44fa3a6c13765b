export { retrainPipeline, pipelineStepQuery } from './retrain-pipeline.js';
export { retrainController, triggerSignal, statusQuery } from './retrain-controller.js';
export { scheduledTrigger } from './scheduled-trigger.js';
