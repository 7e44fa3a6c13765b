import { toFailure } from '../errors.js';
import { currentInput } from './wire-names.js';
import type { ActivityDeps } from './deps.js';
import { createAuditSteps } from './audit-steps.js';
import { createPipelineSteps } from './pipeline-steps.js';
import { createTriggerSteps } from './trigger-steps.js';
import { createControllerSteps } from './controller-steps.js';
import { createFleetSteps } from './fleet-steps.js';
import { createNotifySteps } from './notify-steps.js';
import { createProductionSteps } from './production-steps.js';
import { createBacktestSteps } from './backtest-steps.js';
import { createQuickSteps } from './quick-steps.js';

/**
 * Wraps each activity so a RetrainError leaves it as a typed non-retryable ApplicationFailure, and
 * an input scheduled by a workflow started before 0.3 arrives with today's field names (wire-names.ts).
 */
function typedFailures<T extends Record<string, (...args: never[]) => Promise<unknown>>>(acts: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(acts)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        return await fn(...((args.length ? [currentInput(name, args[0]), ...args.slice(1)] : args) as never[]));
      } catch (err) {
        throw toFailure(err);
      }
    };
  }
  return wrapped as T;
}

export function createActivities(deps: ActivityDeps) {
  return typedFailures({ ...createPipelineSteps(deps), ...createAuditSteps(deps), ...createTriggerSteps(), ...createControllerSteps(), ...createFleetSteps(), ...createNotifySteps(), ...createProductionSteps(deps), ...createBacktestSteps(deps), ...createQuickSteps(deps) });
}

export type Activities = ReturnType<typeof createActivities>;
