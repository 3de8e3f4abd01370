import { Construct } from 'constructs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log/index.js';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import type { ResourceNamer } from '../../core/naming.js';
import { LOG_RETENTION_DAYS } from '../common/validation.js';
import { throwIfViolations } from '../../core/errors.js';
import { assumeRolePolicy } from '../training/assume-role-policy.js';

export interface VpcFlowLogsProps {
  readonly namer: ResourceNamer;
  readonly vpcId: string;
  /** Days CloudWatch keeps the records. @default 30 */
  readonly logRetentionDays?: number;
}

/**
 * Every connection accepted or rejected in the VPC, to a log group of the environment: what an
 * investigation of the MLflow server, the jobs or the endpoints needs first. The delivery role may
 * write that group only.
 */
export class VpcFlowLogs extends Construct {
  constructor(scope: Construct, id: string, props: VpcFlowLogsProps) {
    super(scope, id);
    const retention = props.logRetentionDays ?? 30;
    if (!(LOG_RETENTION_DAYS as readonly number[]).includes(retention) || retention === 0) {
      throwIfViolations('VpcFlowLogs', [`logRetentionDays=${retention}: CloudWatch accepts ${LOG_RETENTION_DAYS.filter((days) => days > 0).join(', ')}`]);
    }
    const { namer } = props;
    const logGroup = new CloudwatchLogGroup(this, 'log-group', {
      name: `/mlops/${namer.name('logGroup', 'vpc-flow-logs')}`,
      retentionInDays: retention,
    });
    const role = new IamRole(this, 'role', {
      name: namer.name('iamRole', 'vpc-flow-logs'),
      description: 'Delivers the VPC flow logs to their log group',
      assumeRolePolicy: assumeRolePolicy('vpc-flow-logs.amazonaws.com'),
    });
    new IamRolePolicy(this, 'policy', {
      name: 'vpc-flow-logs',
      role: role.id,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'WriteFlowLogGroup',
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
            Resource: [logGroup.arn, `${logGroup.arn}:*`],
          },
        ],
      }),
    });
    new FlowLog(this, 'flow-log', {
      vpcId: props.vpcId,
      trafficType: 'ALL',
      logDestinationType: 'cloud-watch-logs',
      logDestination: logGroup.arn,
      iamRoleArn: role.arn,
      tags: { Name: namer.name('logGroup', 'vpc-flow-logs') },
    });
  }
}
