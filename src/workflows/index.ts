export { retrainPipeline, pipelineStepQuery } from './retrain-pipeline.js';
