import type { DeploymentNames } from '../../core/deployment/names.js';
import { ENDPOINT_TAGS } from '../../core/deployment/names.js';
import { ExternalError } from '../../core/errors.js';
import type { Settings } from '../../core/settings/schema.js';
import { smokeTest, waitForInService, watchEndpointDuring } from '../effects/sagemaker-endpoint.js';
import type { CostEstimate } from '../../core/cost/estimate.js';
import { hasChanges, type PlanSummary } from '../effects/terraform.js';
import { reviewPlan, type CostReview } from '../stack-lifecycle.js';
import type { DeploymentEffects } from './deployment-job.js';

/** How often the endpoint's state is polled while waiting (MLOPS_POLL_SECONDS shortens it for tests). */
export const pollMs = (env: NodeJS.ProcessEnv) => Math.max(1, Number(env.MLOPS_POLL_SECONDS ?? 15)) * 1000;

/** What a plan does to the endpoint, in words: a rollout updates it in place, never replaces it. */
export function describeRollout(plan: Pick<PlanSummary, 'replace' | 'updateInPlace'>): string[] {
  const lines: string[] = [];
  const isEndpoint = (address: string) => address.startsWith('aws_sagemaker_endpoint.');
  const endpointUpdated = plan.updateInPlace.filter(isEndpoint);
  const endpointReplaced = plan.replace.filter(isEndpoint);
  const newRelease = plan.replace.filter((address) => /^aws_sagemaker_(model|endpoint_configuration)\./.test(address));
  if (endpointUpdated.length > 0) lines.push(`The endpoint is updated in place (blue/green, no downtime): ${endpointUpdated.join(', ')}`);
  if (endpointReplaced.length > 0) lines.push(`warning: the endpoint would be REPLACED (downtime): ${endpointReplaced.join(', ')}`);
  if (newRelease.length > 0) lines.push(`New model and endpoint configuration created before the old ones are destroyed: ${newRelease.join(', ')}`);
  return lines;
}

export interface Rollout {
  readonly plan: PlanSummary;
  readonly cost: CostEstimate;
  readonly changed: boolean;
  /** The version the endpoint served before, from its tag; undefined for a new endpoint. */
  readonly previousVersion?: string;
  readonly outputs: Record<string, unknown>;
  /** undefined when the release record kept no input example to send (records older than shadows). */
  readonly smokeTestAnswer?: string;
}

/**
 * Plans the rest of the stack and applies it (never when it would replace a serving endpoint),
 * reporting the endpoint's states meanwhile; waits for InService, checks that the new configuration
 * serves (a fired rollback alarm leaves the old one), and sends the input example once.
 */
export async function rollOut(
  effects: DeploymentEffects,
  stackDir: string,
  names: DeploymentNames,
  release: { version: string; servingInputExample?: string; projectName: string; shadowVersion?: string },
  settings: Settings['deployment'],
  review: CostReview,
): Promise<Rollout> {
  const { terraform, endpoints, reporter } = effects;
  const before = await endpoints.describe(names.endpoint);
  const previousVersion = before?.tags[ENDPOINT_TAGS.modelVersion];
  const previousShadow = before?.tags[ENDPOINT_TAGS.shadowModelVersion];
  const plan = await terraform.plan(stackDir);
  const cost = reviewPlan(plan, reporter, review);
  for (const line of describeRollout(plan)) reporter.info(line);
  const replacedEndpoint = plan.replace.filter((address) => address.startsWith('aws_sagemaker_endpoint.'));
  if (before && replacedEndpoint.length > 0) {
    throw new ExternalError(
      `refusing to apply: the plan replaces the endpoint ${names.endpoint} (${replacedEndpoint.join(', ')}), which would take it down; a rollout only updates it in place. Remove the deployment first (make deployment-job-rm project=${release.projectName}) if a new endpoint is really meant.`,
    );
  }
  const changed = hasChanges(plan);
  const poll = pollMs(effects.env);
  if (changed) {
    if (before && previousVersion !== release.version) {
      reporter.info(`Rolling out version ${release.version} over version ${previousVersion ?? '?'}: blue/green, rolled back if ${names.alarm5xx} or ${names.alarmLatency} fires.`);
    }
    if (release.shadowVersion && release.shadowVersion !== previousShadow) {
      reporter.info(`Adding version ${release.shadowVersion} as a shadow beside version ${release.version}: blue/green, rolled back if ${names.alarm5xx} or ${names.alarmLatency} fires.`);
    }
    if (previousShadow && !release.shadowVersion && previousShadow !== release.version) {
      reporter.warn(`the shadow variant (version ${previousShadow}) is removed by this rollout; deploy it again with --shadow to keep comparing it`);
    }
    await watchEndpointDuring(endpoints, names.endpoint, terraform.applyPlan(stackDir), { pollMs: poll, report: (message) => reporter.info(`  ${message}`) });
  } else {
    reporter.info(`No changes: ${names.endpoint} already serves version ${release.version} as configured.`);
  }
  const outputs = await terraform.outputs(stackDir);

  const step = reporter.step(`waiting for ${names.endpoint} to be InService`);
  const endpoint = await waitForInService(endpoints, names.endpoint, {
    timeoutMs: settings.endpoint_wait_minutes * 60_000,
    pollMs: poll,
    report: (message) => step.update(message),
  }).catch((error) => {
    step.fail();
    throw error;
  });
  step.done(`${names.endpoint} is InService`);
  if (outputs.endpoint_config_name && endpoint.configName !== outputs.endpoint_config_name) {
    throw new ExternalError(
      `the rollout of version ${release.version} was rolled back: ${names.endpoint} serves ${endpoint.configName}, not ${String(outputs.endpoint_config_name)} (a rollback alarm fired or the new fleet failed; see the dashboard)`,
    );
  }
  let smokeTestAnswer: string | undefined;
  if (release.servingInputExample) smokeTestAnswer = await smokeTest(endpoints, names.endpoint, release.servingInputExample);
  else reporter.warn(`the release record of version ${release.version} keeps no input example, so the endpoint was not smoke-tested`);
  return { plan, cost, changed, previousVersion, outputs, smokeTestAnswer };
}
