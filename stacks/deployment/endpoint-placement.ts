import { DataAwsSubnets } from '@cdktf/provider-aws/lib/data-aws-subnets/index.js';
import { Construct } from 'constructs';
import type { DeploymentPlacement } from '../../core/deployment/placement.js';
import type { Environment } from '../../core/environment.js';
import { DeploymentBucket } from './deployment-bucket.js';
import { MlflowServerParameters } from './shared-parameters.js';

export interface EndpointPlacementProps {
  readonly environment: Environment;
  /** The MLflow server stack's network and bucket, or the team's own. */
  readonly placement: DeploymentPlacement;
  /** Name of the deployment's own bucket, made when there is no MLflow server stack. */
  readonly ownBucketName: string;
}

/**
 * The network and bucket of an endpoint. With the MLflow server stack: its private subnets and
 * artifact bucket, read from SSM. Otherwise: the VPC and subnets of the settings (every subnet of
 * the VPC when none are named) or none at all, and a bucket of the deployment's own.
 */
export class EndpointPlacement extends Construct {
  /** undefined: SageMaker's own network. */
  readonly vpcId?: string;
  readonly subnetIds?: string[];
  readonly bucketName: string;

  constructor(scope: Construct, id: string, props: EndpointPlacementProps) {
    super(scope, id);
    const { placement } = props;
    if (placement.kind === 'mlflow-server-stack') {
      const shared = new MlflowServerParameters(this, 'mlflow-server', { environment: props.environment });
      this.vpcId = shared.vpcId;
      this.subnetIds = shared.privateSubnetIds;
      this.bucketName = shared.artifactBucketName;
      return;
    }
    this.bucketName = new DeploymentBucket(this, 'bucket', { bucketName: props.ownBucketName }).bucketName;
    if (placement.vpcId !== null) {
      this.vpcId = placement.vpcId;
      this.subnetIds =
        placement.subnetIds.length > 0
          ? [...placement.subnetIds]
          : new DataAwsSubnets(this, 'subnets', { filter: [{ name: 'vpc-id', values: [placement.vpcId] }] }).ids;
    }
  }
}
