import type { Argv } from 'yargs';
import type { Command } from '../command.js';
import { lazyHandler, withJson, withMaxMonthlyUsd, withProject } from '../command.js';
import type { ShadowArgs } from '../workflows/deployment-shadow.js';

const withPlanOnly = <T>(yargs: Argv<T>, what: string) =>
  yargs.option('plan-only', { type: 'boolean', default: false, describe: `Show what ${what} would change (plan summary and estimated cost), without applying anything` });

export const promote: Command<ShadowArgs> = {
  command: 'promote',
  describe:
    "Make the shadow version of a project's endpoint the serving one: the same blue/green update with alarm rollback as a deployment, same endpoint name, smoke test, MLflow tags (not promote-model, which moves a version between environments)",
  builder: (yargs) => withMaxMonthlyUsd(withPlanOnly(withJson(withProject(yargs)), 'the promotion')) as unknown as Argv<ShadowArgs>,
  handler: lazyHandler(async () => (await import('../workflows/deployment-shadow.js')).runPromote),
};

export const shadowRm: Command<ShadowArgs> = {
  command: 'shadow-rm',
  describe: "Drop the shadow version of a project's endpoint; the serving version keeps serving under the same endpoint name (nothing to do without a shadow)",
  builder: (yargs) => withMaxMonthlyUsd(withPlanOnly(withJson(withProject(yargs)), 'removing the shadow')) as unknown as Argv<ShadowArgs>,
  handler: lazyHandler(async () => (await import('../workflows/deployment-shadow.js')).runShadowRm),
};
