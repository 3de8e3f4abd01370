import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildMlflowServerStack, mlflowServerImageTag } from '../../cli/builders/mlflow-server.js';
import { parseSettings } from '../../core/settings/parse.js';
import type { Settings } from '../../core/settings/schema.js';
import { synthesize } from '../../cli/synth.js';
import { sharedParameterNames } from '../../core/naming.js';
import { AWS_NAME_LIMITS, NameTooLongError } from '../../core/naming.js';
import { InvalidPropsError } from '../../core/errors.js';

const environment = { stateBucket: 'acme-tf-state', region: 'eu-west-1', project: 'acme-ml', envName: 'dev' };
const outdirs: string[] = [];
afterAll(() => outdirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

type Block = Record<string, unknown> & { [key: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

function settingsWith(mlflowServer: Record<string, unknown> = {}): Settings {
  return parseSettings(JSON.stringify({ mlflow_server: mlflowServer }), 'test-settings.json');
}

/** Synthesizes the MLflow server stack and returns its Terraform JSON. */
function synth(mlflowServer: Record<string, unknown> = {}, env = environment, imageTag = 'abc123'): Block {
  const outdir = mkdtempSync(join(tmpdir(), 'mlops-synth-mlflow-'));
  outdirs.push(outdir);
  const [dir] = synthesize((app) => [buildMlflowServerStack(app, { environment: env, settings: settingsWith(mlflowServer) }, { imageTag })], outdir);
  return JSON.parse(readFileSync(join(dir, 'cdk.tf.json'), 'utf8'));
}

const resources = (config: Block, type: string): Block[] => Object.values(config.resource?.[type] ?? {});
const only = (config: Block, type: string): Block => {
  const found = resources(config, type);
  expect(found).toHaveLength(1);
  return found[0];
};
const addressOf = (config: Block, type: string, match: (resource: Block) => boolean): string => {
  const entry = Object.entries(config.resource[type] as Record<string, Block>).find(([, resource]) => match(resource));
  if (!entry) throw new Error(`no ${type} matches`);
  return `${type}.${entry[0]}`;
};
const byName = (config: Block, type: string, name: string): Block => {
  const found = resources(config, type).find((resource) => resource.name === name);
  if (!found) throw new Error(`no ${type} named ${name}`);
  return found;
};
const containerOf = (config: Block): Block => JSON.parse(only(config, 'aws_ecs_task_definition').container_definitions)[0];

describe('MlflowServerStack (defaults: postgres, VPN on)', () => {
  const config = synth();

  it('keeps its state under <project>/<env>/mlflow-server.tfstate, encrypted, locked with the S3 lockfile', () => {
    expect(config.terraform.backend.s3).toEqual({
      bucket: 'acme-tf-state',
      key: 'acme-ml/dev/mlflow-server.tfstate',
      region: 'eu-west-1',
      encrypt: true,
      use_lockfile: true,
    });
  });

  describe('network', () => {
    it('spans two AZs with public, private and isolated subnets carved from the VPC CIDR', () => {
      expect(only(config, 'aws_vpc')).toMatchObject({ cidr_block: '10.0.0.0/16', enable_dns_support: true, enable_dns_hostnames: true });
      const subnets = resources(config, 'aws_subnet');
      const tier = (name: string) => subnets.filter((subnet) => subnet.tags.tier === name);
      expect(tier('private').map((subnet) => subnet.cidr_block)).toEqual(['10.0.0.0/18', '10.0.64.0/18']);
      expect(tier('public').map((subnet) => subnet.cidr_block)).toEqual(['10.0.128.0/19', '10.0.160.0/19']);
      expect(tier('isolated').map((subnet) => subnet.cidr_block)).toEqual(['10.0.192.0/19', '10.0.224.0/19']);
      for (const name of ['public', 'private', 'isolated']) {
        expect(tier(name).map((subnet) => subnet.availability_zone)).toEqual([
          expect.stringContaining(', 0)'),
          expect.stringContaining(', 1)'),
        ]);
      }
      expect(subnets.every((subnet) => subnet.map_public_ip_on_launch !== true)).toBe(true);
    });

    it('routes private subnets out through a NAT gateway and gives isolated subnets no route out', () => {
      const routes = resources(config, 'aws_route');
      const nat = addressOf(config, 'aws_nat_gateway', () => true);
      const privateRoutes = routes.filter((route) => route.nat_gateway_id);
      expect(privateRoutes).toHaveLength(2);
      expect(privateRoutes.every((route) => route.nat_gateway_id === `\${${nat}.id}` && route.destination_cidr_block === '0.0.0.0/0')).toBe(true);
      const isolatedTable = addressOf(config, 'aws_route_table', (table) => table.tags.Name === 'acme-ml-dev-isolated');
      expect(routes.filter((route) => route.route_table_id === `\${${isolatedTable}.id}`)).toEqual([]);
      const publicTable = addressOf(config, 'aws_route_table', (table) => table.tags.Name === 'acme-ml-dev-public');
      expect(routes.find((route) => route.route_table_id === `\${${publicTable}.id}`)?.gateway_id).toMatch(/aws_internet_gateway/);
    });

    it('has an S3 gateway endpoint on the private and isolated route tables', () => {
      const endpoint = only(config, 'aws_vpc_endpoint');
      expect(endpoint).toMatchObject({ service_name: 'com.amazonaws.eu-west-1.s3', vpc_endpoint_type: 'Gateway' });
      const isolatedTable = addressOf(config, 'aws_route_table', (table) => table.tags.Name === 'acme-ml-dev-isolated');
      expect(endpoint.route_table_ids).toHaveLength(3);
      expect(endpoint.route_table_ids).toContain(`\${${isolatedTable}.id}`);
    });

    it('logs every accepted and rejected flow of the VPC to its own log group, through a role that may write only that group', () => {
      const flowLog = only(config, 'aws_flow_log');
      const groupAddress = addressOf(config, 'aws_cloudwatch_log_group', (group) => group.name === '/mlops/acme-ml-dev-vpc-flow-logs');
      expect(flowLog).toMatchObject({ traffic_type: 'ALL', log_destination_type: 'cloud-watch-logs', log_destination: `\${${groupAddress}.arn}` });
      expect(flowLog.vpc_id).toMatch(/^\$\{aws_vpc\..+\.id\}$/);
      expect(byName(config, 'aws_cloudwatch_log_group', '/mlops/acme-ml-dev-vpc-flow-logs').retention_in_days).toBe(30);
      const role = byName(config, 'aws_iam_role', 'acme-ml-dev-vpc-flow-logs');
      expect(JSON.parse(role.assume_role_policy).Statement[0].Principal).toEqual({ Service: 'vpc-flow-logs.amazonaws.com' });
      const policy = JSON.parse(resources(config, 'aws_iam_role_policy').find((p) => p.name === 'vpc-flow-logs')!.policy);
      expect(policy.Statement).toEqual([
        { Sid: 'WriteFlowLogGroup', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'], Resource: [`\${${groupAddress}.arn}`, `\${${groupAddress}.arn}:*`] },
      ]);
    });

    it('keeps every subnet in the zone it was made in, even when the list of zones changes later', () => {
      const subnets = resources(config, 'aws_subnet');
      expect(subnets).toHaveLength(6);
      for (const subnet of subnets) expect(subnet.lifecycle).toEqual({ ignore_changes: ['availability_zone'] });
    });

    it("leaves the VPC's default security group unmanaged: adopting it means tagging a group the role did not create", () => {
      // The GitHub Actions role may tag only what it creates (policies/github-actions-role.json); nothing is placed in the default group.
      expect(resources(config, 'aws_default_security_group')).toEqual([]);
    });
  });

  describe('artifact bucket', () => {
    const bucketAddress = addressOf(config, 'aws_s3_bucket', (bucket) => bucket.bucket.includes('-mlflow-artifacts-'));
    const ofBucket = (type: string) => resources(config, type).find((resource) => resource.bucket === `\${${bucketAddress}.id}`);

    it('is named <project>-<env>-mlflow-artifacts-<account> and kept on destroy by default', () => {
      expect(config.resource.aws_s3_bucket[bucketAddress.split('.')[1]]).toMatchObject({
        bucket: 'acme-ml-dev-mlflow-artifacts-${data.aws_caller_identity.account.account_id}',
        force_destroy: false,
      });
    });

    it('is encrypted with KMS, versioned, and blocks every kind of public access', () => {
      expect(ofBucket('aws_s3_bucket_server_side_encryption_configuration')?.rule).toEqual([
        { apply_server_side_encryption_by_default: { sse_algorithm: 'aws:kms' }, bucket_key_enabled: true },
      ]);
      expect(ofBucket('aws_s3_bucket_versioning')?.versioning_configuration).toEqual({ status: 'Enabled' });
      expect(ofBucket('aws_s3_bucket_public_access_block')).toMatchObject({
        block_public_acls: true,
        block_public_policy: true,
        ignore_public_acls: true,
        restrict_public_buckets: true,
      });
      expect(ofBucket('aws_s3_bucket_ownership_controls')?.rule).toEqual({ object_ownership: 'BucketOwnerEnforced' });
    });

    it('refuses every request not made over TLS', () => {
      const policy = ofBucket('aws_s3_bucket_policy')?.policy as string;
      expect(policy).toContain('"Effect" = "Deny"');
      expect(policy).toContain('"aws:SecureTransport" = "false"');
      expect(policy).toContain(`"Resource" = [${bucketAddress}.arn, "\${${bucketAddress}.arn}/*"]`);
    });
  });

  describe('database', () => {
    const database = only(config, 'aws_db_instance');

    it('is PostgreSQL, encrypted, not public, with the password managed by RDS in Secrets Manager', () => {
      expect(database).toMatchObject({
        identifier: 'acme-ml-dev-mlflow',
        engine: 'postgres',
        engine_version: '17',
        port: 5432,
        storage_encrypted: true,
        publicly_accessible: false,
        manage_master_user_password: true,
        username: 'mlflow',
        db_name: 'mlflow',
      });
      expect(database.password).toBeUndefined();
      expect(database.password_wo).toBeUndefined();
    });

    it('keeps backups, refuses deletion and takes a final snapshot by default', () => {
      expect(database).toMatchObject({ backup_retention_period: 7, deletion_protection: true, skip_final_snapshot: false });
    });

    it('names the final snapshot after the time the database was first created, a stamp later plans keep, so a second removal does not collide', () => {
      const stamps = Object.entries(config.resource.terraform_data ?? {});
      expect(stamps).toHaveLength(1);
      const [id, stamp] = stamps[0];
      expect(stamp).toMatchObject({ input: { utc: '${formatdate("YYYYMMDDhhmmss", timestamp())}' }, lifecycle: { ignore_changes: ['input'] } });
      expect(database.final_snapshot_identifier).toBe(`acme-ml-dev-mlflow-final-\${terraform_data.${id}.output["utc"]}`);
    });

    it('lives in the isolated subnets', () => {
      const group = only(config, 'aws_db_subnet_group');
      const isolated = resources(config, 'aws_subnet')
        .map((subnet, index) => ({ subnet, address: `aws_subnet.${Object.keys(config.resource.aws_subnet)[index]}` }))
        .filter(({ subnet }) => subnet.tags.tier === 'isolated')
        .map(({ address }) => `\${${address}.id}`);
      expect(group.subnet_ids).toEqual(isolated);
      expect(database.db_subnet_group_name).toMatch(/aws_db_subnet_group\..*\.name/);
    });

    it('admits only the MLflow tasks, and only on its port', () => {
      const dbGroup = byName(config, 'aws_security_group', 'acme-ml-dev-mlflow-db');
      expect(dbGroup.ingress).toBeUndefined();
      expect(dbGroup.egress).toEqual([]);
      const rule = only(config, 'aws_security_group_rule');
      const tasks = addressOf(config, 'aws_security_group', (group) => group.name === 'acme-ml-dev-mlflow-tasks');
      const db = addressOf(config, 'aws_security_group', (group) => group.name === 'acme-ml-dev-mlflow-db');
      expect(rule).toMatchObject({
        type: 'ingress',
        security_group_id: `\${${db}.id}`,
        source_security_group_id: `\${${tasks}.id}`,
        protocol: 'tcp',
        from_port: 5432,
        to_port: 5432,
      });
      expect(rule.cidr_blocks).toBeUndefined();
    });
  });

  describe('MLflow service', () => {
    const container = containerOf(config);
    const secretArn = '${aws_db_instance.' + Object.keys(config.resource.aws_db_instance)[0] + '.master_user_secret[0].secret_arn}';

    it('gets the ARN of the RDS-managed secret, never its value: the server reads the current password for each new connection', () => {
      expect(JSON.stringify(container.secrets)).not.toContain(secretArn);
      expect(container.environment).toContainEqual({ name: 'DB_SECRET_ARN', value: secretArn });
      const names = container.environment.map((entry: Block) => entry.name);
      expect(names.filter((name: string) => /PASSWORD|USER/i.test(name))).toEqual([]);
      expect(container.environment).toContainEqual({ name: 'DB_HOST', value: expect.stringMatching(/aws_db_instance\..*\.address/) });
    });

    it('lets only the task role read that secret, with GetSecretValue on exactly its ARN; no KMS grant for the AWS-managed key', () => {
      const taskPolicy = byName(config, 'aws_iam_role_policy', 'mlflow-artifacts').policy as string;
      expect(taskPolicy).toContain(`{"Sid" = "ReadDatabaseSecret", "Effect" = "Allow", "Action" = ["secretsmanager:GetSecretValue"], "Resource" = ${secretArn.slice(2, -1)}}`);
      const taskRole = addressOf(config, 'aws_iam_role', (role) => role.name === 'acme-ml-dev-mlflow-task');
      expect(byName(config, 'aws_iam_role_policy', 'mlflow-artifacts').role).toBe(`\${${taskRole}.id}`);
      // Every other policy of the stack: no KMS action, and Secrets Manager only for the MLflow users' secrets (execution role).
      const policies = resources(config, 'aws_iam_role_policy').map((policy) => policy.policy as string);
      expect(policies.join('\n').match(/secretsmanager:|kms:/g)).toEqual(['secretsmanager:', 'secretsmanager:']);
      expect(byName(config, 'aws_iam_role_policy', 'mlflow-execution').policy as string).not.toContain(secretArn.slice(2, -1));
      expect(only(config, 'aws_db_instance').master_user_secret_kms_key_id).toBeUndefined();
    });

    it("gets the MLflow users' credentials as ECS secrets, never as plain environment", () => {
      const user = (role: string) => `\${aws_secretsmanager_secret.${addressOf(config, 'aws_secretsmanager_secret', (secret) => secret.name === `acme-ml/dev/mlflow-server/credentials/${role}`).split('.')[1]}.arn}`;
      expect(container.secrets).toEqual([
        { name: 'MLFLOW_AUTH_ADMIN_USERNAME', valueFrom: `${user('admin')}:username::` },
        { name: 'MLFLOW_AUTH_ADMIN_PASSWORD', valueFrom: `${user('admin')}:password::` },
        { name: 'MLOPS_TRAINING_USERNAME', valueFrom: `${user('training-jobs')}:username::` },
        { name: 'MLOPS_TRAINING_PASSWORD', valueFrom: `${user('training-jobs')}:password::` },
        { name: 'MLOPS_CLI_USERNAME', valueFrom: `${user('mlops-cli')}:username::` },
        { name: 'MLOPS_CLI_PASSWORD', valueFrom: `${user('mlops-cli')}:password::` },
      ]);
      // Plain environment names the RDS secret by ARN only (DB_SECRET_ARN); no credential variable is there.
      const names = container.environment.map((entry: Block) => entry.name);
      expect(names.filter((name: string) => /PASSWORD|USERNAME/.test(name))).toEqual([]);
      expect(container.environment).toContainEqual({ name: 'MLOPS_AUTH_DB_NAME', value: 'mlflow_auth' });
      expect(container.environment).toContainEqual({ name: 'DB_HOST', value: expect.stringMatching(/aws_db_instance\..*\.address/) });
    });

    it("lets the execution role read exactly the users' secrets", () => {
      const policy = byName(config, 'aws_iam_role_policy', 'mlflow-execution').policy as string;
      const users = resources(config, 'aws_secretsmanager_secret').map((_, index) => `aws_secretsmanager_secret.${Object.keys(config.resource.aws_secretsmanager_secret)[index]}.arn`);
      expect(policy).toContain(`"Sid" = "ReadUserSecrets"`);
      for (const arn of users) expect(policy).toContain(arn);
    });

    it('makes the users\' secrets without a value: the CLI puts generated passwords, so none is in the configuration or the state', () => {
      const secrets = resources(config, 'aws_secretsmanager_secret');
      expect(secrets.map((secret) => secret.name).sort()).toEqual([
        'acme-ml/dev/mlflow-server/credentials/admin',
        'acme-ml/dev/mlflow-server/credentials/mlops-cli',
        'acme-ml/dev/mlflow-server/credentials/training-jobs',
      ]);
      expect(resources(config, 'aws_secretsmanager_secret_version')).toEqual([]);
      expect(config.resource.random_password).toBeUndefined();
      expect(JSON.stringify(config)).not.toMatch(/secret_string|"password"\s*:/);
    });

    it('serves artifacts through the server from the artifact bucket', () => {
      expect(container.command).toEqual([
        '--app-name',
        'basic-auth',
        '--host',
        '0.0.0.0',
        '--port',
        '5000',
        '--serve-artifacts',
        '--artifacts-destination',
        expect.stringMatching(/^s3:\/\/\$\{aws_s3_bucket\..*\.bucket\}\/artifacts$/),
      ]);
      expect(container.image).toMatch(/^\$\{aws_ecr_repository\..*\.repository_url\}:abc123$/);
    });

    it('checks the server and a new database connection in the container, so ECS replaces a task that cannot connect; /health in the target group', () => {
      expect(container.healthCheck).toEqual({
        command: ['CMD', 'python', '/opt/mlflow/healthcheck.py', 'http://127.0.0.1:5000/health'],
        interval: 30,
        timeout: 10,
        retries: 3,
        startPeriod: 90,
      });
      expect(only(config, 'aws_lb_target_group').health_check).toMatchObject({ path: '/health', matcher: '200', enabled: true });
      expect(only(config, 'aws_lb_target_group')).toMatchObject({ target_type: 'ip', port: 5000, protocol: 'HTTP' });
    });

    it('runs on Fargate in the private subnets without public IPs, sized and scaled from settings', () => {
      const service = only(config, 'aws_ecs_service');
      const privateSubnets = Object.entries(config.resource.aws_subnet as Record<string, Block>)
        .filter(([, subnet]) => subnet.tags.tier === 'private')
        .map(([id]) => `\${aws_subnet.${id}.id}`);
      expect(service).toMatchObject({ launch_type: 'FARGATE', desired_count: 1 });
      expect(service.network_configuration).toEqual({ subnets: privateSubnets, security_groups: [expect.any(String)], assign_public_ip: false });
      expect(service.lifecycle).toEqual({ ignore_changes: ['desired_count'] });
      expect(only(config, 'aws_ecs_task_definition')).toMatchObject({ cpu: '1024', memory: '2048', network_mode: 'awsvpc', requires_compatibilities: ['FARGATE'] });
      expect(only(config, 'aws_appautoscaling_target')).toMatchObject({ min_capacity: 1, max_capacity: 2, scalable_dimension: 'ecs:service:DesiredCount' });
      expect(only(config, 'aws_appautoscaling_policy').target_tracking_scaling_policy_configuration).toMatchObject({ target_value: 60 });
    });

    it('logs to a CloudWatch log group with the retention from settings', () => {
      const logGroup = byName(config, 'aws_cloudwatch_log_group', '/mlops/acme-ml-dev-mlflow-server');
      expect(logGroup.retention_in_days).toBe(30);
      expect(container.logConfiguration).toMatchObject({ logDriver: 'awslogs', options: { 'awslogs-region': 'eu-west-1' } });
    });

    it('tells MLflow to accept the load balancer as Host', () => {
      const allowed = container.environment.find((entry: Block) => entry.name === 'MLFLOW_SERVER_ALLOWED_HOSTS');
      expect(allowed.value).toMatch(/^\$\{aws_lb\..*\.dns_name\},\$\{aws_lb\..*\.dns_name\}:\*$/);
    });
  });

  describe('load balancer and security groups', () => {
    it('is internal, in the private subnets, and admits only the VPC and the VPN clients, on HTTPS only', () => {
      expect(only(config, 'aws_lb')).toMatchObject({ name: 'acme-ml-dev-mlflow', internal: true, load_balancer_type: 'application', drop_invalid_header_fields: true });
      const alb = byName(config, 'aws_security_group', 'acme-ml-dev-mlflow-alb');
      expect(alb.ingress.flatMap((rule: Block) => rule.cidr_blocks)).toEqual(['10.0.0.0/16', '10.100.0.0/22']);
      expect(alb.ingress.every((rule: Block) => rule.from_port === 443 && rule.to_port === 443)).toBe(true);
    });

    it('listens on HTTPS alone (TLS 1.2+), with the certificate the CLI imported, known only by the ARN it published in SSM', () => {
      const listener = only(config, 'aws_lb_listener');
      const [parameterId] = Object.entries(config.data.aws_ssm_parameter as Record<string, Block>).find(([, parameter]) => parameter.name === '/acme-ml/dev/mlflow-server/load-balancer-certificate-arn')!;
      expect(listener).toMatchObject({
        port: 443,
        protocol: 'HTTPS',
        ssl_policy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
        certificate_arn: `\${data.aws_ssm_parameter.${parameterId}.insecure_value}`,
      });
      expect(listener.default_action).toEqual([expect.objectContaining({ type: 'forward' })]);
      expect(config.output.tracking_uri.value).toMatch(/^https:\/\/\$\{aws_lb\..*\.dns_name\}$/);
    });

    it('writes access logs to a bucket of their own: SSE-S3 (all ALB log delivery supports), versioned, private, TLS-only, writable by ELB log delivery under this account only', () => {
      const logs = addressOf(config, 'aws_s3_bucket', (bucket) => bucket.bucket.includes('-mlflow-alb-logs-'));
      const [, logsId] = logs.split('.');
      expect(config.resource.aws_s3_bucket[logsId].bucket).toBe('acme-ml-dev-mlflow-alb-logs-${data.aws_caller_identity.account.account_id}');
      const lb = only(config, 'aws_lb');
      expect(lb.access_logs).toEqual({ bucket: `\${${logs}.bucket}`, prefix: 'mlflow-alb', enabled: true });
      const policyEntry = Object.entries(config.resource.aws_s3_bucket_policy as Record<string, Block>).find(([, policy]) => policy.bucket === `\${${logs}.id}`)!;
      expect(lb.depends_on).toContain(`aws_s3_bucket_policy.${policyEntry[0]}`);
      const ofLogs = (type: string) => resources(config, type).find((resource) => resource.bucket === `\${${logs}.id}`);
      expect(ofLogs('aws_s3_bucket_server_side_encryption_configuration')?.rule).toEqual([{ apply_server_side_encryption_by_default: { sse_algorithm: 'AES256' } }]);
      expect(ofLogs('aws_s3_bucket_versioning')?.versioning_configuration).toEqual({ status: 'Enabled' });
      expect(ofLogs('aws_s3_bucket_public_access_block')).toMatchObject({ block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true });
      expect(ofLogs('aws_s3_bucket_lifecycle_configuration')?.rule[0].expiration).toEqual([{ days: 365 }]);
      const policy = policyEntry[1].policy as string;
      const logObjects = `"\${${logs}.arn}/mlflow-alb/AWSLogs/\${data.aws_caller_identity.account.account_id}/*"`;
      expect(policy).toContain(`"Principal" = {"AWS" = data.aws_elb_service_account.`);
      expect(policy).toContain('"Service" = "logdelivery.elasticloadbalancing.amazonaws.com"');
      expect(policy.split(logObjects)).toHaveLength(3);
      expect(policy).toContain('"aws:SecureTransport" = "false"');
    });

    it('opens no security group to the internet', () => {
      for (const group of resources(config, 'aws_security_group')) {
        for (const rule of group.ingress ?? []) expect(rule.cidr_blocks ?? []).not.toContain('0.0.0.0/0');
      }
    });

    it('admits the tasks only from the load balancer', () => {
      const tasks = byName(config, 'aws_security_group', 'acme-ml-dev-mlflow-tasks');
      const alb = addressOf(config, 'aws_security_group', (group) => group.name === 'acme-ml-dev-mlflow-alb');
      expect(tasks.ingress).toEqual([expect.objectContaining({ from_port: 5000, to_port: 5000, security_groups: [`\${${alb}.id}`] })]);
      expect(tasks.ingress[0].cidr_blocks ?? []).toEqual([]);
    });

    it('makes a client security group for training and deployment tasks with egress only', () => {
      const client = byName(config, 'aws_security_group', 'acme-ml-dev-mlflow-client');
      expect(client.ingress).toBeUndefined();
      expect(client.egress.map((rule: Block) => rule.to_port)).toEqual([443, 443]);
    });
  });

  describe('Client VPN', () => {
    it('uses mutual TLS with the server certificate the CLI imported into ACM, known only by the ARN it published in SSM', () => {
      const parameters = (Object.entries(config.data?.aws_ssm_parameter ?? {}) as [string, Block][]).filter(([, parameter]) => parameter.name.includes('/vpn/'));
      expect(parameters.map(([, parameter]) => parameter.name)).toEqual(['/acme-ml/dev/mlflow-server/vpn/server-certificate-arn']);
      // The key stays out of the configuration, and so out of the state (finding 3 of issue 10).
      expect(resources(config, 'aws_acm_certificate')).toEqual([]);
      expect(config.data?.aws_s3_object).toBeUndefined();
      expect(JSON.stringify(config)).not.toMatch(/private_key|PRIVATE KEY/);
      const endpoint = only(config, 'aws_ec2_client_vpn_endpoint');
      const certificateArn = `\${data.aws_ssm_parameter.${parameters[0][0]}.insecure_value}`;
      expect(endpoint).toMatchObject({
        server_certificate_arn: certificateArn,
        client_cidr_block: '10.100.0.0/22',
        split_tunnel: true,
        transport_protocol: 'udp',
        dns_servers: ['10.0.0.2'],
        session_timeout_hours: 12,
      });
      expect(endpoint.authentication_options).toEqual([{ type: 'certificate-authentication', root_certificate_chain_arn: certificateArn }]);
      expect(endpoint.connection_log_options).toMatchObject({ enabled: true });
    });

    it('is authorised for the VPC CIDR and associated with one private subnet by default', () => {
      expect(only(config, 'aws_ec2_client_vpn_authorization_rule')).toMatchObject({ target_network_cidr: '10.0.0.0/16', authorize_all_groups: true });
      expect(resources(config, 'aws_ec2_client_vpn_network_association')).toHaveLength(1);
      expect(config.output.vpn_dns_name.value).toMatch(/aws_ec2_client_vpn_endpoint\..*\.dns_name/);
    });
  });

  it('publishes tracking URI, VPC, private subnets, client security group and artifact bucket as SSM parameters', () => {
    const names = sharedParameterNames(environment);
    const parameters = Object.fromEntries(resources(config, 'aws_ssm_parameter').map((parameter) => [parameter.name, parameter]));
    expect(Object.keys(parameters).sort()).toEqual(
      [names.trackingUri, names.vpcId, names.privateSubnetIds, names.mlflowClientSecurityGroupId, names.artifactBucket, names.trainingCredentialSecretArn].sort(),
    );
    expect(parameters[names.trackingUri].value).toMatch(/^https:\/\/\$\{aws_lb\..*\.dns_name\}$/);
    expect(parameters[names.trainingCredentialSecretArn].value).toMatch(/^\$\{aws_secretsmanager_secret\.credentials_training_.*\.arn\}$/);
    expect(parameters[names.privateSubnetIds]).toMatchObject({ type: 'StringList', value: expect.stringContaining('join(",", [aws_subnet.') });
    expect(parameters[names.mlflowClientSecurityGroupId].value).toBe(
      `\${${addressOf(config, 'aws_security_group', (group) => group.name === 'acme-ml-dev-mlflow-client')}.id}`,
    );
    expect(parameters[names.artifactBucket].value).toMatch(/aws_s3_bucket\..*\.bucket/);
  });

  it('outputs what the CLI and the later stacks need', () => {
    expect(Object.keys(config.output)).toEqual(
      expect.arrayContaining(['tracking_uri', 'vpc_id', 'private_subnet_ids', 'client_security_group_id', 'artifact_bucket', 'ecr_repository_url', 'database_identifier']),
    );
  });

  it('prefixes every name with <project>-<env> and keeps it within its AWS limit', () => {
    const named: [string, string, number][] = [
      [only(config, 'aws_lb').name, 'loadBalancer', AWS_NAME_LIMITS.loadBalancer],
      [only(config, 'aws_lb_target_group').name, 'targetGroup', AWS_NAME_LIMITS.targetGroup],
      [only(config, 'aws_db_instance').identifier, 'rds', AWS_NAME_LIMITS.rdsIdentifier],
      [only(config, 'aws_ecr_repository').name, 'ecr', AWS_NAME_LIMITS.ecrRepository],
      [only(config, 'aws_ecs_cluster').name, 'ecs', AWS_NAME_LIMITS.ecs],
      ...resources(config, 'aws_iam_role').map((role): [string, string, number] => [role.name, 'iam', AWS_NAME_LIMITS.iamRole]),
      ...resources(config, 'aws_security_group').map((group): [string, string, number] => [group.name, 'sg', AWS_NAME_LIMITS.securityGroup]),
    ];
    for (const [name, , limit] of named) {
      expect(name.startsWith('acme-ml-dev-')).toBe(true);
      expect(name.length).toBeLessThanOrEqual(limit);
    }
  });
});

describe('MlflowServerStack settings', () => {
  it('switches the VPN off entirely: no endpoint, certificate or certificate parameter, no VPN range on the load balancer', () => {
    const config = synth({ vpn: { enabled: false } });
    for (const type of ['aws_ec2_client_vpn_endpoint', 'aws_acm_certificate', 'aws_ec2_client_vpn_authorization_rule', 'aws_ec2_client_vpn_network_association']) {
      expect(resources(config, type)).toEqual([]);
    }
    expect(Object.values(config.data?.aws_ssm_parameter ?? {}).map((parameter) => (parameter as Block).name)).toEqual(['/acme-ml/dev/mlflow-server/load-balancer-certificate-arn']);
    expect(config.output.vpn_dns_name).toBeUndefined();
    expect(byName(config, 'aws_security_group', 'acme-ml-dev-mlflow-alb').ingress.flatMap((rule: Block) => rule.cidr_blocks)).toEqual(['10.0.0.0/16']);
  });

  it('takes MySQL, sizes, scaling, retention, bucket and database removal settings', () => {
    const config = synth({
      db_engine: 'mysql',
      task_cpu: 2048,
      task_memory_mib: 4096,
      min_tasks: 2,
      max_tasks: 5,
      log_retention_days: 90,
      artifact_bucket_force_destroy: true,
      db_deletion_protection: false,
      db_final_snapshot: false,
      allowed_cidrs: ['192.168.0.0/16'],
      vpn: { associated_subnets: 2 },
    });
    expect(only(config, 'aws_db_instance')).toMatchObject({ engine: 'mysql', engine_version: '8.4', port: 3306, deletion_protection: false, skip_final_snapshot: true });
    expect(only(config, 'aws_db_instance').final_snapshot_identifier).toBeUndefined();
    expect(config.resource.terraform_data).toBeUndefined();
    expect(only(config, 'aws_security_group_rule')).toMatchObject({ from_port: 3306, to_port: 3306 });
    expect(containerOf(config).environment).toContainEqual({ name: 'DB_SCHEME', value: 'mysql+pymysql' });
    expect(only(config, 'aws_ecs_task_definition')).toMatchObject({ cpu: '2048', memory: '4096' });
    expect(only(config, 'aws_ecs_service').desired_count).toBe(2);
    expect(only(config, 'aws_appautoscaling_target')).toMatchObject({ min_capacity: 2, max_capacity: 5 });
    expect(byName(config, 'aws_cloudwatch_log_group', '/mlops/acme-ml-dev-mlflow-server').retention_in_days).toBe(90);
    // artifact_bucket_force_destroy covers both buckets: artifacts and the load balancer's access logs.
    expect(resources(config, 'aws_s3_bucket').map((bucket) => bucket.force_destroy)).toEqual([true, true]);
    expect(byName(config, 'aws_security_group', 'acme-ml-dev-mlflow-alb').ingress.flatMap((rule: Block) => rule.cidr_blocks)).toEqual([
      '10.0.0.0/16',
      '10.100.0.0/22',
      '192.168.0.0/16',
    ]);
    expect(resources(config, 'aws_ec2_client_vpn_network_association')).toHaveLength(2);
  });

  it('keeps a fixed task count without a scaling target when min_tasks equals max_tasks', () => {
    const config = synth({ min_tasks: 2, max_tasks: 2 });
    expect(resources(config, 'aws_appautoscaling_target')).toEqual([]);
    expect(resources(config, 'aws_appautoscaling_policy')).toEqual([]);
    expect(only(config, 'aws_ecs_service').desired_count).toBe(2);
    expect(only(config, 'aws_ecs_service').lifecycle).toBeUndefined();
  });

  it('spreads over three AZs and gives each its own NAT gateway when asked', () => {
    const config = synth({ availability_zones: 3, nat_gateway_per_az: true });
    expect(resources(config, 'aws_subnet')).toHaveLength(9);
    expect(resources(config, 'aws_nat_gateway')).toHaveLength(3);
    expect(new Set(resources(config, 'aws_route').filter((route) => route.nat_gateway_id).map((route) => route.nat_gateway_id)).size).toBe(3);
  });

  it('tags the image with the content hash of the image folder and the MLflow version', () => {
    const settings = settingsWith();
    const tag = mlflowServerImageTag(settings);
    expect(tag).toMatch(/^[0-9a-f]{16}$/);
    expect(mlflowServerImageTag(settingsWith({ mlflow_version: '3.1.0' }))).not.toBe(tag);
    const outdir = mkdtempSync(join(tmpdir(), 'mlops-synth-mlflow-'));
    outdirs.push(outdir);
    const [dir] = synthesize((app) => [buildMlflowServerStack(app, { environment, settings })], outdir);
    const container = JSON.parse(Object.values(JSON.parse(readFileSync(join(dir, 'cdk.tf.json'), 'utf8')).resource.aws_ecs_task_definition as Record<string, Block>)[0].container_definitions)[0];
    expect(container.image.endsWith(`:${tag}`)).toBe(true);
  });

  it('refuses a Fargate size that does not exist, suggesting the nearest, before making anything', () => {
    expect(() => synth({ task_cpu: 1024, task_memory_mib: 1024 })).toThrow(InvalidPropsError);
    expect(() => synth({ task_cpu: 1024, task_memory_mib: 1024 })).toThrow(/memory=1024 MiB does not go with cpu=1024.*nearest: 2048/);
  });

  it('refuses a VPN client range inside the VPC and a session length Client VPN does not offer', () => {
    expect(() => synth({ vpn: { client_cidr: '10.0.4.0/22' } })).toThrow(/clientCidr="10.0.4.0\/22" overlaps the VPC \(10.0.0.0\/16\)/);
    expect(() => synth({ vpn: { associated_subnets: 3 } })).toThrow(/associatedSubnets=3: must be from 1 to 2/);
  });

  it('names every problem of the VPC CIDR at once', () => {
    let message = '';
    try {
      synth({ vpc_cidr: '10.0.0.1/8' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('must have a prefix length from /16 to /24 (is /8)');
    expect(message).not.toContain('host bits'); // checked only once the prefix is acceptable
    expect(() => synth({ vpc_cidr: '10.0.0.1/16' })).toThrow(/has host bits set: the network address of \/16 is 10.0.0.0/);
  });

  it('refuses names longer than AWS allows', () => {
    expect(() => synth({}, { ...environment, project: 'a-very-long-project-name' })).toThrow(NameTooLongError);
    expect(() => synth({}, { ...environment, project: 'a-very-long-project-name' })).toThrow(/loadBalancer name "a-very-long-project-name-dev-mlflow" is 35 characters; AWS allows 32/);
  });

  it('fits the longest project (16) and environment (8) names in the 32-character load balancer names', () => {
    const config = synth({}, { ...environment, project: 'p'.repeat(16), envName: 'e'.repeat(8) });
    expect(only(config, 'aws_lb').name).toHaveLength(32);
    expect(only(config, 'aws_lb_target_group').name).toHaveLength(32);
  });
});
