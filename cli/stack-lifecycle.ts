import { createInterface } from 'node:readline/promises';
import { UsageError } from '../core/errors.js';
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
  if (hasChanges(plan)) await runner.applyPlan(stackDir);
  else reporter.info('No changes: the infrastructure matches the configuration.');
  return { plan, outputs: await runner.outputs(stackDir) };
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
