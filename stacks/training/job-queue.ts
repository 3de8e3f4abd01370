import { Construct } from 'constructs';
import { BatchJobQueue } from '@cdktf/provider-aws/lib/batch-job-queue/index.js';
import { throwIfViolations } from '../../core/errors.js';

export interface JobQueueProps {
  readonly name: string;
  readonly computeEnvironmentArn: string;
  /** @default 1 */
  readonly priority?: number;
}

/** The job queue of one project, in front of its compute environment. */
export class JobQueue extends Construct {
  readonly jobQueueArn: string;
  readonly jobQueueName: string;

  constructor(scope: Construct, id: string, props: JobQueueProps) {
    super(scope, id);
    const priority = props.priority ?? 1;
    const violations: string[] = [];
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/.test(props.name)) violations.push(`name "${props.name}": up to 128 letters, digits, - and _`);
    if (!Number.isInteger(priority) || priority < 0 || priority > 1000) violations.push(`priority ${priority}: a whole number from 0 to 1000`);
    throwIfViolations('JobQueue', violations);
    const queue = new BatchJobQueue(this, 'queue', {
      name: props.name,
      state: 'ENABLED',
      priority,
      computeEnvironmentOrder: [{ order: 1, computeEnvironment: props.computeEnvironmentArn }],
    });
    this.jobQueueArn = queue.arn;
    this.jobQueueName = queue.name;
  }
}
