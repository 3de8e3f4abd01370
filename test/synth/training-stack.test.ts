import { afterAll, describe, expect, it } from '@jest/globals';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildTrainingStack } from '../../cli/builders/training.js';
import { synthesize } from '../../cli/synth.js';
import { UsageError } from '../../core/errors.js';
import { loadMlProject } from '../../cli/ml-project.js';
import { parseSettings } from '../../core/settings/parse.js';
import { TRAINING_POLICY_FILE, TRAINING_DEFAULT_POLICY_FILE } from '../../cli/training/policy.js';
import { sharedParameterNames } from '../../core/naming.js';
import { withMlflowCaFile } from '../../core/training/mlflow-ca.js';
import {
  TRAINING_TEST_ENVIRONMENT,
  copyTestProject,
  only,
  removeTrainingScratch,
  synthTrainingStack,
  trainingScratchDir,
  type TerraformJson,
} from '../harness/training-project.js';

afterAll(removeTrainingScratch);

const OWN_SERVER = { tracking_uri: 'https://mlflow.example.com' };
const containerProperties = (json: TerraformJson) => JSON.parse(only(json, 'aws_batch_job_definition').container_properties);

describe('training stack with the MLflow server stack of the environment', () => {
  const { json } = synthTrainingStack();

  it("keeps its state under <project>/<env>/training/<ml-project>.tfstate and tags resources with the project's stack", () => {
    expect(json.terraform.backend.s3.key).toBe('acme/dev/training/wine.tfstate');
  });

  it("reads network and tracking URI from the server stack's SSM parameters, never copied by hand", () => {
    const names = Object.values(json.data!.aws_ssm_parameter).map((parameter) => parameter.name).sort();
    expect(names).toEqual([
      '/acme/dev/mlflow-server/ca-certificate',
      '/acme/dev/mlflow-server/client-security-group-id',
      '/acme/dev/mlflow-server/private-subnet-ids',
      '/acme/dev/mlflow-server/tracking-uri',
      '/acme/dev/mlflow-server/training-credential-secret-arn',
      '/acme/dev/mlflow-server/vpc-id',
    ]);
    const compute = only(json, 'aws_batch_compute_environment').compute_resources;
    expect(compute.subnets).toMatch(/^\$\{split\(",", data\.aws_ssm_parameter\.[^.]*private-subnet-ids[^.]*\.insecure_value\)\}$/);
    expect(compute.security_group_ids).toHaveLength(2);
    expect(compute.security_group_ids[1]).toMatch(/client-security-group-id.*insecure_value/);
    expect(containerProperties(json).networkConfiguration).toEqual({ assignPublicIp: 'DISABLED' });
  });

  it('runs CPU-only jobs on Fargate with the resources of the project file, MLFLOW_TRACKING_URI, MLFLOW_EXPERIMENT_NAME and the server CA', () => {
    const definition = only(json, 'aws_batch_job_definition');
    expect(definition.platform_capabilities).toEqual(['FARGATE']);
    const properties = containerProperties(json);
    expect(properties.resourceRequirements).toEqual([
      { type: 'VCPU', value: '1' },
      { type: 'MEMORY', value: '2048' },
    ]);
    expect(properties.environment.map((variable: { name: string }) => variable.name).sort()).toEqual(['MLFLOW_EXPERIMENT_NAME', 'MLFLOW_TRACKING_URI', 'MLOPS_MLFLOW_CA_CERTIFICATE_BASE64']);
    expect(properties.environment).toContainEqual({ name: 'MLOPS_MLFLOW_CA_CERTIFICATE_BASE64', value: expect.stringMatching(/^\$\{data\.aws_ssm_parameter\.[^.]*ca-certificate[^.]*\.insecure_value\}$/) });
    expect(properties.environment).toContainEqual({ name: 'MLFLOW_EXPERIMENT_NAME', value: 'wine' });
    expect(properties.environment.find((variable: { name: string }) => variable.name === 'MLFLOW_TRACKING_URI').value).toMatch(/tracking-uri.*insecure_value/);
    // The command writes the CA to a file first (core/training/mlflow-ca.ts), then runs the project.
    expect(properties.command).toEqual([...withMlflowCaFile([]), 'mlflow', 'run', '.', '--env-manager', 'local', '--experiment-name', 'wine']);
    expect(properties.image).toMatch(/^\$\{aws_ecr_repository\.[^}]+\.repository_url\}:[0-9a-f]{16}$/);
    expect(only(json, 'aws_batch_compute_environment')).toMatchObject({ name: 'acme-dev-wine-training-fargate', type: 'MANAGED', compute_resources: { type: 'FARGATE', max_vcpus: 16 } });
  });

  it('sends the logs to its own log group with the retention of the settings', () => {
    expect(only(json, 'aws_cloudwatch_log_group')).toMatchObject({ name: '/aws/batch/acme-dev-wine-training', retention_in_days: 30 });
    expect(containerProperties(json).logConfiguration).toEqual({
      logDriver: 'awslogs',
      options: { 'awslogs-group': expect.stringMatching(/aws_cloudwatch_log_group/), 'awslogs-region': 'eu-west-1', 'awslogs-stream-prefix': 'training' },
    });
  });

  it('times out and retries as the settings say, retrying only failures without an exit code', () => {
    const definition = only(json, 'aws_batch_job_definition');
    expect(definition.timeout).toEqual({ attempt_duration_seconds: 86400 });
    expect(definition.retry_strategy).toEqual({
      attempts: 2,
      evaluate_on_exit: [
        { action: 'RETRY', on_status_reason: 'Host EC2*' },
        { action: 'EXIT', on_exit_code: '*' },
      ],
    });
  });

  it('scans images on push and expires them with a rule that matches content-hash tags', () => {
    expect(only(json, 'aws_ecr_repository')).toMatchObject({
      name: 'acme-dev-wine-training',
      image_scanning_configuration: { scan_on_push: true },
      image_tag_mutability: 'IMMUTABLE',
      force_delete: true,
    });
    const rules = JSON.parse(only(json, 'aws_ecr_lifecycle_policy').policy).rules as { selection: { tagStatus: string; tagPrefixList?: string[]; countNumber: number } }[];
    const keep = rules.find((rule) => rule.selection.tagStatus !== 'untagged')!;
    const tag = imageTagOf(json);
    const matches = keep.selection.tagStatus === 'any' || (keep.selection.tagPrefixList ?? []).some((prefix) => tag.startsWith(prefix));
    expect(matches).toBe(true);
    expect(keep.selection.countNumber).toBe(10);
  });

  it('lets nothing into the jobs: an egress-only security group', () => {
    const group = only(json, 'aws_security_group');
    expect(group.ingress).toEqual([]);
    expect(group.egress).toHaveLength(1);
    expect(group.egress[0]).toMatchObject({ protocol: '-1', cidr_blocks: ['0.0.0.0/0'] });
  });

  it('scopes the execution role to pulling its own repository and writing its own log group', () => {
    const policies = Object.values(json.resource.aws_iam_role_policy).map((policy) => JSON.parse(policy.policy));
    const execution = policies.find((policy) => policy.Statement.some((statement: { Sid: string }) => statement.Sid === 'PullProjectImage'));
    const statements = Object.fromEntries(execution.Statement.map((statement: { Sid: string; Resource: string }) => [statement.Sid, statement.Resource]));
    expect(statements.PullProjectImage).toMatch(/aws_ecr_repository\..*\.arn/);
    expect(statements.WriteProjectLogs).toMatch(/aws_cloudwatch_log_group\..*\.arn\}:\*$/);
    expect(statements.ReadJobSecrets).toEqual([expect.stringMatching(/^\$\{data\.aws_ssm_parameter\.[^.]*training-credential-secret-arn[^.]*\.insecure_value\}$/)]);
  });

  it("passes the MLflow server's training credential as Batch secrets, never as environment, and no secret value anywhere", () => {
    const properties = containerProperties(json);
    const arn = '${data.aws_ssm_parameter.' + Object.keys(json.data!.aws_ssm_parameter).find((id) => id.includes('training-credential-secret-arn')) + '.insecure_value}';
    expect(properties.secrets).toEqual([
      { name: 'MLFLOW_TRACKING_USERNAME', valueFrom: `${arn}:username::` },
      { name: 'MLFLOW_TRACKING_PASSWORD', valueFrom: `${arn}:password::` },
    ]);
    expect(JSON.stringify(properties.environment)).not.toMatch(/PASSWORD|USERNAME/);
    expect(JSON.stringify(json)).not.toMatch(/secret_string|"password"\s*:/);
  });

  it("gives the job role the default policy: its own ML project's parameters and secrets, and no S3 (artifacts go through the MLflow server)", () => {
    const policies = Object.values(json.resource.aws_iam_role_policy).map((policy) => policy.policy as string);
    const jobPolicy = JSON.parse(policies.find((policy) => policy.includes('ReadOwnSecrets'))!);
    const partition = '${data.aws_partition.partition.partition}';
    const account = '${data.aws_caller_identity.caller.account_id}';
    expect(jobPolicy).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'ReadOwnParameters',
          Effect: 'Allow',
          Action: ['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath'],
          Resource: [`arn:${partition}:ssm:eu-west-1:${account}:parameter/acme/dev/ml-projects/wine`, `arn:${partition}:ssm:eu-west-1:${account}:parameter/acme/dev/ml-projects/wine/*`],
        },
        {
          Sid: 'ReadOwnSecrets',
          Effect: 'Allow',
          Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
          Resource: `arn:${partition}:secretsmanager:eu-west-1:${account}:secret:acme/dev/ml-projects/wine/*`,
        },
        {
          Sid: 'DecryptParametersAndSecrets',
          Effect: 'Allow',
          Action: 'kms:Decrypt',
          Resource: '*',
          Condition: { StringEquals: { 'kms:ViaService': ['ssm.eu-west-1.amazonaws.com', 'secretsmanager.eu-west-1.amazonaws.com'] } },
        },
      ],
    });
    // One rule for every path: `/<project>/<env>/<owner>/…`, as the server stack publishes its own.
    expect(sharedParameterNames(TRAINING_TEST_ENVIRONMENT).prefix).toBe('/acme/dev/mlflow-server');
  });

  it('outputs what the command needs to submit and follow a job', () => {
    expect(Object.keys(json.output).sort()).toEqual(
      ['compute_environment', 'image_uri', 'job_definition', 'job_queue', 'log_group', 'repository_name', 'repository_url', 'tracking_uri'].sort(),
    );
  });
});

