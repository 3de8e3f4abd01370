import type { App } from 'cdktf';
import type { StackConfig } from '../../stacks/common/config.js';
import { DeploymentStack, type DeploymentRelease, type DeploymentStackProps } from '../../stacks/deployment-stack.js';
import { deploymentPlacement } from '../../core/deployment/placement.js';
import { endpointTarget, type EndpointTarget } from '../../core/deployment/target.js';
import { PLACEHOLDER_MODEL_VERSION } from '../../core/deployment/names.js';
import type { MlProject } from '../../core/ml-project.js';
import { parseRequirementEntries } from '../../core/settings/resource-requirements.js';
import { stackIds } from '../../core/state-lock.js';

export const deploymentStackId = stackIds.deployment;

/** For `mlops synth`: a stand-in release (no image, metrics or features are looked up). */
export const placeholderRelease = (mlProject: string, modelVersion: string): DeploymentRelease => ({
  imageTag: `v${modelVersion}-synth`,
  record: { mlProject, modelVersion, runId: null, modelMetrics: {}, features: [], featureStatistics: null, servingInputExample: null },
});

/** The project's endpoint target: its resource requirements over the settings' defaults. */
export function deploymentTarget({ settings }: StackConfig, project: MlProject): EndpointTarget {
  return endpointTarget(project, parseRequirementEntries(settings.default_resource_requirements).values, settings.deployment.instance_count);
}

/**
 * Builds one ML project's deployment stack for a model version: the endpoint's instance type (or
 * serverless) from the project's resource requirements over the settings' defaults, its network and
 * bucket from the MLflow server stack or the settings.
 */
export function buildDeploymentStack(
  app: App,
  config: StackConfig,
  project: MlProject,
  modelVersion: string,
  release: DeploymentRelease = placeholderRelease(project.name, modelVersion),
  target: EndpointTarget = deploymentTarget(config, project),
  shadow?: DeploymentStackProps['shadow'],
): DeploymentStack {
  const placement = deploymentPlacement(config.settings);
  return new DeploymentStack(app, deploymentStackId(project.name), { ...config, mlProject: project.name, modelVersion, target, placement, release, shadow });
}

/**
 * The deployment stack of a project by name alone, for `deployment-job-rm` and `unlock`: destroy
 * works from the state, so nothing is looked up (the MLflow server's SSM parameters may be gone
 * already) and the project folder is not read.
 */
export function buildDeploymentStackForRemoval(app: App, config: StackConfig, mlProject: string): DeploymentStack {
  return new DeploymentStack(app, deploymentStackId(mlProject), {
    ...config,
    mlProject,
    modelVersion: PLACEHOLDER_MODEL_VERSION,
    target: { kind: 'serverless', memoryMiB: 2048, maxConcurrency: 1 },
    placement: { kind: 'own', vpcId: null, subnetIds: [] },
    release: placeholderRelease(mlProject, PLACEHOLDER_MODEL_VERSION),
  });
}
