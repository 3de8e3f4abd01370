import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { AppautoscalingPolicy } from '@cdktf/provider-aws/lib/appautoscaling-policy/index.js';
import { AppautoscalingTarget } from '@cdktf/provider-aws/lib/appautoscaling-target/index.js';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import { EcsCluster } from '@cdktf/provider-aws/lib/ecs-cluster/index.js';
import { EcsService } from '@cdktf/provider-aws/lib/ecs-service/index.js';
import { EcsTaskDefinition } from '@cdktf/provider-aws/lib/ecs-task-definition/index.js';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group/index.js';
import type { LbListener } from '@cdktf/provider-aws/lib/lb-listener/index.js';
import type { ResourceNamer } from '../../core/naming.js';
import { LOG_RETENTION_DAYS } from '../common/validation.js';
import { throwIfViolations } from '../../core/errors.js';
import { DATABASE_ENGINES, type DatabaseEngine } from './database.js';
import { fargateTaskSizeViolations } from './fargate-task-size.js';
import type { MlflowUserRole } from '../../core/naming.js';

export interface MlflowServiceProps {
  readonly namer: ResourceNamer;
  readonly region: string;
  readonly vpcId: string;
  /** The private subnets the tasks run in (no public IP). */
  readonly subnetIds: string[];
  /** The image to run, `<repository url>:<content-hash tag>`. */
  readonly image: string;
  /** The image's ECR repository, which the execution role may pull from. */
  readonly repositoryArn: string;
  readonly loadBalancer: {
    readonly securityGroupId: string;
    readonly targetGroupArn: string;
    readonly listener: LbListener;
    readonly dnsName: string;
    readonly targetPort: number;
    readonly healthCheckPath: string;
  };
  readonly database: {
    readonly engine: DatabaseEngine;
    readonly address: string;
    readonly port: number;
    readonly databaseName: string;
    /**
     * The RDS-managed secret (JSON `username` and `password`, rotated by RDS). Only its ARN reaches the container; the
     * server reads it for every new connection, and the task role may read exactly this secret.
     */
    readonly masterUserSecretArn: string;
    /** The database's security group, the only destination of the tasks' database traffic. */
    readonly securityGroupId: string;
  };
  readonly artifactBucket: { readonly bucketName: string; readonly bucketArn: string };
  /** The MLflow users' secrets (stacks/mlflow-server/mlflow-credentials.ts), which reach the container as ECS secrets. */
  readonly credentialSecretArns: Record<MlflowUserRole, string>;
  /** Fargate CPU units of one task. @default 1024 */
  readonly cpu?: number;
  /** Fargate memory (MiB) of one task; must go with `cpu`. @default 2048 */
  readonly memoryMiB?: number;
  /** @default 1 */
  readonly minTasks?: number;
  /** Equal to `minTasks`, the count is fixed and no scaling target or policy is made. @default 2 */
  readonly maxTasks?: number;
  /** The average CPU (percent) autoscaling keeps the tasks at. @default 60 */
  readonly cpuTargetPercent?: number;
  /** @default 30 */
  readonly logRetentionDays?: number;
}

export const CONTAINER_NAME = 'mlflow';
/** Where the server puts artifacts in the bucket; clients reach them only through `--serve-artifacts`. */
export const ARTIFACTS_PREFIX = 'artifacts';
/** Inside the image (stacks/mlflow-server/image/serve.py reads these). */
export const RDS_CA_BUNDLE = '/opt/mlflow/rds-ca-bundle.pem';
/** The image's health check: the server answers and a new database connection with the current secret works. */
export const HEALTH_CHECK_SCRIPT = '/opt/mlflow/healthcheck.py';
/** The auth app's database, beside the tracking database on the same instance (serve.py creates it when missing). */
export const AUTH_DATABASE_NAME = 'mlflow_auth';

/**
 * Each user's credential as container environment, from the JSON keys of its secret. The admin's
 * names are MLflow's own (MLFLOW_AUTH_ADMIN_*); serve.py reads the others and makes the users.
 */
