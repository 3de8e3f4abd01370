import { createInterface } from 'node:readline/promises';
import { UsageError } from '../core/errors.js';
import { UnrecordedResourcesError } from '../core/unrecorded-resources.js';
import type { Reporter } from './progress.js';
import { describePlan, hasChanges, type PlanSummary, type TerraformRunner } from './effects/terraform.js';

export interface ApplyResult {
  readonly plan: PlanSummary;
  readonly outputs: Record<string, unknown>;
}

/** On an initialised stack: plan (summary printed) → apply the saved plan → outputs. Nothing is applied when nothing changes. */
export async function planAndApply(stackDir: string, runner: TerraformRunner, reporter: Reporter): Promise<ApplyResult> {
  const plan = await runner.plan(stackDir);
  reporter.info(describePlan(plan));
  if (hasChanges(plan)) await applyAdopting(stackDir, runner, reporter);
  else reporter.info('No changes: the infrastructure matches the configuration.');
  return { plan, outputs: await runner.outputs(stackDir) };
}

/**
 * Applies the saved plan. When it fails only on resources that already exist under the names the
 * stack gives them (a killed run created them and never recorded them), adopts them (`import`, their
 * name being their ID), plans the same again and applies that, once. Resources whose import ID is
 * not their name are left to the operator, with the command to run.
 */
export async function applyAdopting(stackDir: string, runner: TerraformRunner, reporter: Reporter, planOptions: { targets?: string[] } = {}): Promise<void> {
  try {
    await runner.applyPlan(stackDir);
  } catch (error) {
    if (!(error instanceof UnrecordedResourcesError) || !error.resources.every((resource) => resource.adoptable)) throw error;
    for (const resource of error.resources) {
      reporter.info(`${resource.address}: ${resource.name} exists but is not in the state (a killed run made it); adopting it (import)`);
      await runner.importResource(stackDir, resource.address, resource.name);
    }
    const plan = await runner.plan(stackDir, planOptions);
    reporter.info(`After adopting ${error.resources.length}: ${describePlan(plan)}`);
    if (hasChanges(plan)) await runner.applyPlan(stackDir);
  }
}

export type Confirm = (question: string) => Promise<boolean>;

/** Asks on the terminal; without one, refuses so that a script never destroys by accident. */
export const confirmOnTerminal: Confirm = async (question) => {
  if (!process.stdin.isTTY) throw new UsageError(`${question} — no terminal to ask on: pass --yes to confirm`);
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim());
  } finally {
    prompt.close();
  }
};

/** init → destroy plan (summary printed) → confirmation → destroy. */
export async function destroyStack(
  stackDir: string,
  runner: TerraformRunner,
  reporter: Reporter,
  options: { yes: boolean; what: string; confirm?: Confirm },
): Promise<PlanSummary> {
  await runner.init(stackDir);
  const plan = await runner.plan(stackDir, { destroy: true });
  reporter.info(describePlan(plan));
  if (plan.destroy === 0) {
    reporter.info(`Nothing to remove: ${options.what} has no resources.`);
    return plan;
  }
  const confirm = options.confirm ?? confirmOnTerminal;
  if (!options.yes && !(await confirm(`Destroy ${plan.destroy} resources of ${options.what}?`))) {
    throw new UsageError('destroy cancelled; nothing was removed');
  }
  await runner.destroy(stackDir);
  return plan;
}
