import type { App } from 'cdktf';
import type { StackConfig } from '../../stacks/common/config.js';
import { DeploymentStack, type DeploymentRelease } from '../../stacks/deployment-stack.js';
import { deploymentPlacement } from '../../core/deployment/placement.js';
import { endpointTarget } from '../../core/deployment/target.js';
import type { MlProject } from '../../core/ml-project.js';
import { parseRequirementEntries } from '../../core/settings/resource-requirements.js';

export const deploymentStackId = (mlProject: string) => `deployment-${mlProject}`;

/** For `mlops synth` without a model: a stand-in version number, for synthesis only. */
export const PLACEHOLDER_MODEL_VERSION = '1';

/** For `mlops synth`: a stand-in release (no image, metrics or features are looked up). */
export const placeholderRelease = (mlProject: string, modelVersion: string): DeploymentRelease => ({
  imageTag: `v${modelVersion}-synth`,
  record: { mlProject, modelVersion, runId: null, modelMetrics: {}, features: [], featureStatistics: null },
});

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
): DeploymentStack {
  const defaults = parseRequirementEntries(config.settings.default_resource_requirements).values;
  const target = endpointTarget(project, defaults, config.settings.deployment.instance_count);
  const placement = deploymentPlacement(config.settings);
  return new DeploymentStack(app, deploymentStackId(project.name), { ...config, mlProject: project.name, modelVersion, target, placement, release });
}