export const CREDENTIAL_VARIABLES: Record<MlflowUserRole, { username: string; password: string }> = {
  admin: { username: 'MLFLOW_AUTH_ADMIN_USERNAME', password: 'MLFLOW_AUTH_ADMIN_PASSWORD' },
  training: { username: 'MLOPS_TRAINING_USERNAME', password: 'MLOPS_TRAINING_PASSWORD' },
  cli: { username: 'MLOPS_CLI_USERNAME', password: 'MLOPS_CLI_PASSWORD' },
};

export interface ContainerDefinitionInput {
  readonly image: string;
  readonly region: string;
  readonly port: number;
  readonly healthCheckPath: string;
  readonly logGroupName: string;
  readonly loadBalancerDnsName: string;
  readonly artifactsDestination: string;
  readonly database: Omit<MlflowServiceProps['database'], 'securityGroupId'>;
  readonly credentialSecretArns: Record<MlflowUserRole, string>;
}

/**
 * The MLflow container: `mlflow server --app-name basic-auth --serve-artifacts` (clients need no S3
 * rights, and every request but /health needs a user). The backend store's address and the ARN of the
 * RDS-managed secret are plain environment, never the database password: RDS rotates it, so the
 * image's entry point (serve.py) reads the secret for every new connection instead of taking it once
 * at start. The MLflow users' credentials are ECS *secrets* taken from the secrets' JSON keys, so they
 * never appear in the task definition; serve.py makes the auth database and the users from them. The
 * health check makes a new database connection too, so ECS replaces a task that can no longer connect.
 */
export function mlflowContainerDefinition(input: ContainerDefinitionInput): Record<string, unknown> {
  return {
    name: CONTAINER_NAME,
    image: input.image,
    essential: true,
    command: [
      '--app-name',
      'basic-auth',
      '--host',
      '0.0.0.0',
      '--port',
      String(input.port),
      '--serve-artifacts',
      '--artifacts-destination',
      input.artifactsDestination,
    ],
    portMappings: [{ containerPort: input.port, hostPort: input.port, protocol: 'tcp' }],
    environment: [
      { name: 'AWS_DEFAULT_REGION', value: input.region },
      { name: 'DB_CA_BUNDLE', value: RDS_CA_BUNDLE },
      { name: 'DB_HOST', value: input.database.address },
      { name: 'DB_NAME', value: input.database.databaseName },
      { name: 'DB_PORT', value: String(input.database.port) },
      { name: 'DB_SCHEME', value: DATABASE_ENGINES[input.database.engine].uriScheme },
      { name: 'DB_SECRET_ARN', value: input.database.masterUserSecretArn },
      { name: 'MLOPS_AUTH_DB_NAME', value: AUTH_DATABASE_NAME },
      // MLflow refuses Host headers other than localhost and private IPs unless told; /health is exempt.
      { name: 'MLFLOW_SERVER_ALLOWED_HOSTS', value: `${input.loadBalancerDnsName},${input.loadBalancerDnsName}:*` },
    ],
    secrets: (Object.keys(CREDENTIAL_VARIABLES) as MlflowUserRole[]).flatMap((role) => [
      { name: CREDENTIAL_VARIABLES[role].username, valueFrom: `${input.credentialSecretArns[role]}:username::` },
      { name: CREDENTIAL_VARIABLES[role].password, valueFrom: `${input.credentialSecretArns[role]}:password::` },
    ]),
    // Three failures in a row (about 90 s without a database connection) make ECS replace the task; the
    // script starts Python and reads the secret, hence 10 s of timeout.
    healthCheck: {
      command: ['CMD', 'python', HEALTH_CHECK_SCRIPT, `http://127.0.0.1:${input.port}${input.healthCheckPath}`],
      interval: 30,
      timeout: 10,
      retries: 3,
      startPeriod: 90,
    },
    logConfiguration: {
      logDriver: 'awslogs',
      options: { 'awslogs-group': input.logGroupName, 'awslogs-region': input.region, 'awslogs-stream-prefix': CONTAINER_NAME },
    },
    mountPoints: [],
    volumesFrom: [],
    systemControls: [],
  };
}

