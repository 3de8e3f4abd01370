import { createInterface } from 'node:readline/promises';
import { checkMonthlyBudget, estimateCost, formatEstimate, type CostEstimate } from '../core/cost/estimate.js';
import { UsageError } from '../core/errors.js';
import { UnrecordedResourcesError } from '../core/unrecorded-resources.js';
import type { Reporter } from './progress.js';
import { describePlan, hasChanges, type PlanSummary, type TerraformRunner } from './effects/terraform.js';

export interface ApplyResult {
  readonly plan: PlanSummary;
  readonly cost: CostEstimate;
  readonly outputs: Record<string, unknown>;
}

/** What a step's plan is priced and checked against before it is applied. */
export interface CostReview {
  /** The stack's region (TF_VAR_region); a resource with its own `region` is priced there. */
  readonly region: string;
  /** What is being applied, for the refusal: `the MLflow server stack`. */
  readonly what: string;
  /** --max-monthly-usd: refuse the apply when the stack would cost more per month. */
  readonly maxMonthlyUsd?: number;
}

/**
 * The one place every step shows a plan before applying it: the summary, the estimated cost of what
 * it creates or changes (from the saved plan's own values), and the monthly limit, which refuses the
 * apply (exit 2) when exceeded.
 */
export function reviewPlan(plan: PlanSummary, reporter: Reporter, review: CostReview): CostEstimate {
  reporter.info(describePlan(plan));
  const cost = estimateCost(plan.resources, review.region);
  reporter.info(formatEstimate(cost).join('\n'));
  if (review.maxMonthlyUsd !== undefined) checkMonthlyBudget(cost, review.maxMonthlyUsd, review.what);
  return cost;
}

/**
 * The monthly limit checked on a plan of the whole stack before anything is applied: one line when
 * within it, the whole estimate and a refusal (exit 2) when not.
 */
export function checkBudgetFirst(plan: PlanSummary, reporter: Reporter, review: CostReview & { maxMonthlyUsd: number }): void {
  const cost = estimateCost(plan.resources, review.region);
  try {
    checkMonthlyBudget(cost, review.maxMonthlyUsd, review.what);
  } catch (error) {
    reporter.info(formatEstimate(cost).join('\n'));
    throw error;
  }
  reporter.info(`Within --max-monthly-usd ${review.maxMonthlyUsd}: ${review.what} is estimated at $${cost.monthlyUsd.toFixed(2)}/month; checked before anything is applied.`);
}

/** On an initialised stack: plan (summary and cost printed, monthly limit checked) → apply the saved plan → outputs. Nothing is applied when nothing changes. */
export async function planAndApply(stackDir: string, runner: TerraformRunner, reporter: Reporter, review: CostReview): Promise<ApplyResult> {
  const plan = await runner.plan(stackDir);
  const cost = reviewPlan(plan, reporter, review);
  if (hasChanges(plan)) await applyAdopting(stackDir, runner, reporter);
  else reporter.info('No changes: the infrastructure matches the configuration.');
  return { plan, cost, outputs: await runner.outputs(stackDir) };
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
