import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { SsmParameter } from '@cdktf/provider-aws/lib/ssm-parameter/index.js';
import type { sharedParameterNames } from '../../core/naming.js';
import { throwIfViolations } from '../../core/errors.js';

export interface SharedParametersProps {
  /** The names, from stacks/common/config.ts sharedParameterNames (what the training and deployment stacks read). */
  readonly names: ReturnType<typeof sharedParameterNames>;
  readonly trackingUri: string;
  readonly vpcId: string;
  readonly privateSubnetIds: string[];
  readonly mlflowClientSecurityGroupId: string;
  readonly artifactBucket: string;
  /** The ARN of the training jobs' MLflow credential secret (their job definitions name it as a Batch secret). */
  readonly trainingCredentialSecretArn: string;
}

/**
 * Publishes what the later stacks need as SSM parameters, so they read the values at plan time
 * (data.aws_ssm_parameter) and no one copies an id by hand. Subnet ids are a StringList (comma-joined).
 */
export class SharedParameters extends Construct {
  readonly parameterArns: string[];

  constructor(scope: Construct, id: string, props: SharedParametersProps) {
    super(scope, id);
    throwIfViolations(
      'SharedParameters',
      Object.entries(props.names)
        .filter(([key, name]) => key !== 'prefix' && !name.startsWith(`${props.names.prefix}/`))
        .map(([key, name]) => `names.${key}="${name}": must start with ${props.names.prefix}/`),
    );
    const values: { key: string; name: string; value: string; type: 'String' | 'StringList'; description: string }[] = [
      { key: 'tracking-uri', name: props.names.trackingUri, value: props.trackingUri, type: 'String', description: 'MLflow tracking URI (internal load balancer)' },
      { key: 'vpc-id', name: props.names.vpcId, value: props.vpcId, type: 'String', description: 'VPC of the MLflow server' },
      {
        key: 'private-subnet-ids',
        name: props.names.privateSubnetIds,
        value: Fn.join(',', props.privateSubnetIds),
        type: 'StringList',
        description: 'Private subnets (egress through NAT) for training jobs and endpoints',
      },
      {
        key: 'client-security-group-id',
        name: props.names.mlflowClientSecurityGroupId,
        value: props.mlflowClientSecurityGroupId,
        type: 'String',
        description: 'Security group for tasks that use MLflow',
      },
      { key: 'artifact-bucket', name: props.names.artifactBucket, value: props.artifactBucket, type: 'String', description: 'MLflow artifact bucket' },
      {
        key: 'training-credential-secret-arn',
        name: props.names.trainingCredentialSecretArn,
        value: props.trainingCredentialSecretArn,
        type: 'String',
        description: "ARN of the training jobs' MLflow credential secret (the ARN only, never the value)",
      },
    ];
    this.parameterArns = values.map(
      (entry) => new SsmParameter(this, entry.key, { name: entry.name, type: entry.type, value: entry.value, description: entry.description }).arn,
    );
  }
}
