import type { App } from 'cdktf';
import type { StackConfig } from '../../stacks/common/config.js';
import { TrainingStack } from '../../stacks/training-stack.js';
import type { MlProject } from '../ml-project.js';

export const trainingStackId = (mlProject: string) => `training-${mlProject}`;

/** Builds one ML project's training stack. */
export function buildTrainingStack(app: App, config: StackConfig, project: MlProject): TrainingStack {
  return new TrainingStack(app, trainingStackId(project.name), { ...config, mlProject: project.name });
}