const assumeEcsTasks = Fn.jsonencode({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

/**
 * MLflow on ECS Fargate in the private subnets, registered with the load balancer's target group;
 * scales between `minTasks` and `maxTasks` on CPU (a fixed count when they are equal). The execution role may pull only this image and write
 * only this log group; the task role may use only the artifact bucket and read only the database
 * secret. Its security group admits the server port from the load balancer only.
 */
export class MlflowService extends Construct {
  readonly clusterName: string;
  readonly serviceName: string;
  readonly securityGroupId: string;
  readonly logGroupName: string;
  readonly taskRoleArn: string;
  /** Whether the task count scales (maxTasks > minTasks). */
  readonly autoscaling: boolean;

  constructor(scope: Construct, id: string, props: MlflowServiceProps) {
    super(scope, id);
    const cpu = props.cpu ?? 1024;
    const memory = props.memoryMiB ?? 2048;
    const minTasks = props.minTasks ?? 1;
    const maxTasks = props.maxTasks ?? 2;
    const cpuTarget = props.cpuTargetPercent ?? 60;
    const retention = props.logRetentionDays ?? 30;
    const violations = fargateTaskSizeViolations(cpu, memory).map((violation) => `cpu/memoryMiB: ${violation}`);
    if (!Number.isInteger(minTasks) || minTasks < 1) violations.push(`minTasks=${minTasks}: must be a whole number, 1 or more`);
    if (!Number.isInteger(maxTasks) || maxTasks < minTasks) violations.push(`maxTasks=${maxTasks}: must be a whole number no smaller than minTasks (${minTasks})`);
    if (cpuTarget < 10 || cpuTarget > 90) violations.push(`cpuTargetPercent=${cpuTarget}: must be from 10 to 90`);
    if (!(LOG_RETENTION_DAYS as readonly number[]).includes(retention)) {
      violations.push(`logRetentionDays=${retention}: CloudWatch accepts ${LOG_RETENTION_DAYS.filter((days) => days > 0).join(', ')}`);
    }
    if (props.subnetIds.length === 0) violations.push('subnetIds is empty: the tasks need private subnets');
    throwIfViolations('MlflowService', violations);
    const { namer, loadBalancer } = props;
    const port = loadBalancer.targetPort;

    const logGroup = new CloudwatchLogGroup(this, 'logs', {
      name: `/mlops/${namer.name('logGroup', 'mlflow-server')}`,
      retentionInDays: retention,
    });
    const securityGroup = new SecurityGroup(this, 'security-group', {
      name: namer.name('securityGroup', 'mlflow-tasks'),
      description: 'MLflow tasks: the server port from the load balancer only',
      vpcId: props.vpcId,
      ingress: [{ description: 'MLflow from the load balancer', protocol: 'tcp', fromPort: port, toPort: port, securityGroups: [loadBalancer.securityGroupId] }],
      egress: [
        { description: 'HTTPS: ECR, S3, Secrets Manager, CloudWatch Logs', protocol: 'tcp', fromPort: 443, toPort: 443, cidrBlocks: ['0.0.0.0/0'] },
        { description: 'The backend store', protocol: 'tcp', fromPort: props.database.port, toPort: props.database.port, securityGroups: [props.database.securityGroupId] },
      ],
      tags: { Name: namer.name('securityGroup', 'mlflow-tasks') },
    });

    const executionRole = new IamRole(this, 'execution-role', {
      name: namer.name('iamRole', 'mlflow-execution'),
      description: "Pulls the MLflow server image, writes its logs, reads the MLflow users' secrets",
      assumeRolePolicy: assumeEcsTasks,
    });
    new IamRolePolicy(this, 'execution-policy', {
      name: 'mlflow-execution',
      role: executionRole.id,
      policy: Fn.jsonencode({
        Version: '2012-10-17',
        Statement: [
          { Sid: 'EcrToken', Effect: 'Allow', Action: ['ecr:GetAuthorizationToken'], Resource: '*' },
          {
            Sid: 'PullServerImage',
            Effect: 'Allow',
            Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
            Resource: props.repositoryArn,
          },
          { Sid: 'WriteLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `${logGroup.arn}:*` },
          { Sid: 'ReadUserSecrets', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: Object.values(props.credentialSecretArns) },
        ],
      }),
    });
    const taskRole = new IamRole(this, 'task-role', {
      name: namer.name('iamRole', 'mlflow-task'),
      description: 'The MLflow server: reads and writes artifacts in its bucket, reads its database secret',
      assumeRolePolicy: assumeEcsTasks,
    });
    new IamRolePolicy(this, 'task-policy', {
      name: 'mlflow-artifacts',
      role: taskRole.id,
      policy: Fn.jsonencode({
        Version: '2012-10-17',
        Statement: [
          { Sid: 'ListArtifacts', Effect: 'Allow', Action: ['s3:ListBucket', 's3:GetBucketLocation'], Resource: props.artifactBucket.bucketArn },
          {
            Sid: 'ReadWriteArtifacts',
            Effect: 'Allow',
            Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
            Resource: `${props.artifactBucket.bucketArn}/${ARTIFACTS_PREFIX}/*`,
          },
          // The server reads the current password for every new connection. RDS encrypts the secret with the
          // AWS-managed key aws/secretsmanager, whose key policy already lets Secrets Manager decrypt it for a
          // caller allowed this action, so no kms:Decrypt is granted (a customer-managed key would need one).
          { Sid: 'ReadDatabaseSecret', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: props.database.masterUserSecretArn },
        ],
      }),
    });

    const cluster = new EcsCluster(this, 'cluster', {
      name: namer.name('ecs', 'mlflow'),
      setting: [{ name: 'containerInsights', value: 'disabled' }],
    });
    const taskDefinition = new EcsTaskDefinition(this, 'task-definition', {
      family: namer.name('ecs', 'mlflow-server'),
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: String(cpu),
      memory: String(memory),
      runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
      executionRoleArn: executionRole.arn,
      taskRoleArn: taskRole.arn,
      // Plain JSON (the interpolated values are ARNs and host names), so the synthesized definition reads as JSON.
      containerDefinitions: JSON.stringify([
        mlflowContainerDefinition({
          image: props.image,
          region: props.region,
          port,
          healthCheckPath: loadBalancer.healthCheckPath,
          logGroupName: logGroup.name,
          loadBalancerDnsName: loadBalancer.dnsName,
          artifactsDestination: `s3://${props.artifactBucket.bucketName}/${ARTIFACTS_PREFIX}`,
          database: props.database,
          credentialSecretArns: props.credentialSecretArns,
        }),
      ]),
    });
    const service = new EcsService(this, 'service', {
      name: namer.name('ecs', 'mlflow'),
      cluster: cluster.arn,
      taskDefinition: taskDefinition.arn,
      desiredCount: minTasks,
      launchType: 'FARGATE',
      platformVersion: 'LATEST',
      networkConfiguration: { subnets: props.subnetIds, securityGroups: [securityGroup.id], assignPublicIp: false },
      loadBalancer: [{ targetGroupArn: loadBalancer.targetGroupArn, containerName: CONTAINER_NAME, containerPort: port }],
      healthCheckGracePeriodSeconds: 120,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      deploymentMinimumHealthyPercent: 100,
      deploymentMaximumPercent: 200,
      enableEcsManagedTags: true,
      propagateTags: 'SERVICE',
      // With autoscaling, it owns the task count once the service exists.
      lifecycle: maxTasks > minTasks ? { ignoreChanges: ['desired_count'] } : undefined,
      dependsOn: [loadBalancer.listener],
    });
    this.clusterName = cluster.name;
    this.serviceName = service.name;
    this.securityGroupId = securityGroup.id;
    this.logGroupName = logGroup.name;
    this.taskRoleArn = taskRole.arn;
    this.autoscaling = maxTasks > minTasks;
    if (!this.autoscaling) return;

    const target = new AppautoscalingTarget(this, 'scaling-target', {
      serviceNamespace: 'ecs',
      scalableDimension: 'ecs:service:DesiredCount',
      resourceId: `service/${cluster.name}/${service.name}`,
      minCapacity: minTasks,
      maxCapacity: maxTasks,
    });
    new AppautoscalingPolicy(this, 'scaling-policy', {
      name: namer.name('ecs', 'mlflow-cpu'),
      policyType: 'TargetTrackingScaling',
      serviceNamespace: target.serviceNamespace,
      scalableDimension: target.scalableDimension,
      resourceId: target.resourceId,
      targetTrackingScalingPolicyConfiguration: {
        targetValue: cpuTarget,
        predefinedMetricSpecification: { predefinedMetricType: 'ECSServiceAverageCPUUtilization' },
        scaleInCooldown: 300,
        scaleOutCooldown: 60,
      },
    });
  }
}
