import { Construct } from 'constructs';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import { throwIfViolations } from '../../core/errors.js';
import { assumeRolePolicy } from './assume-role-policy.js';

export interface ExecutionRoleProps {
  readonly name: string;
  /** The one repository the role may pull from. */
  readonly repositoryArn: string;
  /** The one log group the role may write to. */
  readonly logGroupArn: string;
  /** Secrets the container receives (the MLflow credential). @default [] */
  readonly secretArns?: readonly string[];
}

/**
 * The role ECS uses to start a job's container: pull this project's image, write to this project's
 * log group and read the job's secrets (its MLflow credential), nothing else (instead of the account-wide AmazonECSTaskExecutionRolePolicy).
 */
export class ExecutionRole extends Construct {
  readonly roleArn: string;

  constructor(scope: Construct, id: string, props: ExecutionRoleProps) {
    super(scope, id);
    throwIfViolations('ExecutionRole', props.name.length > 64 ? [`name "${props.name}": IAM role names are at most 64 characters`] : []);
    const secretArns = [...(props.secretArns ?? [])];
    const role = new IamRole(this, 'role', {
      name: props.name,
      description: 'Starts training containers: image pull and logs of one project',
      assumeRolePolicy: assumeRolePolicy('ecs-tasks.amazonaws.com'),
    });
    new IamRolePolicy(this, 'policy', {
      name: 'pull-image-write-logs',
      role: role.id,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Sid: 'EcrToken', Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
          {
            Sid: 'PullProjectImage',
            Effect: 'Allow',
            Action: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
            Resource: props.repositoryArn,
          },
          { Sid: 'WriteProjectLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `${props.logGroupArn}:*` },
          ...(secretArns.length > 0 ? [{ Sid: 'ReadJobSecrets', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: secretArns }] : []),
        ],
      }),
    });
    this.roleArn = role.arn;
  }
}
