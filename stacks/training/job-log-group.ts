import { Construct } from 'constructs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import { LOG_RETENTION_DAYS } from '../common/validation.js';
import { throwIfViolations } from '../../core/errors.js';

export interface JobLogGroupProps {
  /** The log group name (`/aws/batch/<project>-<env>-<ml-project>-training`). */
  readonly name: string;
  /**
   * Days the job logs are kept; one of CloudWatch's periods (0 = never expire).
   * @default 30
   */
  readonly retentionDays?: number;
}

/** The CloudWatch log group the jobs' awslogs driver writes to. */
export class JobLogGroup extends Construct {
  readonly logGroupName: string;
  readonly logGroupArn: string;

  constructor(scope: Construct, id: string, props: JobLogGroupProps) {
    super(scope, id);
    const retentionDays = props.retentionDays ?? 30;
    const violations: string[] = [];
    if (!(LOG_RETENTION_DAYS as readonly number[]).includes(retentionDays)) {
      violations.push(`retentionDays ${retentionDays}: CloudWatch keeps logs for one of ${LOG_RETENTION_DAYS.join(', ')} days`);
    }
    if (!/^[.\-_/#A-Za-z0-9]{1,512}$/.test(props.name)) violations.push(`name "${props.name}": letters, digits and . - _ / # only, at most 512 characters`);
    throwIfViolations('JobLogGroup', violations);

    const group = new CloudwatchLogGroup(this, 'group', { name: props.name, retentionInDays: retentionDays });
    this.logGroupName = group.name;
    this.logGroupArn = group.arn;
  }
}
