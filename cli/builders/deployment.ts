import type { App } from 'cdktf';
import type { StackConfig } from '../../stacks/common/config.js';
import { DeploymentStack, type DeploymentRelease } from '../../stacks/deployment-stack.js';
import { deploymentPlacement } from '../../core/deployment/placement.js';
import { endpointTarget, type EndpointTarget } from '../../core/deployment/target.js';
import type { MlProject } from '../../core/ml-project.js';
import { parseRequirementEntries } from '../../core/settings/resource-requirements.js';

export const deploymentStackId = (mlProject: string) => `deployment-${mlProject}`;

/** For `mlops synth`: a stand-in release (no image, metrics or features are looked up). */
export const placeholderRelease = (mlProject: string, modelVersion: string): DeploymentRelease => ({
  imageTag: `v${modelVersion}-synth`,
  record: { mlProject, modelVersion, runId: null, modelMetrics: {}, features: [], featureStatistics: null },
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
): DeploymentStack {
  const placement = deploymentPlacement(config.settings);
  return new DeploymentStack(app, deploymentStackId(project.name), { ...config, mlProject: project.name, modelVersion, target, placement, release });
}
