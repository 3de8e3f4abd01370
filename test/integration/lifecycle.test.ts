import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchClient, DescribeJobDefinitionsCommand, DescribeJobsCommand } from '@aws-sdk/client-batch';
import { CloudWatchClient, DescribeAlarmsCommand, GetDashboardCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { AddTagsCommand, DeleteTagsCommand, DescribeEndpointCommand, ListEndpointsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { execa } from 'execa';
import { MlflowClient } from '../../cli/effects/mlflow.js';
import { pythonEnv } from '../../cli/local/python-tools.js';
import { repoRoot } from '../../cli/paths.js';
import { mlflowCredentialSecretNames, mlflowLoadBalancerCertificateParameterName, sharedParameterNames } from '../../core/naming.js';
import { withMlflowCaFile } from '../../core/training/mlflow-ca.js';
import { expectExit, runCli } from '../harness/cli.js';
import { startTestMlflowServer, type TestMlflowServer } from '../harness/mlflow.js';
import { emulatorCliEnv, motoPython, motoResourceNames, TEST_REGION, type TestMoto } from '../harness/moto.js';
import { copyTestProject, fargateTrainingResources, expectFirstTrainingSubmission } from '../harness/training-project.js';
import { privateKeysInStates, startMotoWithStateBucket } from './mlflow-server-setup.js';

/**
 * Issue 11 §1: the whole lifecycle in one emulator account (moto) with one real MLflow server, through
 * the built CLI (`npx tsc -p .` first) and OpenTofu, in the order a team goes: the MLflow server stack
 * (VPN off) → its re-run changes nothing → two trainings register versions 1 and 2 → the training
 * stack (a job, its schedule) → deploy version 1 → again, no changes → version 2 planned as an
 * in-place endpoint update → an alias → monitor → every removal → and then everything the emulator
 * holds is what it held before the first step; only the state bucket's objects differ, none a lock.
 * Along the way it makes the assertions of the per-stack tests it replaced (mlflow-server.test.ts,
 * and the applies of deployment-job.test.ts and training-job.test.ts), at the point where each holds.
 *
 * The training and deployment stacks read the MLflow server stack's SSM parameters (no tracking_uri
 * in the settings): its private subnets, its client security group, its artifact bucket, its HTTPS
 * URI, the training jobs' credential and the project CA. The CLI itself talks to the test MLflow
 * server through MLFLOW_TRACKING_URI, as a user names a server of their choice (the published URI is
 * moto's load balancer name, which answers nothing); a server named that way is reached as it is.
 * Following a training job is the exception: the job reported to the published server, so the CLI
 * looks its version up there, and the scenario asserts what a user off the VPN is told.
 *
 * What moto lacks, and how the scenario meets it:
 * - Client VPN: the settings switch the VPN off (its resources are proven by the synth and validate
 *   tiers, its certificates by test/unit/mlflow-server-vpn.test.ts, its workflow by mlflow-server-vpn.test.ts).
 * - image layers (ECR): every run passes `--image-build skip`; the repositories are still made and
 *   asked for the content-hash tag. The three images are built, pushed to a real registry and run in
 *   container-images.test.ts and mlflow-server-container.test.ts.
 * - SageMaker UpdateEndpoint: version 2 and a shadow are planned (`--plan-only`: the endpoint
 *   updated in place); the alias names the served version; the shadow's answers are the capture
 *   files SageMaker would write, under the tag the shadow rollout sets; `sync` rolls out onto an
 *   endpoint that does not exist yet.
 * - a Batch job's container: Batch in moto's simple mode (jobs finish at once); the job's own
 *   command, with its definition's environment, is run here and registers the version the job would.
 * - Application Auto Scaling's tags: min_tasks = max_tasks = 1, so the stack makes no scaling target.
 * - the provider's CloudWatch protocol (CBOR), attributes moto drops (bucket tags, an endpoint's
 *   DeploymentConfig, a service's grace period) and bucket policies moto cannot evaluate: the
 *   product's own emulator table (EMULATOR_GAPS in cli/effects/terraform.ts), applied because
 *   AWS_ENDPOINT_URL is set, as for a user pointing the product at a local emulator (so the server
 *   stack makes its bucket policies fewer resources here than on AWS).
 * - moto's DeleteNatGateway keeps the gateway's network interface (AWS deletes it with the gateway):
 *   mlflow-server-inventory.py reports it apart, and the final comparison drops exactly that one.
 */
const PROJECT = 'lc';
const ENV_NAME = 'dev';
const STATE_BUCKET = 'lc-terraform-state';
const ML_PROJECT = 'wine';
const OTHER = 'other';
const PREFIX = `${PROJECT}-${ENV_NAME}`;
const ENDPOINT = `${PREFIX}-${ML_PROJECT}`;
const NAMESPACE = `LeanMLOps/${PREFIX}`;
const PREDICTIONS = '{"predictions": [0, 1, 2, 0, 1]}';
/** wine retrains every Monday at 03:00 UTC (EventBridge Scheduler; moto keeps schedules but never fires them). */
const WINE_SCHEDULE = 'cron(0 3 ? * MON *)';
/** What the server stack makes in moto, its image repository included (bucket policies are left out: EMULATOR_GAPS). */
const SERVER_RESOURCES = 69;
/** One ml.t2.medium in eu-west-1 (730 h × $0.062), the dashboard ($3) and two alarms ($0.10 each): core/cost/price-table.ts. */
const ENDPOINT_MONTHLY = 730 * 0.062 + 3 + 2 * 0.1;
const SERVER_SETTINGS = {
  vpn: { enabled: false },
  min_tasks: 1,
  max_tasks: 1,
  db_deletion_protection: false,
  db_final_snapshot: false,
  artifact_bucket_force_destroy: true,
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Answer = Record<string, any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const without = (answer: Answer | undefined, list: string, unwanted: (item: any) => boolean) => answer && { ...answer, [list]: (answer[list] ?? []).filter((item: unknown) => !unwanted(item)) };

/**
 * What stays after every resource is gone, answer by answer: records AWS itself keeps after a
 * deletion (and cannot be asked to drop), and what moto keeps that AWS deletes (said so). Each entry
 * takes out only those items from an answer (before and after alike); anything else that differs
 * fails the test.
 */
const RETAINED: Record<string, { reason: string; drop: (answer: Answer, after: Record<string, Answer>) => Answer | undefined }> = {
  'batch:DescribeJobDefinitions': { reason: 'AWS keeps a deregistered job definition as INACTIVE; it has no delete', drop: (a) => without(a, 'jobDefinitions', (d) => d.status === 'INACTIVE') },
  'cloudwatch:ListMetrics': {
    reason: 'metric data cannot be deleted (it expires after 15 months): the published model and data metrics, and the state bucket’s own S3 metrics',
    drop: (a) => without(a, 'Metrics', (m) => m.Namespace === NAMESPACE || (m.Namespace === 'AWS/S3' && m.Dimensions.some((d: Answer) => d.Value === STATE_BUCKET))),
  },
  'ec2:DescribeNatGateways': { reason: 'AWS lists a deleted NAT gateway (state deleted) for about an hour', drop: (a) => without(a, 'NatGateways', (g) => g.State === 'deleted') },
  'ec2:DescribeVpcEndpoints': { reason: 'AWS lists a deleted VPC endpoint (state deleted) for a while', drop: (a) => without(a, 'VpcEndpoints', (e) => e.State === 'deleted') },
  'ec2:DescribeNetworkInterfaces': {
    reason: "moto keeps what AWS deletes: moto's DeleteNatGateway keeps the gateway's network interface (AWS deletes it with the gateway)",
    drop: (a, after) => {
      const natInterfaces = new Set((after['ec2:DescribeNatGateways']?.NatGateways ?? []).flatMap((g: Answer) => g.NatGatewayAddresses.map((x: Answer) => x.NetworkInterfaceId)));
      return without(a, 'NetworkInterfaces', (i) => natInterfaces.has(i.NetworkInterfaceId));
    },
  },
  'ec2:DescribeNetworkAcls': {
    reason: "moto keeps what AWS deletes: moto's DeleteVpc keeps the VPC's default network ACL (AWS deletes it with the VPC)",
    drop: (a, after) => {
      const vpcs = new Set((after['ec2:DescribeVpcs']?.Vpcs ?? []).map((v: Answer) => v.VpcId));
      return without(a, 'NetworkAcls', (acl) => !vpcs.has(acl.VpcId));
    },
  },
  'ec2:DescribeTags': { reason: 'moto keeps what AWS deletes: the tags of deleted resources (the resources themselves are compared)', drop: () => undefined },
  'resourcegroupstaggingapi:GetResources': { reason: 'moto keeps what AWS deletes: a view of the tags of ec2:DescribeTags', drop: () => undefined },
  'resourcegroupstaggingapi:GetTagKeys': { reason: 'moto keeps what AWS deletes: a view of the tags of ec2:DescribeTags', drop: () => undefined },
  'ecs:ListClusters': {
    reason: "AWS lists a deleted cluster (INACTIVE) for a while; moto keeps what AWS deletes: the ECS cluster moto's Batch made for a compute environment",
    drop: (a) => without(a, 'clusterArns', (arn: string) => arn.endsWith(`:cluster/${PREFIX}-mlflow`) || /:cluster\/OnDemand_Batch_/.test(arn)),
  },
  'ecs:ListTaskDefinitionFamilies': {
    reason: 'AWS lists the family of a deregistered (INACTIVE) task definition; it has no ACTIVE revision left',
    drop: (a, after) => {
      const active = (after['ecs:ListTaskDefinitions']?.taskDefinitionArns ?? []).join(' ');
      return without(a, 'families', (family: string) => !active.includes(`task-definition/${family}:`));
    },
  },
  'kms:ListAliases': { reason: 'AWS makes its managed keys (alias/aws/*) on first use and never deletes them', drop: (a) => without(a, 'Aliases', (x) => x.AliasName.startsWith('alias/aws/')) },
  'kms:ListKeys': {
    reason: 'the AWS managed keys of kms:ListAliases',
    drop: (a, after) => {
      const managed = new Set((after['kms:ListAliases']?.Aliases ?? []).filter((x: Answer) => x.AliasName.startsWith('alias/aws/')).map((x: Answer) => x.TargetKeyId));
      return without(a, 'Keys', (k) => managed.has(k.KeyId));
    },
  },
  'rds:DescribeDBParameterGroups': { reason: 'AWS makes an engine’s default parameter group on first use; it cannot be deleted', drop: (a) => without(a, 'DBParameterGroups', (g) => g.DBParameterGroupName.startsWith('default.')) },
  'rds:DescribeEvents': { reason: 'RDS keeps its event history for 14 days', drop: () => undefined },
};

interface ServerInventory {
  resources: Record<string, string[]>;
  ssm_values: Record<string, string>;
  moto_kept_nat_gateway_interfaces: string[];
}

describe('the whole lifecycle in one emulator account with one MLflow server', () => {
  let moto: TestMoto;
  let mlflow: TestMlflowServer;
  let python: string;
  let s3: S3Client;
  let env: Record<string, string | undefined>;
  let work: string;
  let projectsDir: string;
  let before: Record<string, unknown>;
  let server: { outputs: Record<string, unknown>; trackingUri: string; monthlyUsd: number };
  let submitted: { jobId: string; jobName: string; jobDefinition: string; schedule: { name: string; expression: string; state: string; nextRun: string }; cost: { perRun: { hourUsd: number } } };
  let servedConfig: string;
  let vpcIds: string[] = [];
  const stepSeconds: Record<string, number> = {};
  const started = Date.now();
  const aws = () => ({ endpoint: moto.endpoint, region: TEST_REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  const registry = () => new MlflowClient(mlflow.url);

  /** Runs the CLI and records the step's duration (printed at the end). */
  const step = async (label: string, args: string[], extraEnv: Record<string, string | undefined> = {}) => {
    const at = Date.now();
    const result = await runCli(args, { ...env, ...extraEnv });
    stepSeconds[label] = Math.round((Date.now() - at) / 1000);
    return result;
  };
  /** The MLflow server stack run again: a plan with no change, and no apply. */
  const expectServerUnchanged = async (label: string) => {
    const run = await step(label, ['mlflow-server', '--image-build', 'skip', '--json']);
    expectExit(run, 0);
    expect(JSON.parse(run.stdout).plan).toEqual({ add: 0, change: 0, destroy: 0, updatedInPlace: [], replaced: [] });
    expect(run.stderr).toContain('No changes: the infrastructure matches the configuration.');
    expect(run.stderr).not.toContain('tofu apply');
  };
  const deploy = (label: string, ...args: string[]) => step(label, ['deployment-job', '--project', ML_PROJECT, '--image-build', 'skip', '--json', ...args]);
  const inPython = async (script: string, args: string[]) => {
    const result = await execa(python, [script, ...args], { env: { ...process.env, ...moto.env }, reject: false, maxBuffer: 512 * 1024 * 1024 });
    if (result.exitCode !== 0) throw new Error(`${script} failed:\n${result.stderr}`);
    return JSON.parse(result.stdout);
  };
  /** Every answer of every no-input List/Describe/Get operation of every service moto implements. */
  const everything = async (label: string) => {
    const at = Date.now();
    const found = (await inPython(join(repoRoot, 'test', 'harness', 'moto-inventory.py'), [])) as Record<string, unknown>;
    stepSeconds[label] = Math.round((Date.now() - at) / 1000);
    return found;
  };
  /** The MLflow server stack's own resources by kind. */
  const serverResources = async (): Promise<ServerInventory> => inPython(join(repoRoot, 'test', 'integration', 'mlflow-server-inventory.py'), [PROJECT, ENV_NAME, ...vpcIds]);
  const nonEmpty = (found: ServerInventory) => Object.fromEntries(Object.entries(found.resources).filter(([, ids]) => ids.length > 0));
  const stateObjects = async () => ((await s3.send(new ListObjectsV2Command({ Bucket: STATE_BUCKET }))).Contents ?? []).map((object) => object.Key!).sort();
  const stateBody = async (key: string) => (await s3.send(new GetObjectCommand({ Bucket: STATE_BUCKET, Key: key }))).Body!.transformToString();
  /** The wine schedule as EventBridge Scheduler (moto) keeps it, and the trust and permissions of its role. */
  const wineSchedule = async () =>
    JSON.parse(
      await motoPython(
        moto,
        [
          "scheduler, iam = boto3.client('scheduler', **kw), boto3.client('iam', **kw)",
          "names = [s['Name'] for s in scheduler.list_schedules()['Schedules']]",
          `if '${ENDPOINT}-retrain' not in names: print(json.dumps({'names': names})); sys.exit(0)`,
          `s = scheduler.get_schedule(Name='${ENDPOINT}-retrain')`,
          "role = s['Target']['RoleArn'].split('/')[-1]",
          "policy = iam.get_role_policy(RoleName=role, PolicyName='submit-training-job')['PolicyDocument']",
          "trust = iam.get_role(RoleName=role)['Role']['AssumeRolePolicyDocument']",
          "print(json.dumps({'names': names, 'expression': s['ScheduleExpression'], 'timezone': s['ScheduleExpressionTimezone'], 'state': s['State'], 'target': s['Target']['Arn'], 'input': json.loads(s['Target']['Input']), 'role': role, 'policy': policy, 'trust': trust}))",
        ].join('\n'),
      ),
    );
  /** After deployment-job-rm: everything that still carries the endpoint's name. */
  const deploymentLeftovers = async () =>
    JSON.parse(
      await motoPython(
        moto,
        [
          "sm, cw = boto3.client('sagemaker', **kw), boto3.client('cloudwatch', **kw)",
          'found = {',
          "  'endpoints': [e['EndpointName'] for e in sm.list_endpoints()['Endpoints']],",
          "  'endpointConfigs': [c['EndpointConfigName'] for c in sm.list_endpoint_configs()['EndpointConfigs']],",
          "  'models': [m['ModelName'] for m in sm.list_models()['Models']],",
          "  'repositories': [r['repositoryName'] for r in boto3.client('ecr', **kw).describe_repositories()['repositories']],",
          "  'roles': [r['RoleName'] for r in boto3.client('iam', **kw).list_roles()['Roles']],",
          "  'securityGroups': [g['GroupName'] for g in boto3.client('ec2', **kw).describe_security_groups()['SecurityGroups']],",
          "  'alarms': [a['AlarmName'] for a in cw.describe_alarms()['MetricAlarms']],",
          "  'dashboards': [d['DashboardName'] for d in cw.list_dashboards()['DashboardEntries']],",
          "  'logGroups': [g['logGroupName'] for g in boto3.client('logs', **kw).describe_log_groups()['logGroups']],",
          "  'buckets': [b['Name'] for b in boto3.client('s3', **kw).list_buckets()['Buckets']],",
          '}',
          // The training stack's names start alike (<endpoint>-train…); training-job-rm's own check is below.
          "print(json.dumps({kind: [n for n in names if sys.argv[1] in n and sys.argv[1] + '-train' not in n] for kind, names in found.items()}))",
        ].join('\n'),
        [ENDPOINT],
      ),
    );

  beforeAll(async () => {
    let tools: Record<string, string>;
    [{ moto, s3, tools, python }, mlflow] = await Promise.all([
      // AWS managed policies (AWSBatchServiceRole) exist in every real account; moto loads them on request.
      startMotoWithStateBucket(STATE_BUCKET, { MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' }),
      startTestMlflowServer(),
    ]);
    // Batch without Docker (jobs finish at once), and the answers of the smoke tests' InvokeEndpoint.
    const config = await fetch(`${moto.endpoint}/moto-api/config`, { method: 'POST', body: JSON.stringify({ batch: { use_docker: false } }) });
    expect(config.status).toBe(201);
    const answer = { Body: PREDICTIONS, ContentType: 'application/json', InvokedProductionVariant: 'primary', CustomAttributes: '' };
    await fetch(`${moto.endpoint}/moto-api/static/sagemaker/endpoint-results`, { method: 'POST', body: JSON.stringify({ region: TEST_REGION, results: Array(8).fill(answer) }) });

    work = mkdtempSync(join(tmpdir(), 'mlops-lifecycle-it-'));
    projectsDir = join(work, 'ml-projects');
    copyTestProject(ML_PROJECT, { training: [{ type: 'VCPU', value: '0.5' }, { type: 'MEMORY', value: '2048' }], schedule: WINE_SCHEDULE }, projectsDir);
    copyTestProject(OTHER, undefined, projectsDir);
    const settings = { mlflow_server: SERVER_SETTINGS, training: { job_poll_seconds: 1 } };
    writeFileSync(join(work, 'settings.json'), JSON.stringify(settings));
    writeFileSync(join(work, 'protected.json'), JSON.stringify({ ...settings, mlflow_server: { ...SERVER_SETTINGS, db_deletion_protection: true } }));
    env = {
      ...emulatorCliEnv(tools, moto, STATE_BUCKET, { project: PROJECT, envName: ENV_NAME }),
      MLOPS_PROJECTS_DIR: projectsDir,
      MLOPS_SETTINGS_FILE: join(work, 'settings.json'),
      MLOPS_OUTDIR: join(work, 'cdktf.out'),
      MLOPS_STATE_DIR: join(work, 'state'),
      MLOPS_POLL_SECONDS: '1',
      MLFLOW_TRACKING_URI: mlflow.url,
    };
    before = await everything('inventory before');
  }, 900_000);

  afterAll(async () => {
    await Promise.all([moto?.stop(), mlflow?.stop()]);
    if (work) rmSync(work, { recursive: true, force: true });
    process.stderr.write(`lifecycle scenario took ${Math.round((Date.now() - started) / 1000)}s; steps (s): ${JSON.stringify(stepSeconds)}\n`);
  });

  it('mlflow-server (VPN off) applies from an empty account, publishes the shared values, and prints how to connect', async () => {
    expect(nonEmpty(await serverResources())).toEqual({});
    const result = await step('mlflow-server', ['mlflow-server', '--image-build', 'skip', '--json']);
    expectExit(result, 0);
    const output = JSON.parse(result.stdout);
    // First the repository, the users' secrets and the load balancer (with what it needs), then the rest.
    const first = /The image repository, aws_secretsmanager_secret and aws_lb first — Plan: (\d+) to add, 0 to change, 0 to destroy\./.exec(result.stderr);
    expect(first).not.toBeNull();
    expect(output.plan).toMatchObject({ change: 0, destroy: 0 });
    expect(Number(first![1]) + output.plan.add).toBe(SERVER_RESOURCES);
    expect(result.stderr).toContain(`Plan: ${output.plan.add} to add, 0 to change, 0 to destroy.`);
    expect(output.image).toEqual({ imageUri: expect.stringMatching(/\/lc-dev-mlflow-server:[0-9a-f]{16}$/), action: 'skipped' });
    expect(output.trackingUri).toMatch(/^https:\/\/lc-dev-mlflow-.*\.elb\.amazonaws\.com$/);
    expect(output.generatedCredentials).toEqual(['admin', 'training', 'cli']);
    // VPN off, one task, no autoscaling: RDS (730 h × $0.018 + 20 GB × $0.127 + $0.40 for its secret), the MLflow users' three
    // secrets ($0.40 each), Fargate, NAT gateway, its IPv4 address, the ALB.
    const monthly = 730 * 0.018 + 20 * 0.127 + 0.4 + 3 * 0.4 + 730 * (0.04048 + 2 * 0.004445) + 730 * 0.048 + 730 * 0.005 + 730 * 0.0252;
    expect(output.cost.monthlyUsd).toBeCloseTo(monthly, 6);
    expect(result.stderr).toContain(`Stack total: $${monthly.toFixed(2)}/month`);
    expect(result.stderr).toContain(`export MLFLOW_TRACKING_URI=${output.trackingUri}`);
    server = { outputs: output.outputs, trackingUri: output.trackingUri, monthlyUsd: output.cost.monthlyUsd };

    const found = await serverResources();
    vpcIds = found.resources['ec2:vpc'];
    expect(found.moto_kept_nat_gateway_interfaces).toEqual([]);
    expect(Object.fromEntries(Object.entries(found.resources).map(([kind, ids]) => [kind, ids.length]))).toMatchObject({
      'ec2:vpc': 1,
      'ec2:subnet': 6,
      'ec2:nat-gateway': 1,
      'ec2:vpc-endpoint': 1,
      'rds:db': 1,
      'secretsmanager:secret': 4,
      'ecs:cluster': 1,
      'ecs:service': 1,
      'ecs:task-definition': 1,
      'elasticloadbalancing:loadbalancer': 1,
      'elasticloadbalancing:targetgroup': 1,
      'iam:role': 3,
      'ecr:repository': 1,
      'logs:log-group': 2,
      's3:bucket': 2,
      'ssm:parameter': 8,
      'acm:certificate': 1,
    });
    const names = sharedParameterNames({ project: PROJECT, envName: ENV_NAME });
    expect(found.ssm_values).toEqual({
      [names.trackingUri]: output.trackingUri,
      [names.vpcId]: output.outputs.vpc_id,
      [names.privateSubnetIds]: (output.outputs.private_subnet_ids as string[]).join(','),
      [names.mlflowClientSecurityGroupId]: output.outputs.client_security_group_id,
      [names.artifactBucket]: output.outputs.artifact_bucket,
      [names.trainingCredentialSecretArn]: expect.stringContaining(`:secret:${PROJECT}/${ENV_NAME}/mlflow-server/credentials/training-jobs`),
      [names.caCertificate]: expect.stringMatching(/^[A-Za-z0-9+/]+=*$/),
      [mlflowLoadBalancerCertificateParameterName({ project: PROJECT, envName: ENV_NAME })]: found.resources['acm:certificate'][0],
    });
  });

  it('keeps its state under <project>/<env>/mlflow-server.tfstate, without the users’ passwords or any private key', async () => {
    const state = JSON.parse(await stateBody(`${PROJECT}/${ENV_NAME}/mlflow-server.tfstate`));
    expect(state.outputs.tracking_uri.value).toMatch(/^https:\/\//);
    // The users' passwords went into Secrets Manager from the CLI: the state knows the secrets, not their values.
    const read = "print(json.dumps([json.loads(boto3.client('secretsmanager', **kw).get_secret_value(SecretId=n)['SecretString'])['password'] for n in sys.argv[1:]]))";
    const passwords = JSON.parse(await motoPython(moto, read, Object.values(mlflowCredentialSecretNames({ project: PROJECT, envName: ENV_NAME })))) as string[];
    expect(passwords).toHaveLength(3);
    for (const password of passwords) expect(JSON.stringify(state)).not.toContain(password);
    expect(JSON.stringify(state)).not.toContain('secret_string');
    expect(await privateKeysInStates(s3, STATE_BUCKET)).toEqual({ states: [`${PROJECT}/${ENV_NAME}/mlflow-server.tfstate`], holdingKeys: [] });
  });

  it('mlflow-server run again changes nothing', async () => {
    await expectServerUnchanged('mlflow-server again');
  });

  it('two trainings register versions 1 and 2', async () => {
    const at = Date.now();
    for (let run = 0; run < 2; run += 1) {
      const train = await execa(join(env.MLOPS_PYTHON_BIN!, 'python'), ['train.py'], {
        cwd: join(projectsDir, ML_PROJECT),
        env: pythonEnv({ MLFLOW_TRACKING_URI: mlflow.url, MLFLOW_EXPERIMENT_NAME: ML_PROJECT }, { ...process.env, MLOPS_PYTHON_BIN: env.MLOPS_PYTHON_BIN }),
        reject: false,
        all: true,
      });
      if (train.exitCode !== 0) throw new Error(`training failed:\n${train.all}`);
    }
    stepSeconds.trainings = Math.round((Date.now() - at) / 1000);
    const versions = await registry().searchModelVersions(`name='${ML_PROJECT}'`);
    expect(versions.map((version) => version.version).sort()).toEqual(['1', '2']);
  });

  it("training-job applies the training stack in the server's private subnets, registers the job definition with the server's URI, CA and credential, and submits (--no-wait --json)", async () => {
    expectExit(await step('training-job other', ['training-job', '--project', OTHER, '--image-build', 'skip', '--no-wait', '--json']), 0);
    const result = await step('training-job', ['training-job', '--project', ML_PROJECT, '--image-build', 'skip', '--no-wait', '--json']);
    submitted = expectFirstTrainingSubmission(result);
    expect(await stateObjects()).toEqual([
      `${PROJECT}/${ENV_NAME}/mlflow-server.tfstate`,
      `${PROJECT}/${ENV_NAME}/mlflow-server/vpn/ca.json`,
      `${PROJECT}/${ENV_NAME}/mlflow-server/vpn/load-balancer.json`,
      `${PROJECT}/${ENV_NAME}/training/${OTHER}.tfstate`,
      `${PROJECT}/${ENV_NAME}/training/${ML_PROJECT}.tfstate`,
    ]);

    const [definition] = (await new BatchClient(aws()).send(new DescribeJobDefinitionsCommand({ jobDefinitions: [submitted.jobDefinition] }))).jobDefinitions ?? [];
    expect(definition.jobDefinitionName).toBe(`${ENDPOINT}-training`);
    expect(definition.platformCapabilities).toEqual(['FARGATE']);
    expect(definition.timeout).toEqual({ attemptDurationSeconds: 86400 });
    expect(definition.retryStrategy?.attempts).toBe(2);
    const container = definition.containerProperties!;
    expect(container.resourceRequirements).toEqual([
      { type: 'VCPU', value: '0.5' },
      { type: 'MEMORY', value: '2048' },
    ]);
    const names = sharedParameterNames({ project: PROJECT, envName: ENV_NAME });
    const parameters = (await serverResources()).ssm_values;
    expect([...(container.environment ?? [])].sort((a, b) => a.name!.localeCompare(b.name!))).toEqual([
      { name: 'MLFLOW_EXPERIMENT_NAME', value: ML_PROJECT },
      { name: 'MLFLOW_TRACKING_URI', value: server.trackingUri },
      { name: 'MLOPS_MLFLOW_CA_CERTIFICATE_BASE64', value: parameters[names.caCertificate] },
    ]);
    const credential = parameters[names.trainingCredentialSecretArn];
    expect(container.secrets).toEqual([
      { name: 'MLFLOW_TRACKING_USERNAME', valueFrom: `${credential}:username::` },
      { name: 'MLFLOW_TRACKING_PASSWORD', valueFrom: `${credential}:password::` },
    ]);
    expect(container.image).toMatch(new RegExp(`${ENDPOINT}-training:[0-9a-f]{16}$`));
    expect(container.logConfiguration?.options?.['awslogs-group']).toBe(`/aws/batch/${ENDPOINT}-training`);
    expect(container.networkConfiguration?.assignPublicIp).toBe('DISABLED');

    expect(await motoResourceNames(moto, `${ENDPOINT}-`)).toEqual([...fargateTrainingResources(ENDPOINT, definition.revision!), `iam-role ${ENDPOINT}-train-schedule`].sort());
  });

  it("applies wine's retraining schedule: Batch SubmitJob of exactly its queue and definition, and shows the next run", async () => {
    expect(submitted.schedule).toMatchObject({ name: `${ENDPOINT}-retrain`, expression: WINE_SCHEDULE, state: 'ENABLED' });
    const next = new Date(submitted.schedule.nextRun);
    expect(next.getUTCDay()).toBe(1);
    expect(next.toISOString()).toMatch(/T03:00:00\.000Z$/);
    expect(next.getTime() - Date.now()).toBeGreaterThan(0);
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(7 * 86_400_000);
    const schedule = await wineSchedule();
    expect(schedule).toMatchObject({ names: [`${ENDPOINT}-retrain`], expression: WINE_SCHEDULE, timezone: 'UTC', state: 'ENABLED', target: 'arn:aws:scheduler:::aws-sdk:batch:submitJob' });
    expect(schedule.input).toEqual({ JobName: 'scheduled-wine', JobQueue: expect.stringMatching(new RegExp(`:job-queue/${ENDPOINT}-training$`)), JobDefinition: submitted.jobDefinition });
    expect(schedule.policy.Statement).toEqual([{ Sid: 'SubmitThisJob', Effect: 'Allow', Action: 'batch:SubmitJob', Resource: [schedule.input.JobQueue, submitted.jobDefinition, expect.stringMatching(/^arn:aws:batch:eu-west-1:\d{12}:job\/\*$/)] }]);
    expect(schedule.trust.Statement[0]).toMatchObject({ Principal: { Service: 'scheduler.amazonaws.com' }, Condition: { ArnEquals: { 'aws:SourceArn': expect.stringMatching(new RegExp(`:schedule/default/${ENDPOINT}-retrain$`)) } } });
  });

  it("the job's command (the CA written to a file, then mlflow run) with its environment registers version 3; following the job looks it up in the published server, and says how when that server does not answer", async () => {
    const batch = new BatchClient(aws());
    const [job] = (await batch.send(new DescribeJobsCommand({ jobs: [submitted.jobId] }))).jobs ?? [];
    const [definition] = (await batch.send(new DescribeJobDefinitionsCommand({ jobDefinitions: [submitted.jobDefinition] }))).jobDefinitions ?? [];
    const command = job.container!.command!;
    expect(command).toEqual(withMlflowCaFile(['mlflow', 'run', '.', '--env-manager', 'local', '--experiment-name', ML_PROJECT, '--run-name', submitted.jobName]));
    // The container's working directory holds the project; its environment is the job definition's, but for the
    // server: the published one is moto's load balancer name, so the job reports to the test server instead.
    const jobEnvironment = Object.fromEntries((definition.containerProperties!.environment ?? []).map((variable) => [variable.name!, variable.value!]));
    const at = Date.now();
    const run = await execa(command[0], command.slice(1), {
      cwd: join(projectsDir, ML_PROJECT),
      env: pythonEnv({ ...jobEnvironment, MLFLOW_TRACKING_URI: mlflow.url }, { ...process.env, MLOPS_PYTHON_BIN: env.MLOPS_PYTHON_BIN }),
      reject: false,
      all: true,
    });
    stepSeconds['job command'] = Math.round((Date.now() - at) / 1000);
    if (run.exitCode !== 0) throw new Error(`the job's command failed:\n${run.all}`);
    expect((await registry().searchModelVersions(`name='${ML_PROJECT}'`)).map((version) => version.version).sort()).toEqual(['1', '2', '3']);

    // The job reported to the server the stack published, so the CLI looks its version up there (not in
    // MLFLOW_TRACKING_URI's): moto's load balancer name answers nothing, as AWS's does off the VPN.
    // Against a server that answers, the lookup is proven in training-job.test.ts.
    const followed = await step('training-job --job-id', ['training-job', '--project', ML_PROJECT, '--job-id', submitted.jobId]);
    expect(followed.stderr).toMatch(/\[\d+s\] SUCCEEDED/);
    expectExit(followed, 1);
    expect(followed.stderr).toContain(`SUCCEEDED, but its model version cannot be looked up: cannot reach the MLflow server at ${server.trackingUri}`);
    expect(followed.stderr).toContain(`run: mlops training-job --project ${ML_PROJECT} --job-id ${submitted.jobId}`);
  });

  it('deployment-job refuses an unknown version, and an estimate above --max-monthly-usd, before anything is created', async () => {
    const unknown = await deploy('deployment-job model=9', '--model', '9');
    expectExit(unknown, 2);
    expect(unknown.stderr).toContain(`model "${ML_PROJECT}" has no version 9 (it has versions 1, 2, 3)`);
    const refused = await deploy('deployment-job over budget', '--model', '1', '--max-monthly-usd', '1');
    expectExit(refused, 2);
    // The configuration's name is known only after apply (its release id), so the line names its kind.
    expect(refused.stderr).toMatch(/\+ \$45\.26\/month {2}SageMaker endpoint configuration: primary \(production\) 1 × ml\.t2\.medium × 730 h × \$0\.062/);
    expect(refused.stderr).toContain('Stack total: $48.46/month (+$48.46/month)');
    expect(refused.stderr).toContain(`refusing to apply: the deployment stack of ${ML_PROJECT} would cost an estimated $48.46/month, more than --max-monthly-usd 1; nothing was applied`);
    expect((await stateObjects()).filter((key) => key.includes('/deployment/'))).toEqual([]);
    const repositories = (await new ECRClient(aws()).send(new DescribeRepositoriesCommand({}))).repositories ?? [];
    expect(repositories.map((repository) => repository.repositoryName).filter((name) => name!.startsWith(`${ENDPOINT}-serving`))).toEqual([]);
  });

  it('deployment-job model=1 serves version 1 in the private subnets within --max-monthly-usd, capturing into the artifact bucket, smoke-tested, with the dashboard URL', async () => {
    const result = await deploy('deployment-job model=1', '--model', '1', '--max-monthly-usd', '50');
    expect(result.stderr).toContain('image build skipped');
    expectExit(result, 0);
    expect(result.stderr).toContain(`Within --max-monthly-usd 50: the deployment stack of ${ML_PROJECT} is estimated at $48.46/month; checked before anything is applied.`);
    expect(result.stderr).toContain('Estimated cost in eu-west-1');
    expect(result.stderr).toContain('Not counted: data transfer');
    const output = JSON.parse(result.stdout);
    expect(output.cost.monthlyUsd).toBeCloseTo(ENDPOINT_MONTHLY, 6);
    expect(output).toMatchObject({ version: '1', endpoint: ENDPOINT, imageAction: 'skipped', smokeTest: PREDICTIONS });
    expect(output.plan.add).toBeGreaterThan(10);
    expect(output.image).toMatch(new RegExp(`/${ENDPOINT}-serving:v1-[0-9a-f]{16}$`));
    expect(result.stderr).toContain(`Dashboard: https://${TEST_REGION}.console.aws.amazon.com/cloudwatch/home?region=${TEST_REGION}#dashboards/dashboard/${ENDPOINT}-endpoint`);
    expect(result.stderr).toMatch(/is InService/);
    const endpoint = await new SageMakerClient(aws()).send(new DescribeEndpointCommand({ EndpointName: ENDPOINT }));
    expect(endpoint.EndpointStatus).toBe('InService');
    expect(endpoint.EndpointConfigName).toMatch(new RegExp(`^${ENDPOINT}-v1-[0-9a-f]{6}$`));
    servedConfig = endpoint.EndpointConfigName!;
    expect(endpoint.DataCaptureConfig?.DestinationS3Uri).toBe(`s3://${String(server.outputs.artifact_bucket)}/deployments/${ML_PROJECT}/data-capture`);
  });

  it('leaves a dashboard and rollback alarms that name the endpoint, publishes the run metrics and training baseline, and tags the version in MLflow', async () => {
    const cloudwatch = new CloudWatchClient(aws());
    const dashboard = await cloudwatch.send(new GetDashboardCommand({ DashboardName: `${ENDPOINT}-endpoint` }));
    const body = JSON.parse(dashboard.DashboardBody ?? '{}');
    const metrics = body.widgets.flatMap((widget: { properties: { metrics?: unknown[][] } }) => widget.properties.metrics ?? []);
    expect(metrics).toContainEqual(expect.arrayContaining(['AWS/SageMaker', 'ModelLatency', 'EndpointName', ENDPOINT]));
    expect(metrics).toContainEqual(expect.arrayContaining([NAMESPACE, 'accuracy', 'Project', ML_PROJECT, 'Version', '1']));
    expect(metrics).toContainEqual(expect.arrayContaining([NAMESPACE, 'FeatureMean', 'Feature', 'alcohol', 'Source', 'captured']));
    const alarms = (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: ENDPOINT }))).MetricAlarms ?? [];
    expect(alarms.map((alarm) => alarm.MetricName).sort()).toEqual(['Invocation5XXErrors', 'ModelLatency']);
    for (const alarm of alarms) expect(alarm.Dimensions).toContainEqual({ Name: 'EndpointName', Value: ENDPOINT });
    const alarmWidget = body.widgets.find((widget: { type: string }) => widget.type === 'alarm');
    expect(alarmWidget.properties.alarms).toEqual(expect.arrayContaining(alarms.map((alarm) => alarm.AlarmArn)));

    const listed = await cloudwatch.send(new ListMetricsCommand({ Namespace: NAMESPACE }));
    const names = (listed.Metrics ?? []).map((metric) => `${metric.MetricName}:${metric.Dimensions?.map((d) => `${d.Name}=${d.Value}`).join(',')}`);
    expect(names).toContain(`accuracy:Project=${ML_PROJECT},Version=1`);
    expect(names).toContain(`f1_macro:Project=${ML_PROJECT},Version=1`);
    expect(names).toContain(`FeatureMean:Project=${ML_PROJECT},Version=1,Feature=alcohol,Source=baseline`);

    const version = await registry().modelVersion(ML_PROJECT, '1');
    const tags = Object.fromEntries((version?.tags ?? []).map((tag) => [tag.key, tag.value]));
    expect(tags[`mlops.deployment.${PREFIX}.endpoint`]).toBe(ENDPOINT);
    expect(tags[`mlops.deployment.${PREFIX}.environment`]).toBe(ENV_NAME);
    expect(Date.parse(tags[`mlops.deployment.${PREFIX}.deployed_at`])).toBeGreaterThan(Date.now() - 3_600_000);
  });

  it('deployment-job model=1 again changes nothing, and with AWS_REGION naming another region every call still lands in TF_VAR_region', async () => {
    const other = 'us-west-2';
    const result = await step('deployment-job model=1 again', ['deployment-job', '--project', ML_PROJECT, '--image-build', 'skip', '--json', '--model', '1'], { AWS_REGION: other, AWS_DEFAULT_REGION: other });
    expectExit(result, 0);
    // ECR (DescribeRepositories, DescribeImages), SageMaker (DescribeEndpoint, InvokeEndpoint) and
    // CloudWatch (PutMetricData) all found and wrote the eu-west-1 resources: nothing exists in the other region.
    expect(JSON.parse(result.stdout)).toMatchObject({ endpoint: ENDPOINT, plan: { add: 0, change: 0, destroy: 0 } });
    expect(result.stderr).toContain('No changes');
    expect(result.stderr).toContain('4 unchanged: $48.46/month');
    expect((await new SageMakerClient(aws()).send(new DescribeEndpointCommand({ EndpointName: ENDPOINT }))).EndpointConfigName).toBe(servedConfig);
    const inOther = { ...aws(), region: other };
    expect((await new SageMakerClient(inOther).send(new ListEndpointsCommand({}))).Endpoints).toEqual([]);
    expect((await new ECRClient(inOther).send(new DescribeRepositoriesCommand({}))).repositories).toEqual([]);
    expect((await new CloudWatchClient(inOther).send(new ListMetricsCommand({ Namespace: NAMESPACE }))).Metrics).toEqual([]);
  });

  it('mlops cost prices every applied stack from its state and lists the stacks without one', async () => {
    const result = await step('cost', ['cost', '--json']);
    expectExit(result, 0);
    const cost = JSON.parse(result.stdout);
    expect(cost).toMatchObject({ environment: PREFIX, region: TEST_REGION, currency: 'USD' });
    const byStack = Object.fromEntries(cost.stacks.map((stack: { stack: string; estimate?: { monthlyUsd: number } }) => [stack.stack, stack.estimate?.monthlyUsd ?? null]));
    expect(Object.keys(byStack).sort()).toEqual(['deployment/other', 'deployment/wine', 'mlflow-server', 'training/other', 'training/wine']);
    expect(byStack[`deployment/${ML_PROJECT}`]).toBeCloseTo(ENDPOINT_MONTHLY, 6);
    expect(byStack['mlflow-server']).toBeCloseTo(server.monthlyUsd, 6);
    expect(byStack[`deployment/${OTHER}`]).toBeNull();
    expect(cost.monthlyUsd).toBeCloseTo(Object.values(byStack).reduce((total: number, usd) => total + ((usd as number | null) ?? 0), 0), 6);
    const text = await step('cost (text)', ['cost']);
    expect(text.stdout).toContain(`deployment/${ML_PROJECT}: $48.46/month`);
    expect(text.stdout).toContain(`deployment/${OTHER}: not applied (no state)`);
    expect(text.stdout).toContain(`Environment total: $${cost.monthlyUsd.toFixed(2)}/month`);
  });

  it('deployment-job model=2 --plan-only plans an in-place update of the endpoint with a new model and configuration', async () => {
    const result = await deploy('deployment-job model=2 --plan-only', '--model', '2', '--plan-only');
    expectExit(result, 0);
    const { plan } = JSON.parse(result.stdout);
    expect(plan.updateInPlace).toEqual(expect.arrayContaining([expect.stringMatching(/^aws_sagemaker_endpoint\./)]));
    expect(plan.replace.filter((address: string) => address.startsWith('aws_sagemaker_endpoint.'))).toEqual([]);
    expect(plan.replace).toEqual(expect.arrayContaining([expect.stringMatching(/^aws_sagemaker_model\./), expect.stringMatching(/^aws_sagemaker_endpoint_configuration\./)]));
    expect(result.stderr).toContain('The endpoint is updated in place (blue/green, no downtime)');
    expect((await new SageMakerClient(aws()).send(new DescribeEndpointCommand({ EndpointName: ENDPOINT }))).EndpointConfigName).toBe(servedConfig);
  });

  it('deployment-job model=2 --shadow --plan-only plans a shadow beside version 1: its own model and a new release of the configuration, the endpoint updated in place', async () => {
    const result = await deploy('deployment-job model=2 --shadow --plan-only', '--model', '2', '--shadow', '--plan-only');
    expectExit(result, 0);
    const output = JSON.parse(result.stdout);
    expect(output).toMatchObject({ version: '2', shadowOf: '1', planOnly: true });
    const { plan } = output;
    expect(plan.updateInPlace).toEqual(expect.arrayContaining([expect.stringMatching(/^aws_sagemaker_endpoint\./)]));
    // A new release (its id names models and configuration): the configuration, and the serving version's model
    // re-created with the same arguments under the new name (a blue/green update brings up every variant's fleet anyway).
    expect([...plan.replace].sort()).toEqual([
      expect.stringMatching(/^aws_sagemaker_endpoint_configuration\./),
      expect.stringMatching(/^aws_sagemaker_model\.endpoint_model_/),
      expect.stringMatching(/^terraform_data\.endpoint_release_/),
    ]);
    // Created besides: the shadow's model and its release record.
    expect(plan.add).toBe(5);
    expect(plan.destroy).toBe(3);
    expect(result.stderr).toContain('as a shadow beside version 1');
    expect((await new SageMakerClient(aws()).send(new DescribeEndpointCommand({ EndpointName: ENDPOINT }))).EndpointConfigName).toBe(servedConfig);
  });

  it('promote without a shadow is refused (exit 2), and shadow-rm has nothing to do', async () => {
    const promote = await step('promote', ['promote', '--project', ML_PROJECT]);
    expectExit(promote, 2);
    expect(promote.stderr).toContain(`${ML_PROJECT}'s endpoint serves version 1 and runs no shadow to promote: deploy one first (make deployment-job project=${ML_PROJECT} model=N shadow=true)`);
    const removed = await step('shadow-rm', ['shadow-rm', '--project', ML_PROJECT, '--json']);
    expectExit(removed, 0);
    expect(JSON.parse(removed.stdout)).toEqual({ project: ML_PROJECT, removed: null });
    expect(removed.stderr).toContain(`Nothing to remove: ${ML_PROJECT} serves version 1 without a shadow`);
  });

  it('deployment-job model=@alias deploys the version the alias names (the served one: moto has no UpdateEndpoint)', async () => {
    await registry().setModelAlias(ML_PROJECT, 'champion', '1');
    const result = await deploy('deployment-job model=@champion', '--model', '@champion');
    expectExit(result, 0);
    expect(JSON.parse(result.stdout)).toMatchObject({ version: '1', modelUri: `models:/${ML_PROJECT}/1`, plan: { add: 0, change: 0, destroy: 0 } });
  });

  it('monitor compares captured requests with the training baseline and publishes both', async () => {
    const request = JSON.stringify({ dataframe_split: { columns: ['alcohol', 'hue'], data: [[13.0, 1.0], [15.0, 1.2]] } });
    const line = JSON.stringify({ captureData: { endpointInput: { observedContentType: 'application/json', mode: 'INPUT', data: request, encoding: 'JSON' } } });
    const key = `deployments/${ML_PROJECT}/data-capture/${ENDPOINT}/primary/2026/01/01/00/capture.jsonl`;
    await s3.send(new PutObjectCommand({ Bucket: String(server.outputs.artifact_bucket), Key: key, Body: `${line}\n` }));
    const result = await step('monitor', ['monitor', '--project', ML_PROJECT, '--json']);
    expectExit(result, 0);
    const output = JSON.parse(result.stdout);
    expect(output).toMatchObject({ endpoint: ENDPOINT, version: '1', files: 1, requests: 1, rows: 2 });
    const alcohol = output.features.find((feature: { feature: string }) => feature.feature === 'alcohol');
    expect(alcohol.captured.mean).toBe(14);
    expect(alcohol.baseline.mean).toBeGreaterThan(12);
    const listed = await new CloudWatchClient(aws()).send(new ListMetricsCommand({ Namespace: NAMESPACE, MetricName: 'FeatureMean' }));
    expect(listed.Metrics?.map((metric) => metric.Dimensions?.find((d) => d.Name === 'Source')?.Value)).toContain('captured');
  });

  it("monitor compares a shadow's answers with production's on the same captured requests and publishes the agreement", async () => {
    // moto lacks UpdateEndpoint, so the shadow rollout planned above cannot be applied here: the
    // endpoint gets the tag that rollout sets, and each variant the capture files SageMaker writes.
    const sagemaker = new SageMakerClient(aws());
    const { EndpointArn } = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: ENDPOINT }));
    await sagemaker.send(new AddTagsCommand({ ResourceArn: EndpointArn, Tags: [{ Key: 'shadow-model-version', Value: '2' }] }));
    const request = (row: number[]) => JSON.stringify({ dataframe_split: { columns: ['alcohol', 'hue'], data: [row] } });
    const line = (id: string, row: number[], prediction: number) =>
      JSON.stringify({
        captureData: {
          endpointInput: { observedContentType: 'application/json', mode: 'INPUT', data: request(row), encoding: 'JSON' },
          endpointOutput: { observedContentType: 'application/json', mode: 'OUTPUT', data: JSON.stringify({ predictions: [prediction] }), encoding: 'JSON' },
        },
        eventMetadata: { eventId: id, inferenceTime: '2026-01-01T00:00:00Z' },
      });
    const put = (variant: string, lines: string[]) =>
      s3.send(new PutObjectCommand({ Bucket: String(server.outputs.artifact_bucket), Key: `deployments/${ML_PROJECT}/data-capture/${ENDPOINT}/${variant}/2026/01/01/01/answers.jsonl`, Body: `${lines.join('\n')}\n` }));
    await put('primary', [line('p1', [13, 1], 0), line('p2', [14, 1], 1), line('p3', [12, 1], 2), line('p4', [11, 1], 1)]);
    await put('shadow', [line('s1', [13, 1], 0), line('s2', [14, 1], 2), line('s3', [12, 1], 2), line('s4', [11, 1], 1)]);
    try {
      const result = await step('monitor (shadow)', ['monitor', '--project', ML_PROJECT, '--json']);
      expectExit(result, 0);
      expect(JSON.parse(result.stdout).shadow).toMatchObject({ version: '2', requests: 4, unpaired: 0, comparison: { kind: 'classification', agreementPercent: 75, predictions: 4 } });
      expect(result.stderr).toContain('Shadow version 2 against version 1: agree on 75% of 4 predictions on 4 requests');
      const listed = await new CloudWatchClient(aws()).send(new ListMetricsCommand({ Namespace: NAMESPACE, MetricName: 'ShadowAgreementPercent' }));
      expect(listed.Metrics?.map((metric) => metric.Dimensions)).toEqual([
        [
          { Name: 'Project', Value: ML_PROJECT },
          { Name: 'Version', Value: '2' },
          { Name: 'ProductionVersion', Value: '1' },
        ],
      ]);
    } finally {
      await sagemaker.send(new DeleteTagsCommand({ ResourceArn: EndpointArn, TagKeys: ['shadow-model-version'] }));
    }
  });

  it('mlflow-server run a third time, with training and deployment stacks in its network, still changes nothing', async () => {
    await expectServerUnchanged('mlflow-server third');
  });

  it('deployment-job-rm leaves nothing of the deployment behind, and a second -rm has nothing to do', async () => {
    expectExit(await step('deployment-job-rm', ['deployment-job-rm', '--project', ML_PROJECT]), 0);
    expect(await deploymentLeftovers()).toEqual({ endpoints: [], endpointConfigs: [], models: [], repositories: [], roles: [], securityGroups: [], alarms: [], dashboards: [], logGroups: [], buckets: [] });
    const again = await step('deployment-job-rm again', ['deployment-job-rm', '--project', ML_PROJECT]);
    expectExit(again, 0);
    expect(again.stderr).toContain('Nothing to remove');
  });

  describe('sync follows the @dev alias of every ML project', () => {
    beforeAll(async () => {
      // The other project: a registered model (wine's files) that has versions but no @dev.
      const client = registry();
      const v1 = await client.modelVersion(ML_PROJECT, '1');
      await client.call('POST', 'registered-models/create', { name: OTHER });
      await client.call('POST', 'model-versions/create', { name: OTHER, source: v1!.source, run_id: v1!.run_id, model_id: v1!.source.replace(/^models:\//, '') });
      await client.setModelAlias(OTHER, 'prod', '1');
      await client.setModelAlias(ML_PROJECT, 'dev', '2');
    });

    it("rolls out @dev's version where the endpoint serves none, and never touches the project without @dev", async () => {
      const result = await step('sync', ['sync', '--image-build', 'skip']);
      expectExit(result, 0);
      expect(result.stdout.trim().split('\n')).toEqual([`${OTHER}  skipped     no alias @dev`, `${ML_PROJECT}   rolled out  version 2 (was not deployed)`]);
      const sagemaker = new SageMakerClient(aws());
      const endpoint = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: ENDPOINT }));
      expect(endpoint.EndpointStatus).toBe('InService');
      expect(endpoint.EndpointConfigName).toMatch(new RegExp(`^${ENDPOINT}-v2-`));
      expect((await sagemaker.send(new ListEndpointsCommand({}))).Endpoints?.map((found) => found.EndpointName)).toEqual([ENDPOINT]);
    });

    it('a second sync finds every endpoint in step and changes nothing', async () => {
      const result = await step('sync again', ['sync', '--image-build', 'skip', '--json']);
      expectExit(result, 0);
      expect(JSON.parse(result.stdout)).toEqual({
        alias: 'dev',
        projects: [
          { project: OTHER, result: 'skipped', detail: 'no alias @dev' },
          { project: ML_PROJECT, result: 'unchanged', version: '2' },
        ],
      });
      expect(result.stderr).not.toContain('rolling out');
    });
  });

  it('deployment-job-rm removes the synced deployment', async () => {
    expectExit(await step('deployment-job-rm after sync', ['deployment-job-rm', '--project', ML_PROJECT]), 0);
    expect(await deploymentLeftovers()).toEqual({ endpoints: [], endpointConfigs: [], models: [], repositories: [], roles: [], securityGroups: [], alarms: [], dashboards: [], logGroups: [], buckets: [] });
  });

  it('training-job-rm leaves nothing of the project behind and touches nothing of the other project; a second -rm has nothing to do', async () => {
    const otherKey = `${PROJECT}/${ENV_NAME}/training/${OTHER}.tfstate`;
    const otherState = await stateBody(otherKey);
    const otherResources = await motoResourceNames(moto, `${PREFIX}-${OTHER}-`);
    expect(otherResources).toContain(`ecr-repository ${PREFIX}-${OTHER}-training`);
    expect(otherResources).toHaveLength(9);
    const removed = await step('training-job-rm', ['training-job-rm', '--project', ML_PROJECT, '--json']);
    expectExit(removed, 0);
    expect(JSON.parse(removed.stdout).destroyed).toBeGreaterThan(10);
    expect(await motoResourceNames(moto, `${ENDPOINT}-`)).toEqual([]);
    expect(await wineSchedule()).toEqual({ names: [] });
    expect(JSON.parse(await stateBody(`${PROJECT}/${ENV_NAME}/training/${ML_PROJECT}.tfstate`)).resources).toEqual([]);
    expect(await stateBody(otherKey)).toBe(otherState);
    expect(await motoResourceNames(moto, `${PREFIX}-${OTHER}-`)).toEqual(otherResources);
    const again = await step('training-job-rm again', ['training-job-rm', '--project', ML_PROJECT]);
    expectExit(again, 0);
    expect(again.stderr).toContain('Nothing to remove');
  });

  it('training-job-rm removes the other project too', async () => {
    expectExit(await step('training-job-rm other', ['training-job-rm', '--project', OTHER]), 0);
    expect(await motoResourceNames(moto, `${PREFIX}-${OTHER}-`)).toEqual([]);
  });

  it('mlflow-server-rm refuses a database under deletion protection before destroying anything, then removes every resource of the stack', async () => {
    const held = await serverResources();
    const refused = await step('mlflow-server-rm refused', ['mlflow-server-rm', '--yes'], { MLOPS_SETTINGS_FILE: join(work, 'protected.json') });
    expectExit(refused, 2);
    expect(refused.stderr).toContain(`the database ${PREFIX}-mlflow has deletion protection (mlflow_server.db_deletion_protection is true`);
    expect(await serverResources()).toEqual(held);

    const result = await step('mlflow-server-rm', ['mlflow-server-rm', '--json']); // CI=true in runCli: no question asked
    expectExit(result, 0);
    // Every resource of both applies, the image repository too; the CA's and the load balancer certificate's objects.
    expect(JSON.parse(result.stdout)).toEqual({ destroyed: SERVER_RESOURCES, vpnObjectsRemoved: 2 });
    const after = await serverResources();
    expect(nonEmpty(after)).toEqual({});
    expect(after.moto_kept_nat_gateway_interfaces).toHaveLength(1); // the one NAT gateway's, see the top of this file
  });

  it('leaves the emulator holding exactly what it held before the first step; only the state bucket has new objects, and no lock', async () => {
    const after = await everything('inventory after');
    const text = (value: unknown) => JSON.stringify(value);
    const seen = (key: string, answer: unknown) => (key in RETAINED ? RETAINED[key].drop(answer as Answer, after as Record<string, Answer>) : answer);
    const changed = [...new Set([...Object.keys(before), ...Object.keys(after)])]
      .filter((key) => text(seen(key, before[key])) !== text(seen(key, after[key])))
      .map((key) => ({ key, before: before[key], after: after[key] }));
    expect(changed).toEqual([]);
    const objects = await stateObjects();
    expect(objects.filter((key) => key.endsWith('.tflock'))).toEqual([]);
    expect(objects).toEqual([
      `${PROJECT}/${ENV_NAME}/deployment/${ML_PROJECT}.tfstate`,
      `${PROJECT}/${ENV_NAME}/mlflow-server.tfstate`,
      `${PROJECT}/${ENV_NAME}/training/${OTHER}.tfstate`,
      `${PROJECT}/${ENV_NAME}/training/${ML_PROJECT}.tfstate`,
    ]);
  });
});
