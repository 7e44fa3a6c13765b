import { planModel, type ModelPlan } from '../config/plan.js';
import { FailureType, RetrainError } from '../errors.js';
import type { ActivityDeps } from './deps.js';

export interface MovePlan {
  plan: ModelPlan;
  from: number | null;
  to: number;
}

export function createProductionSteps(deps: ActivityDeps) {
  return {
    /**
     * Where a rollback or manual promotion goes: a named version that must exist, or (rollback
     * without one) the version production had before its current one, from the alias history.
     */
    async resolveMove(input: { model: string; kind: 'rollback' | 'promote'; to?: number }): Promise<MovePlan> {
      const config = deps.config();
      const plan = planModel(config, input.model);
      const registry = deps.registry(config);
      const alias = plan.registry.alias;
      const from = await registry.getAlias(input.model, alias);
      let to = input.to;
      if (to === undefined) {
        if (input.kind === 'promote') throw new RetrainError(FailureType.UnknownVersion, `promote ${input.model}: name the version to promote`);
        const lastMove = (await registry.aliasHistory(input.model)).findLast((m) => m.alias === alias && m.to === from);
        if (from === null || !lastMove || lastMove.from === null) {
          throw new RetrainError(FailureType.UnknownVersion, `rollback ${input.model}: no earlier ${alias} version to go back to (now: ${from === null ? 'none' : `v${from}`}); name one with --to`);
        }
        to = lastMove.from;
      }
      if (!(await registry.getVersion(input.model, to))) {
        const known = (await registry.listVersions(input.model)).map((v) => `v${v.version}`).join(', ') || 'none';
        throw new RetrainError(FailureType.UnknownVersion, `${input.model} has no version ${to} (known: ${known})`, { version: to });
      }
      return { plan, from, to };
    },
  };
}
