import type { Construct } from 'constructs';
import { MlopsStack } from './common/mlops-stack.js';
import { stateKeys, type StackConfig } from './common/config.js';

export interface TrainingStackProps extends StackConfig {
  /** The ML project (a folder of ml-projects/) this stack trains. */
  readonly mlProject: string;
}

/** Per-project training: ECR, AWS Batch, IAM. (Filled in by issue 4.) */
export class TrainingStack extends MlopsStack {
  constructor(scope: Construct, id: string, props: TrainingStackProps) {
    super(scope, id, { ...props, stateKey: stateKeys.training(props.environment, props.mlProject), stackTag: `training/${props.mlProject}` });
  }
}
