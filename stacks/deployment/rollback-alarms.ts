import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm/index.js';
import { Construct } from 'constructs';
import { throwIfViolations } from '../../core/errors.js';

export interface RollbackAlarmsProps {
  readonly endpointName: string;
  readonly variantName: string;
  /** Name of the invocation 5XX alarm. */
  readonly errorsAlarmName: string;
  /** Name of the model latency alarm. */
  readonly latencyAlarmName: string;
  /** Invocation 5XX errors within one minute that fire the alarm. */
  readonly max5xxErrorsPerMinute: number;
  /** Average model latency in milliseconds that fires the alarm. */
  readonly maxModelLatencyMs: number;
  /**
   * Consecutive minutes the latency must stay above the threshold before the alarm fires.
   * @default 2 — one slow minute (a cold start) does not roll back
   */
  readonly latencyEvaluationMinutes?: number;
}

/**
 * The CloudWatch alarms a blue/green rollout watches: when one fires during the baking period,
 * SageMaker shifts all traffic back to the old fleet. They also show on the dashboard.
 */
export class RollbackAlarms extends Construct {
  readonly alarmNames: string[];
  readonly alarmArns: string[];

  constructor(scope: Construct, id: string, props: RollbackAlarmsProps) {
    super(scope, id);
    const latencyEvaluationMinutes = props.latencyEvaluationMinutes ?? 2;
    const violations: string[] = [];
    if (!Number.isInteger(props.max5xxErrorsPerMinute) || props.max5xxErrorsPerMinute < 1) {
      violations.push(`max5xxErrorsPerMinute ${props.max5xxErrorsPerMinute} must be a whole number of at least 1`);
    }
    if (!(props.maxModelLatencyMs > 0)) violations.push(`maxModelLatencyMs ${props.maxModelLatencyMs} must be more than 0`);
    if (!Number.isInteger(latencyEvaluationMinutes) || latencyEvaluationMinutes < 1 || latencyEvaluationMinutes > 60) {
      violations.push(`latencyEvaluationMinutes ${latencyEvaluationMinutes} must be a whole number from 1 to 60`);
    }
    throwIfViolations('RollbackAlarms', violations);

    const dimensions = { EndpointName: props.endpointName, VariantName: props.variantName };
    const errors = new CloudwatchMetricAlarm(this, 'invocation-5xx', {
      alarmName: props.errorsAlarmName,
      alarmDescription: `${props.endpointName}: ${props.max5xxErrorsPerMinute} or more invocation 5XX errors in a minute (rolls a blue/green rollout back)`,
      namespace: 'AWS/SageMaker',
      metricName: 'Invocation5XXErrors',
      dimensions,
      statistic: 'Sum',
      period: 60,
      evaluationPeriods: 1,
      threshold: props.max5xxErrorsPerMinute,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'notBreaching',
    });
    const latency = new CloudwatchMetricAlarm(this, 'model-latency', {
      alarmName: props.latencyAlarmName,
      alarmDescription: `${props.endpointName}: average model latency above ${props.maxModelLatencyMs} ms for ${latencyEvaluationMinutes} minutes (rolls a blue/green rollout back)`,
      namespace: 'AWS/SageMaker',
      metricName: 'ModelLatency',
      dimensions,
      statistic: 'Average',
      period: 60,
      evaluationPeriods: latencyEvaluationMinutes,
      // ModelLatency is reported in microseconds.
      threshold: props.maxModelLatencyMs * 1000,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
    });
    this.alarmNames = [errors.alarmName, latency.alarmName];
    this.alarmArns = [errors.arn, latency.arn];
  }
}
