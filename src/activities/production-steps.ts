import { planModel, type ModelPlan } from '../config/plan.js';
import { FailureType, RetrainError } from '../errors.js';
import type { RollbackMark } from '../registry/registry.js';
import { describeMark, describeSkipped, rollbackTarget, type SkippedVersion } from '../registry/rollback-target.js';
import { registryOfPlan, type ActivityDeps } from './deps.js';

export interface MovePlan {
  plan: ModelPlan;
  from: number | null;
  to: number;
  /** Earlier production versions a rollback walked past (declared bad), most recent first. */
  skipped?: SkippedVersion[];
  /** What the person should know about the target, e.g. that it was declared bad before. */
  notes?: string[];
}

export function createProductionSteps(deps: ActivityDeps) {
  const registryOf = (plan: ModelPlan) => registryOfPlan(deps, plan);
  return {
    /**
     * Where a rollback or manual promotion goes: a named version that must exist (even one
     * declared bad: naming it is explicit, and the result says so), or, for a rollback without
     * one, the most recent earlier production version that nobody rolled away from.
     */
    async resolveMove(input: { model: string; kind: 'rollback' | 'promote'; to?: number }): Promise<MovePlan> {
      const config = deps.config();
      const plan = planModel(config, input.model);
      const registry = deps.registry(config);
      const alias = plan.registry.alias;
      const from = await registry.getAlias(input.model, alias);
      let to = input.to;
      let skipped: SkippedVersion[] = [];
      if (to === undefined) {
        if (input.kind === 'promote') throw new RetrainError(FailureType.UnknownVersion, `promote ${input.model}: name the version to promote`);
        const walk = rollbackTarget(await registry.aliasHistory(input.model), alias, from, await registry.listVersions(input.model));
        if (from === null || walk.to === null) {
          const past = walk.skipped.length ? `; skipped ${describeSkipped(walk.skipped)}` : '';
          throw new RetrainError(
            FailureType.UnknownVersion,
            `rollback ${input.model}: no earlier ${alias} version that was not rolled back to go back to (now: ${from === null ? 'none' : `v${from}`}${past}); name one with --to`,
            { skipped: walk.skipped },
          );
        }
        to = walk.to;
        skipped = walk.skipped;
      }
      const target = await registry.getVersion(input.model, to);
      if (!target) {
        const known = (await registry.listVersions(input.model)).map((v) => `v${v.version}`).join(', ') || 'none';
        throw new RetrainError(FailureType.UnknownVersion, `${input.model} has no version ${to} (known: ${known})`, { version: to });
      }
      const notes = input.to !== undefined && target.rolledBack && to !== from
        ? [`v${to} was ${describeMark(target.rolledBack)}; moved there because it was named explicitly (it stays marked: a rollback without --to or a watch window never returns to it)`]
        : [];
      return { plan, from, to, skipped, notes };
    },

    /** Where the watch window sends production after `current` breached: the same walk as a rollback. */
    async resolveRestore(input: { plan: ModelPlan; current: number }): Promise<{ to: number | null; skipped: SkippedVersion[]; summary: string }> {
      const registry = registryOf(input.plan);
      const walk = rollbackTarget(await registry.aliasHistory(input.plan.name), input.plan.registry.alias, input.current, await registry.listVersions(input.plan.name));
      return { ...walk, summary: describeSkipped(walk.skipped) };
    },

    /** Declares a version bad: production was rolled away from it. */
    async markRolledBack(input: { plan: ModelPlan; version: number; mark: RollbackMark }): Promise<void> {
      await registryOf(input.plan).markRolledBack(input.plan.name, input.version, input.mark);
    },
  };
}
