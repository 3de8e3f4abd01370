import type { Construct } from 'constructs';
import { MlopsStack } from './common/mlops-stack.js';
import { stateKeys, type StackConfig } from './common/config.js';

export interface DeploymentStackProps extends StackConfig {
  /** The ML project whose model this stack serves. */
  readonly mlProject: string;
  /** The MLflow model version served. */
  readonly modelVersion: string;
}

/** Per-project deployment: SageMaker model/endpoint, CloudWatch dashboards and alarms. (Filled in by issue 5.) */
export class DeploymentStack extends MlopsStack {
  constructor(scope: Construct, id: string, props: DeploymentStackProps) {
    super(scope, id, { ...props, stateKey: stateKeys.deployment(props.environment, props.mlProject), stackTag: `deployment/${props.mlProject}` });
  }
}
