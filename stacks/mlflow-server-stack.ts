import type { Construct } from 'constructs';
import { MlopsStack } from './common/mlops-stack.js';
import { stateKeys, type StackConfig } from './common/config.js';

export interface MlflowServerStackProps extends StackConfig {}

/** The MLflow server: VPC, ECS Fargate, RDS, S3 artifact store, Client VPN. (Filled in by issue 3.) */
export class MlflowServerStack extends MlopsStack {
  constructor(scope: Construct, id: string, props: MlflowServerStackProps) {
    super(scope, id, { ...props, stateKey: stateKeys.mlflowServer(props.environment), stackTag: 'mlflow-server' });
  }
}
