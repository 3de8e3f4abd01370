import { estimateCost, formatEstimate, NOT_COUNTED, type CostEstimate } from '../../core/cost/estimate.js';
import { resourcesFromState } from '../../core/cost/plan-resources.js';
import { PRICE_TABLE } from '../../core/cost/price-table.js';
import type { Environment } from '../../core/environment.js';
import { ExternalError } from '../../core/errors.js';
import { stateKeys } from '../../core/naming.js';
import { printJson } from '../command.js';
import { createAwsContext } from '../effects/aws.js';
import { listMlProjects } from '../ml-project.js';
import { createReporter, type Reporter } from '../progress.js';
import { loadStepConfig } from '../settings/load.js';
import type { ObjectStore } from '../vpn/pki.js';
import { createStateStore } from './step-effects.js';

export interface StackCost {
  /** `mlflow-server`, `training/<ml project>`, `deployment/<ml project>`. */
  readonly stack: string;
  readonly stateKey: string;
  /** undefined: the stack has no state (never applied, or removed). */
  readonly estimate?: CostEstimate;
}

export interface EnvironmentCost {
  readonly environment: string;
  readonly region: string;
  readonly asOf: string;
  readonly currency: 'USD';
  /** The sum of the stacks' monthly estimates. */
  readonly monthlyUsd: number;
  readonly stacks: readonly StackCost[];
  readonly notCounted: readonly string[];
}

/**
 * Prices every stack of the environment from its state in the state bucket: each state under
 * `<project>/<env>/`, and the stacks the ML projects would have that hold no state yet.
 */
export async function environmentCost(environment: Environment, mlProjects: readonly string[], states: ObjectStore, reporter: Reporter): Promise<EnvironmentCost> {
  const prefix = `${environment.project}/${environment.envName}/`;
  const step = reporter.step(`reading the states under s3://${environment.stateBucket}/${prefix}`);
  const found = (await states.list(prefix).catch((error) => {
    step.fail();
    throw error;
  })).filter((key) => key.endsWith('.tfstate'));
  const expected = [stateKeys.mlflowServer(environment), ...mlProjects.flatMap((name) => [stateKeys.training(environment, name), stateKeys.deployment(environment, name)])];
  const keys = [...new Set([...expected, ...found])].sort();
  const stacks = await Promise.all(
    keys.map(async (stateKey): Promise<StackCost> => {
      const stack = stateKey.slice(prefix.length, -'.tfstate'.length);
      const text = found.includes(stateKey) ? await states.read(stateKey) : undefined;
      if (text === undefined) return { stack, stateKey };
      let state: Parameters<typeof resourcesFromState>[0];
      try {
        state = JSON.parse(text);
      } catch (error) {
        throw new ExternalError(`the state s3://${environment.stateBucket}/${stateKey} is not JSON: ${(error as Error).message}`);
      }
      return { stack, stateKey, estimate: estimateCost(resourcesFromState(state), environment.region) };
    }),
  );
  step.done(`${stacks.filter((stack) => stack.estimate).length} stacks with state`);
  return {
    environment: `${environment.project}-${environment.envName}`,
    region: environment.region,
    asOf: PRICE_TABLE.asOf,
    currency: PRICE_TABLE.currency,
    monthlyUsd: stacks.reduce((total, stack) => total + (stack.estimate?.monthlyUsd ?? 0), 0),
    stacks,
    notCounted: NOT_COUNTED,
  };
}

/** The environment's cost as a person reads it: each stack's priced resources, then the total. */
export function formatEnvironmentCost(cost: EnvironmentCost): string {
  const lines = [`Environment ${cost.environment} in ${cost.region}: estimated from each stack's state (on-demand list prices of ${cost.asOf})`];
  for (const stack of cost.stacks) {
    if (!stack.estimate) {
      lines.push('', `${stack.stack}: not applied (no state)`);
      continue;
    }
    const [, ...body] = formatEstimate(stack.estimate, { all: true }).filter((line) => !line.startsWith('  Not counted:'));
    lines.push('', `${stack.stack}: $${stack.estimate.monthlyUsd.toFixed(2)}/month`, ...body);
  }
  const unpriced = cost.stacks.reduce((total, stack) => total + (stack.estimate?.unpriced.length ?? 0), 0);
  lines.push('', `Environment total: $${cost.monthlyUsd.toFixed(2)}/month${unpriced > 0 ? ` (without ${unpriced} resources not priced)` : ''}`);
  lines.push(`Not counted: ${cost.notCounted.join('; ')}`);
  return lines.join('\n');
}

/** `mlops cost`. */
export async function runCost({ json }: { json: boolean }): Promise<void> {
  const config = loadStepConfig();
  const cost = await environmentCost(config.environment, listMlProjects(), createStateStore(config, createAwsContext(config.environment.region)), createReporter());
  if (json) printJson(cost);
  else process.stdout.write(`${formatEnvironmentCost(cost)}\n`);
}