function imageTagOf(json: TerraformJson): string {
  return (containerProperties(json).image as string).split(':').pop()!;
}

describe('training stack with a tracking server of the team (settings.tracking_uri)', () => {
  it('runs in the default VPC, with public IPs since its subnets have no NAT, and no SSM parameter read', () => {
    const { json } = synthTrainingStack({ settings: OWN_SERVER });
    expect(json.data!.aws_ssm_parameter).toBeUndefined();
    expect(only({ resource: json.data! } as TerraformJson, 'aws_vpc')).toMatchObject({ default: true });
    expect(only({ resource: json.data! } as TerraformJson, 'aws_subnets').filter[0]).toMatchObject({ name: 'vpc-id' });
    const properties = containerProperties(json);
    expect(properties.environment).toContainEqual({ name: 'MLFLOW_TRACKING_URI', value: 'https://mlflow.example.com' });
    expect(properties.networkConfiguration).toEqual({ assignPublicIp: 'ENABLED' });
    expect(only(json, 'aws_batch_compute_environment').compute_resources.security_group_ids).toHaveLength(1);
  });

  it('runs in the VPC and subnets named in settings, without public IPs unless asked', () => {
    const { json } = synthTrainingStack({ settings: { ...OWN_SERVER, training: { vpc_id: 'vpc-0abc', subnet_ids: ['subnet-01', 'subnet-02'] } } });
    expect(json.data?.aws_vpc).toBeUndefined();
    expect(only(json, 'aws_batch_compute_environment').compute_resources.subnets).toEqual(['subnet-01', 'subnet-02']);
    expect(only(json, 'aws_security_group').vpc_id).toBe('vpc-0abc');
    expect(containerProperties(json).networkConfiguration).toEqual({ assignPublicIp: 'DISABLED' });
  });

  it('refuses subnets without the VPC they belong to, before anything is synthesized', () => {
    const root = copyTestProject('wine');
    const settings = parseSettings(JSON.stringify({ ...OWN_SERVER, training: { subnet_ids: ['subnet-01'] } }), 'test-settings.json');
    const config = { environment: TRAINING_TEST_ENVIRONMENT, settings };
    const project = loadMlProject('wine', root);
    const outdir = trainingScratchDir('mlops-training-synth-');
    process.env.MLOPS_OUTDIR = outdir;
    try {
      expect(() => synthesize((app) => [buildTrainingStack(app, config, project)])).toThrow(UsageError);
      expect(() => synthesize((app) => [buildTrainingStack(app, config, project)])).toThrow(/subnetIds are given without source.vpcId/);
      expect(existsSync(join(outdir, 'stacks', 'training-wine', 'cdk.tf.json'))).toBe(false);
    } finally {
      delete process.env.MLOPS_OUTDIR;
    }
  });
});

