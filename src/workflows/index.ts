// The workflow functions the worker registers (and the bundle's entry). Signals, queries and updates: messages.ts.
export { retrainPipeline } from './retrain-pipeline.js';
export { retrainController } from './retrain-controller.js';
export { scheduledTrigger } from './scheduled-trigger.js';
export { moveProduction } from './move-production.js';
export { backtestWorkflow } from './backtest.js';
export { retrainFleet } from './retrain-fleet.js';
