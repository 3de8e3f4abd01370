import { Construct } from 'constructs';
import { BatchJobDefinition } from '@cdktf/provider-aws/lib/batch-job-definition/index.js';
import type { BatchPlacement } from '../../core/training/placement.js';
import { toBatchResourceRequirements } from '../../core/settings/resource-requirements.js';
import { throwIfViolations } from '../../core/errors.js';
import { MLFLOW_CA_VARIABLE, withMlflowCaFile } from '../../core/training/mlflow-ca.js';

export interface TrainingJobDefinitionProps {
  readonly name: string;
  /** `<repository url>:<content hash>`. */
  readonly imageUri: string;
  readonly command: string[];
  /** The job's vCPUs, memory and GPUs, and whether it runs on Fargate or EC2. */
  readonly placement: BatchPlacement;
  readonly executionRoleArn: string;
  readonly jobRoleArn: string;
  /** The container's MLFLOW_TRACKING_URI (a reference, never a literal copied by hand). */
  readonly trackingUri: string;
  /** The container's MLFLOW_EXPERIMENT_NAME: the ML project's name. */
  readonly experimentName: string;
  readonly logGroupName: string;
  readonly region: string;
  /**
   * A job attempt running longer is stopped.
   * @default 86400 — a day
   */
  readonly timeoutSeconds?: number;
  /**
   * Attempts per job. Failures without an exit code (an instance reclaimed, Spot interrupted, the
   * image not pulled) are retried; a training script that exits non-zero fails the job at once.
   * @default 2
   */
  readonly retryAttempts?: number;
  /**
   * Fargate only: give the task a public IP (subnets without NAT need one to pull the image).
   * @default false
   */
  readonly assignPublicIp?: boolean;
  /**
   * The stack's own MLflow server (basic auth, HTTPS with the project's CA): the credential reaches
   * the container as Batch *secrets* MLFLOW_TRACKING_USERNAME/PASSWORD (the execution role reads the
   * secret), the CA as text its command writes to a file first (core/training/mlflow-ca.ts).
   * @default undefined — a team's own server: no credential, the system's CAs
   */
  readonly mlflowAuth?: { readonly credentialSecretArn: string; readonly caCertificate: string };
}

/** The Batch job definition of a project's training: resources, roles, logs, retries, timeout. */
export class TrainingJobDefinition extends Construct {
  /** The ARN with its revision (`…:job-definition/<name>:<revision>`). */
  readonly jobDefinitionArn: string;
  readonly jobDefinitionName: string;

  constructor(scope: Construct, id: string, props: TrainingJobDefinitionProps) {
    super(scope, id);
    const timeoutSeconds = props.timeoutSeconds ?? 86_400;
    const retryAttempts = props.retryAttempts ?? 2;
    const assignPublicIp = props.assignPublicIp ?? false;
    const violations: string[] = [];
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/.test(props.name)) violations.push(`name "${props.name}": up to 128 letters, digits, - and _`);
    if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 60) violations.push(`timeoutSeconds ${timeoutSeconds}: Batch needs a whole number of at least 60`);
    if (!Number.isInteger(retryAttempts) || retryAttempts < 1 || retryAttempts > 10) violations.push(`retryAttempts ${retryAttempts}: a whole number from 1 to 10`);
    if (props.command.length === 0) violations.push('command: the container needs a command');
    if (props.experimentName.trim() === '') violations.push('experimentName: must not be empty');
    throwIfViolations('TrainingJobDefinition', violations);

    const fargate = props.placement.kind === 'fargate';
    const auth = props.mlflowAuth;
    const containerProperties: Record<string, unknown> = {
      image: props.imageUri,
      command: auth ? withMlflowCaFile(props.command) : props.command,
      jobRoleArn: props.jobRoleArn,
      executionRoleArn: props.executionRoleArn,
      resourceRequirements: toBatchResourceRequirements(props.placement.kind === 'fargate' ? { ...props.placement, gpus: 0 } : props.placement),
      environment: [
        { name: 'MLFLOW_EXPERIMENT_NAME', value: props.experimentName },
        { name: 'MLFLOW_TRACKING_URI', value: props.trackingUri },
        ...(auth ? [{ name: MLFLOW_CA_VARIABLE, value: auth.caCertificate }] : []),
      ],
      ...(auth
        ? {
            secrets: [
              { name: 'MLFLOW_TRACKING_USERNAME', valueFrom: `${auth.credentialSecretArn}:username::` },
              { name: 'MLFLOW_TRACKING_PASSWORD', valueFrom: `${auth.credentialSecretArn}:password::` },
            ],
          }
        : {}),
      logConfiguration: {
        logDriver: 'awslogs',
        options: { 'awslogs-group': props.logGroupName, 'awslogs-region': props.region, 'awslogs-stream-prefix': 'training' },
      },
      ...(fargate
        ? {
            networkConfiguration: { assignPublicIp: assignPublicIp ? 'ENABLED' : 'DISABLED' },
            fargatePlatformConfiguration: { platformVersion: 'LATEST' },
          }
        : {}),
    };

    const definition = new BatchJobDefinition(this, 'definition', {
      name: props.name,
      type: 'container',
      platformCapabilities: [fargate ? 'FARGATE' : 'EC2'],
      propagateTags: true,
      // Plain JSON with Terraform references inside strings: readable in plans, and values here never hold quotes.
      containerProperties: JSON.stringify(containerProperties),
      timeout: { attemptDurationSeconds: timeoutSeconds },
      retryStrategy: {
        attempts: retryAttempts,
        evaluateOnExit: [
          { action: 'RETRY', onStatusReason: 'Host EC2*' },
          { action: 'EXIT', onExitCode: '*' },
        ],
      },
    });
    this.jobDefinitionArn = definition.arn;
    this.jobDefinitionName = definition.name;
  }
}
