import { Construct } from 'constructs';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import { SchedulerSchedule } from '@cdktf/provider-aws/lib/scheduler-schedule/index.js';
import { throwIfViolations } from '../../core/errors.js';
import { parseSchedule } from '../../core/training/schedule.js';

export interface RetrainingScheduleProps {
  /** The schedule's name (1–64 letters, digits, -, _ and .). */
  readonly name: string;
  /** The role EventBridge Scheduler assumes to submit the job (at most 64 characters). */
  readonly roleName: string;
  /** `cron(…)` or `rate(…)`, evaluated in UTC (core/training/schedule.ts). */
  readonly expression: string;
  /** The one queue and job definition (with its revision) the role may submit to. */
  readonly jobQueueArn: string;
  readonly jobDefinitionArn: string;
  /** Each scheduled job is named so (Batch adds its own id). */
  readonly jobName: string;
  readonly accountId: string;
  readonly region: string;
  readonly partition: string;
  /**
   * Minutes EventBridge Scheduler may shift a run by to spread load.
   * @default 0 — runs at the scheduled time
   */
  readonly flexibleWindowMinutes?: number;
  /**
   * How often Scheduler retries a submission Batch refused (throttling, a queue being updated).
   * @default 3
   */
  readonly retryAttempts?: number;
}

/**
 * Submits the project's training job on a schedule: an EventBridge Scheduler schedule whose
 * universal target calls Batch SubmitJob, with a role that may submit exactly this queue and job
 * definition, trusted only by Scheduler of this account.
 */
export class RetrainingSchedule extends Construct {
  readonly scheduleArn: string;
  readonly scheduleName: string;

  constructor(scope: Construct, id: string, props: RetrainingScheduleProps) {
    super(scope, id);
    const flexibleWindowMinutes = props.flexibleWindowMinutes ?? 0;
    const retryAttempts = props.retryAttempts ?? 3;
    const violations = parseSchedule(props.expression, 'expression').violations;
    if (!/^[0-9A-Za-z_.-]{1,64}$/.test(props.name)) violations.push(`name "${props.name}": 1 to 64 letters, digits, -, _ and .`);
    if (props.roleName.length > 64) violations.push(`roleName "${props.roleName}": IAM role names are at most 64 characters`);
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,100}$/.test(props.jobName)) violations.push(`jobName "${props.jobName}": up to 101 letters, digits, - and _ (Batch allows 128)`);
    if (!Number.isInteger(flexibleWindowMinutes) || flexibleWindowMinutes < 0 || flexibleWindowMinutes > 1440) {
      violations.push(`flexibleWindowMinutes ${flexibleWindowMinutes}: a whole number from 0 (off) to 1440`);
    }
    if (!Number.isInteger(retryAttempts) || retryAttempts < 0 || retryAttempts > 185) violations.push(`retryAttempts ${retryAttempts}: a whole number from 0 to 185`);
    throwIfViolations('RetrainingSchedule', violations);

    const role = new IamRole(this, 'role', {
      name: props.roleName,
      description: 'EventBridge Scheduler submits this project\'s training job with it',
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'scheduler.amazonaws.com' },
            Action: 'sts:AssumeRole',
            // Only this schedule may use the role (no confused deputy from another account or schedule).
            Condition: {
              StringEquals: { 'aws:SourceAccount': props.accountId },
              ArnEquals: { 'aws:SourceArn': `arn:${props.partition}:scheduler:${props.region}:${props.accountId}:schedule/default/${props.name}` },
            },
          },
        ],
      }),
    });
    new IamRolePolicy(this, 'policy', {
      name: 'submit-training-job',
      role: role.id,
      policy: JSON.stringify({
        Version: '2012-10-17',
        // SubmitJob is authorised on the queue, the definition and the new job (its ARN carries a random id, so job/*).
        Statement: [
          {
            Sid: 'SubmitThisJob',
            Effect: 'Allow',
            Action: 'batch:SubmitJob',
            Resource: [props.jobQueueArn, props.jobDefinitionArn, `arn:${props.partition}:batch:${props.region}:${props.accountId}:job/*`],
          },
        ],
      }),
    });
    const schedule = new SchedulerSchedule(this, 'schedule', {
      name: props.name,
      description: 'Retrains the ML project: submits its training job',
      scheduleExpression: props.expression,
      scheduleExpressionTimezone: 'UTC',
      state: 'ENABLED',
      flexibleTimeWindow: flexibleWindowMinutes > 0 ? { mode: 'FLEXIBLE', maximumWindowInMinutes: flexibleWindowMinutes } : { mode: 'OFF' },
      target: {
        arn: `arn:${props.partition}:scheduler:::aws-sdk:batch:submitJob`,
        roleArn: role.arn,
        input: JSON.stringify({ JobName: props.jobName, JobQueue: props.jobQueueArn, JobDefinition: props.jobDefinitionArn }),
        retryPolicy: { maximumRetryAttempts: retryAttempts, maximumEventAgeInSeconds: 3600 },
      },
    });
    this.scheduleArn = schedule.arn;
    this.scheduleName = schedule.name;
  }
}