describe('training stack shapes', () => {
  it('runs GPU jobs on a managed EC2 environment of GPU families with the ECS GPU AMI and an instance profile', () => {
    const { json } = synthTrainingStack({
      requirements: [
        { type: 'VCPU', value: '4' },
        { type: 'MEMORY', value: '15000' },
        { type: 'GPU', value: '1' },
      ],
      settings: { training: { gpu_instance_types: ['g5'] } },
    });
    const environment = only(json, 'aws_batch_compute_environment');
    expect(environment.name).toBe('acme-dev-wine-training-gpu');
    expect(environment.compute_resources).toMatchObject({
      type: 'EC2',
      instance_type: ['g5'],
      min_vcpus: 0,
      ec2_configuration: [{ image_type: 'ECS_AL2023_NVIDIA' }],
      allocation_strategy: 'BEST_FIT_PROGRESSIVE',
    });
    expect(environment.compute_resources.instance_role).toMatch(/aws_iam_instance_profile/);
    const definition = only(json, 'aws_batch_job_definition');
    expect(definition.platform_capabilities).toEqual(['EC2']);
    const properties = containerProperties(json);
    expect(properties.resourceRequirements).toContainEqual({ type: 'GPU', value: '1' });
    expect(properties.networkConfiguration).toBeUndefined();
    expect(Object.values(json.resource.aws_iam_role_policy_attachment).map((attachment) => attachment.policy_arn)).toEqual(
      expect.arrayContaining([expect.stringMatching(/AmazonEC2ContainerServiceforEC2Role$/)]),
    );
  });

  it('runs on Fargate Spot when the settings ask, under another environment name so a switch replaces it cleanly', () => {
    const { json } = synthTrainingStack({ settings: { training: { fargate_spot: true } } });
    const environment = only(json, 'aws_batch_compute_environment');
    expect(environment).toMatchObject({ name: 'acme-dev-wine-training-fargate-spot', lifecycle: { create_before_destroy: true } });
    expect(environment.compute_resources.type).toBe('FARGATE_SPOT');
    expect(json.resource.aws_iam_instance_profile).toBeUndefined();
  });

  it('takes retention, timeout, retries and images kept from the settings', () => {
    const { json } = synthTrainingStack({ settings: { training: { log_retention_days: 90, job_timeout_seconds: 3600, retry_attempts: 3, ecr_keep_images: 4 } } });
    expect(only(json, 'aws_cloudwatch_log_group').retention_in_days).toBe(90);
    expect(only(json, 'aws_batch_job_definition').timeout).toEqual({ attempt_duration_seconds: 3600 });
    expect(only(json, 'aws_batch_job_definition').retry_strategy.attempts).toBe(3);
    expect(JSON.parse(only(json, 'aws_ecr_lifecycle_policy').policy).rules[1].selection.countNumber).toBe(4);
  });

  it('refuses a log retention CloudWatch does not offer as a usage error naming the value and the allowed ones', () => {
    const root = copyTestProject('wine');
    const settings = parseSettings(JSON.stringify({ training: { log_retention_days: 10 } }), 'test-settings.json');
    const config = { environment: TRAINING_TEST_ENVIRONMENT, settings };
    const build = () => synthesize((app) => [buildTrainingStack(app, config, loadMlProject('wine', root))]);
    process.env.MLOPS_OUTDIR = trainingScratchDir('mlops-training-synth-');
    try {
      expect(build).toThrow(UsageError);
      expect(build).toThrow(/retentionDays 10: CloudWatch keeps logs for one of 0, 1, 3, 5, 7, 14, 30/);
    } finally {
      delete process.env.MLOPS_OUTDIR;
    }
  });

  it("uses the team's policies/training-jobs-policy.json for the job role when present", () => {
    const dir = trainingScratchDir('mlops-policies-');
    writeFileSync(join(dir, TRAINING_DEFAULT_POLICY_FILE), '{}');
    writeFileSync(
      join(dir, TRAINING_POLICY_FILE),
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'TeamData', Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:${partition}:s3:::team-${ml_project}/*' }] }),
    );
    process.env.MLOPS_POLICIES_DIR = dir;
    try {
      const { json } = synthTrainingStack();
      const policies = Object.values(json.resource.aws_iam_role_policy).map((policy) => policy.policy as string);
      expect(policies.find((policy) => policy.includes('TeamData'))).toContain(':s3:::team-wine/*');
      expect(policies.some((policy) => policy.includes('ReadOwnSecrets'))).toBe(false);
    } finally {
      delete process.env.MLOPS_POLICIES_DIR;
    }
  });
});

describe('training stack with a retraining schedule', () => {
  const { json } = synthTrainingStack({ requirements: { training: [{ type: 'VCPU', value: '1' }], schedule: 'rate(7 days)' } });
  const schedule = only(json, 'aws_scheduler_schedule');
  const roles = json.resource.aws_iam_role as Record<string, { name: string; assume_role_policy: string }>;
  const scheduleRole = Object.values(roles).find((role) => role.name === 'acme-dev-wine-train-schedule')!;

  it('an EventBridge Scheduler schedule submits the same Batch job (queue and definition with its revision), in UTC, with retries', () => {
    expect(schedule).toMatchObject({
      name: 'acme-dev-wine-retrain',
      schedule_expression: 'rate(7 days)',
      schedule_expression_timezone: 'UTC',
      state: 'ENABLED',
      flexible_time_window: { mode: 'OFF' },
    });
    expect(schedule.target.arn).toBe('arn:${data.aws_partition.partition.partition}:scheduler:::aws-sdk:batch:submitJob');
    expect(schedule.target.retry_policy).toEqual({ maximum_retry_attempts: 3, maximum_event_age_in_seconds: 3600 });
    expect(JSON.parse(schedule.target.input)).toEqual({
      JobName: 'scheduled-wine',
      JobQueue: expect.stringMatching(/^\$\{aws_batch_job_queue\.[^}]+\.arn\}$/),
      JobDefinition: expect.stringMatching(/^\$\{aws_batch_job_definition\.[^}]+\.arn\}$/),
    });
    expect(schedule.target.role_arn).toMatch(/^\$\{aws_iam_role\.[^}]*schedule[^}]*\.arn\}$/);
    expect(json.output.schedule_name.value).toMatch(/aws_scheduler_schedule/);
  });

  it("its role is trusted by this account's Scheduler for this schedule only, and may submit exactly that queue and definition", () => {
    const trust = JSON.parse(scheduleRole.assume_role_policy);
    expect(trust.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: {
          StringEquals: { 'aws:SourceAccount': '${data.aws_caller_identity.caller.account_id}' },
          ArnEquals: { 'aws:SourceArn': 'arn:${data.aws_partition.partition.partition}:scheduler:eu-west-1:${data.aws_caller_identity.caller.account_id}:schedule/default/acme-dev-wine-retrain' },
        },
      },
    ]);
    const policies = Object.values(json.resource.aws_iam_role_policy as Record<string, { name: string; policy: string }>);
    const submit = JSON.parse(policies.find((policy) => policy.name === 'submit-training-job')!.policy);
    const { JobQueue, JobDefinition } = JSON.parse(schedule.target.input);
    expect(submit.Statement).toEqual([
      {
        Sid: 'SubmitThisJob',
        Effect: 'Allow',
        Action: 'batch:SubmitJob',
        Resource: [JobQueue, JobDefinition, 'arn:${data.aws_partition.partition.partition}:batch:eu-west-1:${data.aws_caller_identity.caller.account_id}:job/*'],
      },
    ]);
  });

  it('a project without a schedule has none, and no role for one', () => {
    const { json: plain } = synthTrainingStack();
    expect(plain.resource.aws_scheduler_schedule).toBeUndefined();
    expect(Object.values(plain.resource.aws_iam_role as Record<string, { name: string }>).map((role) => role.name)).not.toContain('acme-dev-wine-train-schedule');
    expect(plain.output.schedule_name).toBeUndefined();
  });

  it('refuses a bad schedule naming the file, the field and the allowed forms, before synthesis', () => {
    expect(() => synthTrainingStack({ requirements: { schedule: 'every monday' } })).toThrow(UsageError);
    expect(() => synthTrainingStack({ requirements: { schedule: 'every monday' } })).toThrow(
      /resource-requirements\.json is invalid:\n {2}- schedule "every monday" is neither rate\(…\) nor cron\(…\); allowed: rate\(N minutes\|hours\|days\)/,
    );
  });
});
