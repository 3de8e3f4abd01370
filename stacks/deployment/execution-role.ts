import { DataAwsIamPolicyDocument, type DataAwsIamPolicyDocumentStatement } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition/index.js';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import { Construct } from 'constructs';
import { throwIfViolations } from '../../core/errors.js';

export interface EndpointExecutionRoleProps {
  /** `<project>-<env>-<ml-project>-serving`. */
  readonly roleName: string;
  /** The ECR repository the serving image is pulled from (pull rights on it alone). */
  readonly repositoryArn: string;
  /** The artifact bucket; the role may read and write under `artifactPrefix` only. */
  readonly artifactBucketName: string;
  /** Key prefix of this deployment in the bucket, without slashes at either end (`deployments/x`). */
  readonly artifactPrefix: string;
  /** The endpoint's log group (streams in it alone). */
  readonly logGroupArn: string;
  /**
   * The VPC the endpoint's network interfaces live in; undefined for endpoints outside a VPC
   * (serverless), which then get no network-interface rights at all.
   * @default undefined — no VPC
   */
  readonly vpcId?: string;
}

/**
 * The role SageMaker assumes to run one deployment: pull from its own ECR repository, write its own
 * log group, read and write its own path of the artifact bucket (data capture), and — in a VPC —
 * manage network interfaces in that VPC only.
 */
export class EndpointExecutionRole extends Construct {
  readonly roleArn: string;
  readonly roleName: string;
  /** The inline policy: the endpoint waits for it, so the role can pull the image when SageMaker starts. */
  readonly policy: IamRolePolicy;

  constructor(scope: Construct, id: string, props: EndpointExecutionRoleProps) {
    super(scope, id);
    const violations: string[] = [];
    if (props.artifactPrefix === '' || /^\/|\/$|\*/.test(props.artifactPrefix)) {
      violations.push(`artifactPrefix "${props.artifactPrefix}" must be a non-empty key prefix without leading or trailing "/" or "*"`);
    }
    throwIfViolations('EndpointExecutionRole', violations);

    const partition = new DataAwsPartition(this, 'partition').partition;
    const bucketArn = `arn:${partition}:s3:::${props.artifactBucketName}`;
    const trust = new DataAwsIamPolicyDocument(this, 'trust', {
      statement: [{ effect: 'Allow', actions: ['sts:AssumeRole'], principals: [{ type: 'Service', identifiers: ['sagemaker.amazonaws.com'] }] }],
    });
    const statements: DataAwsIamPolicyDocumentStatement[] = [
      { sid: 'EcrToken', effect: 'Allow', actions: ['ecr:GetAuthorizationToken'], resources: ['*'] },
      {
        sid: 'PullServingImage',
        effect: 'Allow',
        actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
        resources: [props.repositoryArn],
      },
      {
        sid: 'WriteEndpointLogs',
        effect: 'Allow',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        resources: [props.logGroupArn, `${props.logGroupArn}:log-stream:*`],
      },
      {
        sid: 'DeploymentObjects',
        effect: 'Allow',
        actions: ['s3:PutObject', 's3:GetObject'],
        resources: [`${bucketArn}/${props.artifactPrefix}/*`],
      },
      {
        sid: 'ListDeploymentPrefix',
        effect: 'Allow',
        actions: ['s3:ListBucket'],
        resources: [bucketArn],
        condition: [{ test: 'StringLike', variable: 's3:prefix', values: [`${props.artifactPrefix}/*`] }],
      },
      {
        sid: 'EndpointMetrics',
        effect: 'Allow',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        condition: [{ test: 'StringLike', variable: 'cloudwatch:namespace', values: ['/aws/sagemaker/*'] }],
      },
    ];
    if (props.vpcId !== undefined) {
      statements.push(
        {
          sid: 'DescribeNetwork',
          effect: 'Allow',
          actions: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeVpcs', 'ec2:DescribeDhcpOptions', 'ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups'],
          resources: ['*'],
        },
        {
          sid: 'NetworkInterfacesInTheVpc',
          effect: 'Allow',
          actions: ['ec2:CreateNetworkInterface', 'ec2:CreateNetworkInterfacePermission', 'ec2:DeleteNetworkInterface', 'ec2:DeleteNetworkInterfacePermission'],
          resources: ['*'],
          condition: [{ test: 'ArnLike', variable: 'ec2:Vpc', values: [`arn:${partition}:ec2:*:*:vpc/${props.vpcId}`] }],
        },
      );
    }
    const permissions = new DataAwsIamPolicyDocument(this, 'permissions', { statement: statements });
    const role = new IamRole(this, 'role', {
      name: props.roleName,
      description: 'SageMaker execution role of one model deployment',
      assumeRolePolicy: trust.json,
    });
    this.policy = new IamRolePolicy(this, 'policy', { name: 'serving', role: role.id, policy: permissions.json });
    this.roleArn = role.arn;
    this.roleName = role.name;
  }
}
