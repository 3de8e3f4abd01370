import type { App } from 'cdktf';
import type { StackConfig } from '../../stacks/common/config.js';
import { DeploymentStack } from '../../stacks/deployment-stack.js';
import type { MlProject } from '../ml-project.js';

export const deploymentStackId = (mlProject: string) => `deployment-${mlProject}`;

/** For `mlops synth` without a model: a stand-in version number, for synthesis only. */
export const PLACEHOLDER_MODEL_VERSION = '1';

/** Builds one ML project's deployment stack for a model version. */
export function buildDeploymentStack(app: App, config: StackConfig, project: MlProject, modelVersion: string): DeploymentStack {
  return new DeploymentStack(app, deploymentStackId(project.name), { ...config, mlProject: project.name, modelVersion });
}
