import { Fn } from 'cdktf';
import { DataAwsSsmParameter } from '@cdktf/provider-aws/lib/data-aws-ssm-parameter/index.js';
import { Construct } from 'constructs';
import { sharedParameterNames } from '../../core/naming.js';
import type { Environment } from '../../core/environment.js';

export interface MlflowServerParametersProps {
  /** The environment whose MLflow server stack published the parameters. */
  readonly environment: Environment;
}

/**
 * What the MLflow server stack publishes in SSM and a deployment needs: the VPC and its private
 * subnets (the endpoint's network) and the artifact bucket (data capture and baselines). Read at
 * plan time, so no value is copied by hand and each stack keeps its own state.
 */
export class MlflowServerParameters extends Construct {
  readonly vpcId: string;
  /** The private subnet ids (a StringList parameter: comma-separated). */
  readonly privateSubnetIds: string[];
  readonly artifactBucketName: string;

  constructor(scope: Construct, id: string, props: MlflowServerParametersProps) {
    super(scope, id);
    const names = sharedParameterNames(props.environment);
    const read = (parameterId: string, name: string) => new DataAwsSsmParameter(this, parameterId, { name });
    this.vpcId = read('vpc-id', names.vpcId).insecureValue;
    this.privateSubnetIds = Fn.split(',', read('private-subnet-ids', names.privateSubnetIds).insecureValue);
    this.artifactBucketName = read('artifact-bucket', names.artifactBucket).insecureValue;
  }
}
