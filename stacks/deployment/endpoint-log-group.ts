import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import { Construct } from 'constructs';
import { throwIfViolations } from '../../core/errors.js';
import { endpointLogGroupName } from '../../core/deployment/names.js';
import { LOG_RETENTION_DAYS } from '../common/validation.js';

export interface EndpointLogGroupProps {
  /** The endpoint whose container logs the group receives (`/aws/sagemaker/Endpoints/<name>`). */
  readonly endpointName: string;
  /**
   * Days the logs are kept.
   * @default 30
   */
  readonly retentionDays?: number;
}

/**
 * The log group SageMaker writes an endpoint's container logs to, made before the endpoint so that
 * it has a retention period and is removed with the deployment instead of outliving it.
 */
export class EndpointLogGroup extends Construct {
  readonly logGroupName: string;
  readonly logGroupArn: string;
  readonly logGroup: CloudwatchLogGroup;

  constructor(scope: Construct, id: string, props: EndpointLogGroupProps) {
    super(scope, id);
    const retentionDays = props.retentionDays ?? 30;
    if (!(LOG_RETENTION_DAYS as readonly number[]).includes(retentionDays)) {
      throwIfViolations('EndpointLogGroup', [`retentionDays ${retentionDays} is not a CloudWatch Logs retention; allowed: ${LOG_RETENTION_DAYS.join(', ')}`]);
    }
    this.logGroup = new CloudwatchLogGroup(this, 'log-group', { name: endpointLogGroupName(props.endpointName), retentionInDays: retentionDays });
    this.logGroupName = this.logGroup.name;
    this.logGroupArn = this.logGroup.arn;
  }
}
