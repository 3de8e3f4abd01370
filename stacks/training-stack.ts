import type { Construct } from 'constructs';
import { TerraformOutput } from 'cdktf';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity/index.js';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition/index.js';
import { MlopsStack } from './common/mlops-stack.js';
import { sharedParameterNames, stateKeys } from '../core/naming.js';
import { type StackConfig } from './common/config.js';
import type { BatchPlacement } from '../core/training/placement.js';
import { ComputeEnvironment } from './training/compute-environment.js';
import { EgressOnlySecurityGroup } from './training/egress-only-security-group.js';
import { ExecutionRole } from './training/execution-role.js';
import { ImageRepository } from './common/image-repository.js';
import { JobLogGroup } from './training/job-log-group.js';
import { JobQueue } from './training/job-queue.js';
import { JobRole } from './training/job-role.js';
import { RetrainingSchedule } from './training/retraining-schedule.js';
import { TrainingJobDefinition } from './training/job-definition.js';
import { trainingResourceNames } from '../core/training/names.js';
import { TrainingNetwork, type TrainingNetworkProps } from './training/training-network.js';

export interface TrainingStackProps extends StackConfig {
  /** The ML project (a folder of ml-projects/) this stack trains. */
  readonly mlProject: string;
  /** Fargate or EC2 GPU, from the project's resource requirements (core/training/placement.ts). */
  readonly placement: BatchPlacement;
  /** The image tag the job definition runs: the content hash of the project and its Dockerfile. */
  readonly imageTag: string;
  /** The container command (the MLproject's main entry point with the local env manager). */
  readonly command: string[];
  /** The job role's policy template and the file it came from. */
  readonly jobPolicy: { readonly template: string; readonly source: string };
  /**
   * Where the network and tracking URI come from.
   * @default from the settings — the MLflow server stack's SSM parameters, or `tracking_uri` with the training network settings
   */
  readonly network?: TrainingNetworkProps['source'];
  /**
   * Retrain on this `cron(…)` or `rate(…)` expression (UTC): an EventBridge Scheduler schedule submits the job.
   * @default none — jobs run only when `training-job` submits them
   */
  readonly schedule?: string;
}

/**
 * Per-project training: ECR repository, Batch compute environment, job queue and job definition,
 * the roles, the log group and an egress-only security group, in the project's own state
 * (`<project>/<env>/training/<ml-project>.tfstate`). Network and tracking URI come from the MLflow
 * server stack's SSM parameters, or from settings when `tracking_uri` names a server of the team's own.
 */
export class TrainingStack extends MlopsStack {
  /** Every name of the stack's resources (`<project>-<env>-<ml-project>-…`). */
  readonly names: ReturnType<typeof trainingResourceNames>;
  /** The repository the training image is pushed to before the rest of the stack is applied. */
  readonly repository: ImageRepository;
  /** Whether jobs log to the stack's own MLflow server (basic auth, the project's CA): their command then writes the CA to a file first. */
  readonly mlflowAuth: boolean;

  constructor(scope: Construct, id: string, props: TrainingStackProps) {
    super(scope, id, { ...props, stateKey: stateKeys.training(props.environment, props.mlProject), stackTag: `training/${props.mlProject}` });
    const { environment, settings } = props;
    const training = settings.training;
    const names = trainingResourceNames(this.namer.child(props.mlProject));
    this.names = names;
    const partition = new DataAwsPartition(this, 'partition').partition;
    const accountId = new DataAwsCallerIdentity(this, 'caller').accountId;

    const network = new TrainingNetwork(this, 'network', {
      source:
        props.network ??
        (settings.tracking_uri === null
          ? { kind: 'mlflow-server', parameters: sharedParameterNames(environment) }
          : {
              kind: 'own-server',
              trackingUri: settings.tracking_uri,
              vpcId: training.vpc_id,
              subnetIds: training.subnet_ids,
              assignPublicIp: training.assign_public_ip,
            }),
    });
    const securityGroup = new EgressOnlySecurityGroup(this, 'security-group', { name: names.securityGroup, vpcId: network.vpcId });
    const logGroup = new JobLogGroup(this, 'logs', { name: names.logGroup, retentionDays: training.log_retention_days });
    const repository = new ImageRepository(this, 'images', { name: names.repository, keepImages: training.ecr_keep_images });
    this.repository = repository;
    const executionRole = new ExecutionRole(this, 'execution-role', {
      name: names.executionRole,
      repositoryArn: repository.repositoryArn,
      logGroupArn: logGroup.logGroupArn,
      secretArns: network.mlflowAuth ? [network.mlflowAuth.credentialSecretArn] : [],
    });
    const jobRole = new JobRole(this, 'job-role', {
      name: names.jobRole,
      policyTemplate: props.jobPolicy.template,
      policySource: props.jobPolicy.source,
      placeholders: {
        project: environment.project,
        env: environment.envName,
        region: environment.region,
        account_id: accountId,
        partition,
        ml_project: props.mlProject,
      },
    });
    const computeEnvironment = new ComputeEnvironment(this, 'compute', {
      namePrefix: names.computeEnvironmentPrefix,
      serviceRoleName: names.serviceRole,
      instanceRoleName: names.instanceRole,
      placement: props.placement,
      subnetIds: network.subnetIds,
      securityGroupIds: [securityGroup.securityGroupId, ...network.extraSecurityGroupIds],
      maxVcpus: training.max_vcpus,
      partition,
    });
    const queue = new JobQueue(this, 'queue', { name: names.jobQueue, computeEnvironmentArn: computeEnvironment.computeEnvironmentArn });
    const imageUri = `${repository.repositoryUrl}:${props.imageTag}`;
    const definition = new TrainingJobDefinition(this, 'job', {
      name: names.jobDefinition,
      imageUri,
      command: props.command,
      placement: props.placement,
      executionRoleArn: executionRole.roleArn,
      jobRoleArn: jobRole.roleArn,
      trackingUri: network.trackingUri,
      experimentName: props.mlProject,
      logGroupName: logGroup.logGroupName,
      region: environment.region,
      timeoutSeconds: training.job_timeout_seconds,
      retryAttempts: training.retry_attempts,
      assignPublicIp: network.assignPublicIp,
      mlflowAuth: network.mlflowAuth,
    });
    this.mlflowAuth = network.mlflowAuth !== undefined;

    const schedule =
      props.schedule === undefined
        ? undefined
        : new RetrainingSchedule(this, 'schedule', {
            name: names.schedule,
            roleName: names.schedulerRole,
            expression: props.schedule,
            jobQueueArn: queue.jobQueueArn,
            jobDefinitionArn: definition.jobDefinitionArn,
            jobName: `scheduled-${props.mlProject}`,
            accountId,
            region: environment.region,
            partition,
          });

    const outputs: Record<string, string> = {
      repository_name: repository.repositoryName,
      repository_url: repository.repositoryUrl,
      image_uri: imageUri,
      job_queue: queue.jobQueueName,
      job_definition: definition.jobDefinitionArn,
      log_group: logGroup.logGroupName,
      tracking_uri: network.trackingUri,
      compute_environment: computeEnvironment.computeEnvironmentName,
      ...(schedule ? { schedule_name: schedule.scheduleName } : {}),
    };
    for (const [name, value] of Object.entries(outputs)) new TerraformOutput(this, name, { value });
  }
}
