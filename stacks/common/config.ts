import type { Settings } from '../../cli/settings/schema.js';
import type { Environment } from '../../cli/settings/load.js';

/** The one small typed config every stack takes: where it runs and the checked-in settings. */
export interface StackConfig {
  readonly environment: Environment;
  readonly settings: Settings;
}

/** Terraform state keys, one state per stack, keyed by project and environment. */
export const stateKeys = {
  mlflowServer: ({ project, envName }: Environment) => `${project}/${envName}/mlflow-server.tfstate`,
  training: ({ project, envName }: Environment, mlProject: string) => `${project}/${envName}/training/${mlProject}.tfstate`,
  deployment: ({ project, envName }: Environment, mlProject: string) => `${project}/${envName}/deployment/${mlProject}.tfstate`,
};

/**
 * SSM parameters through which the MLflow server stack publishes what later stacks need, so no
 * value is copied by hand and each stack keeps its own state.
 */
export function sharedParameterNames({ project, envName }: Environment) {
  const prefix = `/${project}/${envName}/mlflow-server`;
  return {
    prefix,
    trackingUri: `${prefix}/tracking-uri`,
    vpcId: `${prefix}/vpc-id`,
    privateSubnetIds: `${prefix}/private-subnet-ids`,
    mlflowClientSecurityGroupId: `${prefix}/client-security-group-id`,
    artifactBucket: `${prefix}/artifact-bucket`,
  };
}
