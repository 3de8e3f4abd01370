import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchClient, DescribeAlarmsCommand, GetDashboardCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { DescribeEndpointCommand, ListEndpointsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { execa } from 'execa';
import { MlflowClient } from '../../cli/effects/mlflow.js';
import { repoRoot } from '../../cli/paths.js';
import { runCli } from '../harness/cli.js';
import { startTestMlflowServer, type TestMlflowServer } from '../harness/mlflow.js';
import { startTestMoto, TEST_REGION, type TestMoto } from '../harness/moto.js';
import { requireTool, toolchainEnv } from '../harness/toolchain.js';
import { startCloudWatchBridge } from './deployment-cloudwatch-bridge.js';

const STATE_BUCKET = 'mlops-test-state';
const PROJECT = 'test-project';
const ENDPOINT = `test-dev-${PROJECT}`;
const NAMESPACE = 'LeanMLOps/test-dev';
const PREDICTIONS = '{"predictions": [0, 1, 2, 0, 1]}';

/**
 * What the emulator cannot show through the Node SDKs the project installs (EC2, IAM): a VPC for the
 * endpoint, and after `-rm` everything that still carries the deployment's name. boto3 comes with moto.
 */
const MOTO_SCRIPT = `
import json, sys, boto3
endpoint, region, command = sys.argv[1:4]
kw = dict(endpoint_url=endpoint, region_name=region, aws_access_key_id='testing', aws_secret_access_key='testing')
if command == 'network':
    ec2 = boto3.client('ec2', **kw)
    vpc = ec2.create_vpc(CidrBlock='10.20.0.0/16')['Vpc']['VpcId']
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock='10.20.%d.0/24' % i, AvailabilityZone=region + az)['Subnet']['SubnetId'] for i, az in enumerate('ab')]
    print(json.dumps({'vpcId': vpc, 'subnetIds': subnets}))
elif command == 'leftovers':
    prefix = sys.argv[4]
    sm = boto3.client('sagemaker', **kw)
    cw = boto3.client('cloudwatch', **kw)
    found = {
        'endpoints': [e['EndpointName'] for e in sm.list_endpoints()['Endpoints']],
        'endpointConfigs': [c['EndpointConfigName'] for c in sm.list_endpoint_configs()['EndpointConfigs']],
        'models': [m['ModelName'] for m in sm.list_models()['Models']],
        'repositories': [r['repositoryName'] for r in boto3.client('ecr', **kw).describe_repositories()['repositories']],
        'roles': [r['RoleName'] for r in boto3.client('iam', **kw).list_roles()['Roles']],
        'securityGroups': [g['GroupName'] for g in boto3.client('ec2', **kw).describe_security_groups()['SecurityGroups']],
        'alarms': [a['AlarmName'] for a in cw.describe_alarms()['MetricAlarms']],
        'dashboards': [d['DashboardName'] for d in cw.list_dashboards()['DashboardEntries']],
        'logGroups': [g['logGroupName'] for g in boto3.client('logs', **kw).describe_log_groups()['logGroups']],
        'buckets': [b['Name'] for b in boto3.client('s3', **kw).list_buckets()['Buckets']],
    }
    print(json.dumps({kind: [name for name in names if prefix in name] for kind, names in found.items()}))
`;

/**
 * `deployment-job` and `deployment-job-rm` through the built CLI, against the moto emulator, a real
 * MLflow server and OpenTofu. The settings name the test MLflow server (tracking_uri), so the stack
 * does not read the MLflow server stack's SSM parameters (that stack is not applied here): the
 * endpoint goes into a VPC created in the emulator and named in the settings, as a team with its own
 * MLflow server would name its VPC, and the deployment keeps its data in a bucket of its own.
 *
 * Every run leaves AWS_REGION unset (the CLI's clients take TF_VAR_region), and one sets it to another
 * region to show that no call follows it.
 * Every run passes `--image-build skip`: moto cannot store image layers, so the serving image is
 * generated and tagged but not pushed to its ECR (moto's SageMaker does not pull images, so the
 * endpoint still reaches InService); test/integration/container-images.test.ts builds that image from
 * MLflow's Dockerfile, pushes it to a real registry and calls it as SageMaker does. moto also lacks UpdateEndpoint, so a
 * rollout to version 2 is proven by its plan (`--plan-only`): the endpoint updated in place.
 * Where moto keeps less than AWS (an endpoint's DeploymentConfig, a model's network isolation,
 * bucket tags) or cannot evaluate a TLS-only bucket policy, the CLI writes an emulator override
 * (EMULATOR_GAPS in cli/effects/terraform.ts); the Terraform JSON itself is the one AWS gets.
 *
 * After the removal, `sync` runs over two projects (a second registered model without @dev): it
 * rolls out @dev's version on the now empty endpoint, and a second sync changes nothing.
 */
describe('deployment-job against moto and a real MLflow server', () => {
  let moto: TestMoto;
  let mlflow: TestMlflowServer;
  let bridge: Awaited<ReturnType<typeof startCloudWatchBridge>>;
  let env: Record<string, string | undefined>;
  let tools: Record<string, string>;
  const workDir = mkdtempSync(join(tmpdir(), 'mlops-deployment-it-'));
  const aws = () => ({ endpoint: moto.endpoint, region: TEST_REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  const motoPython = async (...args: string[]) => {
    const result = await execa(join(tools.MLOPS_PYTHON_BIN, 'python'), ['-c', MOTO_SCRIPT, moto.endpoint, TEST_REGION, ...args]);
    return JSON.parse(result.stdout);
  };
  const deploy = (...args: string[]) => runCli(['deployment-job', '--project', PROJECT, '--image-build', 'skip', '--json', ...args], env);

  beforeAll(async () => {
    tools = toolchainEnv();
    requireTool(tools, 'MLOPS_PYTHON_BIN');
    requireTool(tools, 'MLOPS_TERRAFORM_BIN');
    [moto, mlflow] = await Promise.all([startTestMoto(), startTestMlflowServer()]);
    bridge = await startCloudWatchBridge(moto.endpoint);

    // Version 1: the test project's own training run (about 20 s); version 2: the same run registered again.
    const train = await execa(join(tools.MLOPS_PYTHON_BIN, 'python'), [join(repoRoot, 'ml-projects', PROJECT, 'train.py')], {
      env: { ...process.env, MLFLOW_TRACKING_URI: mlflow.url, MLFLOW_EXPERIMENT_NAME: PROJECT },
      reject: false,
      all: true,
    });
    if (train.exitCode !== 0) throw new Error(`training failed:\n${train.all}`);
    const client = new MlflowClient(mlflow.url);
    const v1 = await client.modelVersion(PROJECT, '1');
    // MLflow 3 sources a version from a logged model (`models:/m-…`), which a new version must name.
    const modelId = v1!.source.replace(/^models:\//, '');
    await client.call('POST', 'model-versions/create', { name: PROJECT, source: v1!.source, run_id: v1!.run_id, model_id: modelId });

    await new S3Client({ ...aws(), forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: STATE_BUCKET, CreateBucketConfiguration: { LocationConstraint: TEST_REGION } }));
    const network = await motoPython('network');
    // The smoke test's answer: moto's InvokeEndpoint returns what its results queue holds.
    await fetch(`${moto.endpoint}/moto-api/static/sagemaker/endpoint-results`, {
      method: 'POST',
      body: JSON.stringify({ region: TEST_REGION, results: [{ Body: PREDICTIONS, ContentType: 'application/json', InvokedProductionVariant: 'primary', CustomAttributes: '' }] }),
    });

    const settingsFile = join(workDir, 'settings.json');
    writeFileSync(settingsFile, JSON.stringify({ tracking_uri: mlflow.url, deployment: { vpc_id: network.vpcId, subnet_ids: network.subnetIds } }));
    env = {
      ...tools,
      ...moto.env,
      // The provider speaks CBOR to CloudWatch, which moto does not: see deployment-cloudwatch-bridge.ts.
      AWS_ENDPOINT_URL_CLOUDWATCH: bridge.endpoint,
      TF_VAR_state_bucket_name: STATE_BUCKET,
      TF_VAR_region: TEST_REGION,
      TF_VAR_project: 'test',
      TF_VAR_env_name: 'dev',
      MLOPS_SETTINGS_FILE: settingsFile,
      MLOPS_OUTDIR: join(workDir, 'cdktf.out'),
      MLOPS_POLL_SECONDS: '1',
      MLFLOW_TRACKING_URI: '',
      // The CLI takes its region from TF_VAR_region alone: no SDK region is set (see the region test below).
      AWS_REGION: undefined,
      AWS_DEFAULT_REGION: undefined,
    };
  }, 300_000);

  afterAll(async () => {
    await Promise.all([moto?.stop(), mlflow?.stop(), bridge?.stop()]);
    rmSync(workDir, { recursive: true, force: true });
  });

  it('refuses an unknown version before anything is created', async () => {
    const result = await deploy('--model', '9');
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('model "test-project" has no version 9 (it has versions 1, 2)');
    const state = await new S3Client({ ...aws(), forcePathStyle: true }).send(new ListObjectsV2Command({ Bucket: STATE_BUCKET }));
    expect(state.Contents ?? []).toEqual([]);
  });

  it('deploys version 1 from empty, smoke-tests it and prints the dashboard URL', async () => {
    const result = await deploy('--model', '1');
    expect(result.stderr).toContain('image build skipped');
    expect(result.exitCode).toBe(0);
    const output = JSON.parse(result.stdout);
    expect(output).toMatchObject({ version: '1', endpoint: ENDPOINT, imageAction: 'skipped', smokeTest: PREDICTIONS });
    expect(output.plan.add).toBeGreaterThan(10);
    expect(output.image).toMatch(new RegExp(`/${ENDPOINT}-serving:v1-[0-9a-f]{16}$`));
    expect(result.stderr).toContain(`Dashboard: https://${TEST_REGION}.console.aws.amazon.com/cloudwatch/home?region=${TEST_REGION}#dashboards/dashboard/${ENDPOINT}-endpoint`);
    expect(result.stderr).toMatch(/is InService/);
    const endpoint = await new SageMakerClient(aws()).send(new DescribeEndpointCommand({ EndpointName: ENDPOINT }));
    expect(endpoint.EndpointStatus).toBe('InService');
    expect(endpoint.EndpointConfigName).toMatch(new RegExp(`^${ENDPOINT}-v1-[0-9a-f]{6}$`));
  }, 900_000);

  it('leaves a dashboard and rollback alarms that name the endpoint', async () => {
    const cloudwatch = new CloudWatchClient(aws());
    const dashboard = await cloudwatch.send(new GetDashboardCommand({ DashboardName: `${ENDPOINT}-endpoint` }));
    const body = JSON.parse(dashboard.DashboardBody ?? '{}');
    const metrics = body.widgets.flatMap((widget: { properties: { metrics?: unknown[][] } }) => widget.properties.metrics ?? []);
    expect(metrics).toContainEqual(expect.arrayContaining(['AWS/SageMaker', 'ModelLatency', 'EndpointName', ENDPOINT]));
    expect(metrics).toContainEqual(expect.arrayContaining([NAMESPACE, 'accuracy', 'Project', PROJECT, 'Version', '1']));
    expect(metrics).toContainEqual(expect.arrayContaining([NAMESPACE, 'FeatureMean', 'Feature', 'alcohol', 'Source', 'captured']));
    const alarms = (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: ENDPOINT }))).MetricAlarms ?? [];
    expect(alarms.map((alarm) => alarm.MetricName).sort()).toEqual(['Invocation5XXErrors', 'ModelLatency']);
    for (const alarm of alarms) expect(alarm.Dimensions).toContainEqual({ Name: 'EndpointName', Value: ENDPOINT });
    const alarmWidget = body.widgets.find((widget: { type: string }) => widget.type === 'alarm');
    expect(alarmWidget.properties.alarms).toEqual(expect.arrayContaining(alarms.map((alarm) => alarm.AlarmArn)));
  });

  it("publishes the version's run metrics and training baseline to the custom namespace", async () => {
    const listed = await new CloudWatchClient(aws()).send(new ListMetricsCommand({ Namespace: NAMESPACE }));
    const names = (listed.Metrics ?? []).map((metric) => `${metric.MetricName}:${metric.Dimensions?.map((d) => `${d.Name}=${d.Value}`).join(',')}`);
    expect(names).toContain(`accuracy:Project=${PROJECT},Version=1`);
    expect(names).toContain(`f1_macro:Project=${PROJECT},Version=1`);
    expect(names).toContain(`FeatureMean:Project=${PROJECT},Version=1,Feature=alcohol,Source=baseline`);
  });

  it('tags the version in MLflow with endpoint, environment and time', async () => {
    const version = await new MlflowClient(mlflow.url).modelVersion(PROJECT, '1');
    const tags = Object.fromEntries((version?.tags ?? []).map((tag) => [tag.key, tag.value]));
    expect(tags['mlops.deployment.test-dev.endpoint']).toBe(ENDPOINT);
    expect(tags['mlops.deployment.test-dev.environment']).toBe('dev');
    expect(Date.parse(tags['mlops.deployment.test-dev.deployed_at'])).toBeGreaterThan(Date.now() - 3_600_000);
  });

  it('changes nothing when the same version is deployed again', async () => {
    const result = await deploy('--model', '1');
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout).plan).toMatchObject({ add: 0, change: 0, destroy: 0 });
    expect(result.stderr).toContain('No changes');
  }, 900_000);

  it('with AWS_REGION naming another region, every call still lands in TF_VAR_region', async () => {
    const other = 'us-west-2';
    const elsewhere = await runCli(['deployment-job', '--project', PROJECT, '--image-build', 'skip', '--json', '--model', '1'], { ...env, AWS_REGION: other, AWS_DEFAULT_REGION: other });
    expect(elsewhere.exitCode).toBe(0);
    // ECR (DescribeRepositories, DescribeImages), SageMaker (DescribeEndpoint, InvokeEndpoint) and
    // CloudWatch (PutMetricData) all found and wrote the eu-west-1 resources: nothing exists in the other region.
    expect(JSON.parse(elsewhere.stdout)).toMatchObject({ endpoint: ENDPOINT, plan: { add: 0, change: 0, destroy: 0 } });
    const inOther = { ...aws(), region: other };
    expect((await new SageMakerClient(inOther).send(new ListEndpointsCommand({}))).Endpoints).toEqual([]);
    expect((await new ECRClient(inOther).send(new DescribeRepositoriesCommand({}))).repositories).toEqual([]);
    expect((await new CloudWatchClient(inOther).send(new ListMetricsCommand({ Namespace: NAMESPACE }))).Metrics).toEqual([]);
  }, 900_000);

  it('plans version 2 as an in-place update of the endpoint with a new model and configuration', async () => {
    const result = await deploy('--model', '2', '--plan-only');
    expect(result.exitCode).toBe(0);
    const { plan } = JSON.parse(result.stdout);
    expect(plan.updateInPlace).toEqual(expect.arrayContaining([expect.stringMatching(/^aws_sagemaker_endpoint\./)]));
    expect(plan.replace.filter((address: string) => address.startsWith('aws_sagemaker_endpoint.'))).toEqual([]);
    expect(plan.replace).toEqual(expect.arrayContaining([expect.stringMatching(/^aws_sagemaker_model\./), expect.stringMatching(/^aws_sagemaker_endpoint_configuration\./)]));
    expect(result.stderr).toContain('The endpoint is updated in place (blue/green, no downtime)');
    const endpoint = await new SageMakerClient(aws()).send(new DescribeEndpointCommand({ EndpointName: ENDPOINT }));
    expect(endpoint.EndpointConfigName).toMatch(new RegExp(`^${ENDPOINT}-v1-`));
  }, 900_000);

  it('monitor compares captured requests with the training baseline and publishes both', async () => {
    const s3 = new S3Client({ ...aws(), forcePathStyle: true });
    const request = JSON.stringify({ dataframe_split: { columns: ['alcohol', 'hue'], data: [[13.0, 1.0], [15.0, 1.2]] } });
    const line = JSON.stringify({ captureData: { endpointInput: { observedContentType: 'application/json', mode: 'INPUT', data: request, encoding: 'JSON' } } });
    await s3.send(
      new PutObjectCommand({ Bucket: `${ENDPOINT}-serving`, Key: `deployments/${PROJECT}/data-capture/${ENDPOINT}/primary/2026/01/01/00/capture.jsonl`, Body: `${line}\n` }),
    );
    const result = await runCli(['monitor', '--project', PROJECT, '--json'], env);
    expect(result.exitCode).toBe(0);
    const output = JSON.parse(result.stdout);
    expect(output).toMatchObject({ endpoint: ENDPOINT, version: '1', files: 1, requests: 1, rows: 2 });
    const alcohol = output.features.find((feature: { feature: string }) => feature.feature === 'alcohol');
    expect(alcohol.captured.mean).toBe(14);
    expect(alcohol.baseline.mean).toBeGreaterThan(12);
    const listed = await new CloudWatchClient(aws()).send(new ListMetricsCommand({ Namespace: NAMESPACE, MetricName: 'FeatureMean' }));
    expect(listed.Metrics?.map((metric) => metric.Dimensions?.find((d) => d.Name === 'Source')?.Value)).toContain('captured');
  }, 300_000);

  it('-rm leaves nothing of the deployment behind, and a second -rm has nothing to do', async () => {
    const result = await runCli(['deployment-job-rm', '--project', PROJECT], env);
    expect(result.exitCode).toBe(0);
    const leftovers = await motoPython('leftovers', ENDPOINT);
    expect(leftovers).toEqual({
      endpoints: [],
      endpointConfigs: [],
      models: [],
      repositories: [],
      roles: [],
      securityGroups: [],
      alarms: [],
      dashboards: [],
      logGroups: [],
      buckets: [],
    });
    const again = await runCli(['deployment-job-rm', '--project', PROJECT], env);
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toContain('Nothing to remove');
  }, 900_000);

  describe('sync follows the @dev alias of every ML project', () => {
    const OTHER = 'other-project';
    let syncEnv: typeof env;

    beforeAll(async () => {
      // Two projects: the test project, and another registered model (same files) that has versions but no @dev.
      const projectsDir = join(workDir, 'ml-projects');
      mkdirSync(projectsDir);
      for (const name of [PROJECT, OTHER]) symlinkSync(join(repoRoot, 'ml-projects', PROJECT), join(projectsDir, name));
      const client = new MlflowClient(mlflow.url);
      const v1 = await client.modelVersion(PROJECT, '1');
      await client.call('POST', 'registered-models/create', { name: OTHER });
      await client.call('POST', 'model-versions/create', { name: OTHER, source: v1!.source, run_id: v1!.run_id, model_id: v1!.source.replace(/^models:\//, '') });
      await client.setModelAlias(OTHER, 'prod', '1');
      await client.setModelAlias(PROJECT, 'dev', '2');
      syncEnv = { ...env, MLOPS_PROJECTS_DIR: projectsDir };
    });

    it("rolls out @dev's version where the endpoint serves none, and never touches the project without @dev", async () => {
      const result = await runCli(['sync', '--image-build', 'skip'], syncEnv);
      expect(result.exitCode).toBe(0);
      expect(result.stdout.trim().split('\n')).toEqual([`${OTHER}  skipped     no alias @dev`, `${PROJECT}   rolled out  version 2 (was not deployed)`]);
      const sagemaker = new SageMakerClient(aws());
      const endpoint = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: ENDPOINT }));
      expect(endpoint.EndpointStatus).toBe('InService');
      expect(endpoint.EndpointConfigName).toMatch(new RegExp(`^${ENDPOINT}-v2-`));
      expect((await sagemaker.send(new ListEndpointsCommand({}))).Endpoints?.map((found) => found.EndpointName)).toEqual([ENDPOINT]);
    }, 900_000);

    it('a second sync finds every endpoint in step and changes nothing', async () => {
      const result = await runCli(['sync', '--image-build', 'skip', '--json'], syncEnv);
      expect(result.exitCode).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({
        alias: 'dev',
        projects: [
          { project: OTHER, result: 'skipped', detail: 'no alias @dev' },
          { project: PROJECT, result: 'unchanged', version: '2' },
        ],
      });
      expect(result.stderr).not.toContain('rolling out');
    }, 300_000);
  });
});
