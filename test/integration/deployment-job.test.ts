import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchClient, DescribeAlarmsCommand, GetDashboardCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { AddTagsCommand, DeleteTagsCommand, DescribeEndpointCommand, ListEndpointsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { execa } from 'execa';
import { MlflowClient } from '../../cli/effects/mlflow.js';
import { repoRoot } from '../../cli/paths.js';
import { runCli } from '../harness/cli.js';
import { startTestMlflowServer, type TestMlflowServer } from '../harness/mlflow.js';
import { startTestMoto, TEST_REGION, type TestMoto } from '../harness/moto.js';
import { requireTool, toolchainEnv } from '../harness/toolchain.js';

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
 * rollout to version 2 is proven by its plan (`--plan-only`): the endpoint updated in place; so is
 * a shadow of version 2 beside version 1 (`--shadow --plan-only`), which `promote` and `shadow-rm`
 * would roll out again (their rollouts are proven by test/unit/deployment-shadow.test.ts).
 * Where moto keeps less than AWS (an endpoint's DeploymentConfig, a model's network isolation,
 * bucket tags), cannot evaluate a TLS-only bucket policy or does not speak the provider's CloudWatch
 * protocol, the CLI bridges it (EMULATOR_GAPS in cli/effects/terraform.ts); the Terraform JSON itself
 * is the one AWS gets.
 *
 * After the removal, `sync` runs over two projects (a second registered model without @dev): it
 * rolls out @dev's version on the now empty endpoint, and a second sync changes nothing.
 */
describe('deployment-job against moto and a real MLflow server', () => {
  let moto: TestMoto;
  let mlflow: TestMlflowServer;
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
    await Promise.all([moto?.stop(), mlflow?.stop()]);
    rmSync(workDir, { recursive: true, force: true });
  });

  it('refuses an unknown version before anything is created', async () => {
    const result = await deploy('--model', '9');
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('model "test-project" has no version 9 (it has versions 1, 2)');
    const state = await new S3Client({ ...aws(), forcePathStyle: true }).send(new ListObjectsV2Command({ Bucket: STATE_BUCKET }));
    expect(state.Contents ?? []).toEqual([]);
  });

  it('refuses with --max-monthly-usd 1 before anything is applied, showing the estimate it refused', async () => {
    const result = await deploy('--model', '1', '--max-monthly-usd', '1');
    expect(result.exitCode).toBe(2);
    // One ml.t2.medium in eu-west-1 (730 h × $0.062), the dashboard ($3) and two alarms ($0.10 each): core/cost/price-table.ts.
    // The configuration's name is known only after apply (its release id), so the line names its kind.
    expect(result.stderr).toMatch(/\+ \$45\.26\/month {2}SageMaker endpoint configuration: primary \(production\) 1 × ml\.t2\.medium × 730 h × \$0\.062/);
    expect(result.stderr).toContain('Stack total: $48.46/month (+$48.46/month)');
    expect(result.stderr).toContain(
      'refusing to apply: the deployment stack of test-project would cost an estimated $48.46/month, more than --max-monthly-usd 1; nothing was applied',
    );
    const state = await new S3Client({ ...aws(), forcePathStyle: true }).send(new ListObjectsV2Command({ Bucket: STATE_BUCKET }));
    expect(state.Contents ?? []).toEqual([]);
    expect((await new ECRClient(aws()).send(new DescribeRepositoriesCommand({}))).repositories).toEqual([]);
  }, 900_000);

  it('deploys version 1 from empty within --max-monthly-usd, smoke-tests it and prints the dashboard URL and the estimate', async () => {
    const result = await deploy('--model', '1', '--max-monthly-usd', '50');
    expect(result.stderr).toContain('image build skipped');
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain('Within --max-monthly-usd 50: the deployment stack of test-project is estimated at $48.46/month; checked before anything is applied.');
    expect(result.stderr).toContain('Estimated cost in eu-west-1');
    expect(result.stderr).toContain('Not counted: data transfer');
    const output = JSON.parse(result.stdout);
    expect(output.cost.monthlyUsd).toBeCloseTo(730 * 0.062 + 3 + 2 * 0.1, 6);
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
    expect(result.stderr).toContain('4 unchanged: $48.46/month');
  }, 900_000);

  it('mlops cost prices the applied deployment from its state and lists the stacks without one', async () => {
    const result = await runCli(['cost', '--json'], env);
    expect(result.exitCode).toBe(0);
    const cost = JSON.parse(result.stdout);
    expect(cost).toMatchObject({ environment: 'test-dev', region: TEST_REGION, currency: 'USD' });
    expect(cost.monthlyUsd).toBeCloseTo(730 * 0.062 + 3 + 2 * 0.1, 6);
    const byStack = Object.fromEntries(cost.stacks.map((stack: { stack: string; estimate?: { monthlyUsd: number } }) => [stack.stack, stack.estimate?.monthlyUsd ?? null]));
    expect(byStack[`deployment/${PROJECT}`]).toBeCloseTo(48.46, 2);
    expect(byStack['mlflow-server']).toBeNull();
    expect(byStack[`training/${PROJECT}`]).toBeNull();
    const text = await runCli(['cost'], env);
    expect(text.stdout).toContain(`deployment/${PROJECT}: $48.46/month`);
    expect(text.stdout).toContain('mlflow-server: not applied (no state)');
    expect(text.stdout).toContain('Environment total: $48.46/month');
  });

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

  it('plans version 2 as a shadow beside version 1: its own model and a new release of the configuration, the endpoint updated in place', async () => {
    const result = await deploy('--model', '2', '--shadow', '--plan-only');
    expect(result.exitCode).toBe(0);
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
    const endpoint = await new SageMakerClient(aws()).send(new DescribeEndpointCommand({ EndpointName: ENDPOINT }));
    expect(endpoint.EndpointConfigName).toMatch(new RegExp(`^${ENDPOINT}-v1-[0-9a-f]{6}$`));
  }, 900_000);

  it('promote without a shadow is refused (exit 2), and shadow-rm has nothing to do', async () => {
    const promote = await runCli(['promote', '--project', PROJECT], env);
    expect(promote.exitCode).toBe(2);
    expect(promote.stderr).toContain(`${PROJECT}'s endpoint serves version 1 and runs no shadow to promote: deploy one first (make deployment-job project=${PROJECT} model=N shadow=true)`);
    const removed = await runCli(['shadow-rm', '--project', PROJECT, '--json'], env);
    expect(removed.exitCode).toBe(0);
    expect(JSON.parse(removed.stdout)).toEqual({ project: PROJECT, removed: null });
    expect(removed.stderr).toContain(`Nothing to remove: ${PROJECT} serves version 1 without a shadow`);
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

  it("monitor compares a shadow's answers with production's on the same captured requests and publishes the agreement", async () => {
    // moto lacks UpdateEndpoint, so the shadow rollout planned above cannot be applied here: the
    // endpoint gets the tag that rollout sets, and each variant the capture files SageMaker writes.
    const sagemaker = new SageMakerClient(aws());
    const { EndpointArn } = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: ENDPOINT }));
    await sagemaker.send(new AddTagsCommand({ ResourceArn: EndpointArn, Tags: [{ Key: 'shadow-model-version', Value: '2' }] }));
    const s3 = new S3Client({ ...aws(), forcePathStyle: true });
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
      s3.send(new PutObjectCommand({ Bucket: `${ENDPOINT}-serving`, Key: `deployments/${PROJECT}/data-capture/${ENDPOINT}/${variant}/2026/01/01/01/answers.jsonl`, Body: `${lines.join('\n')}\n` }));
    await put('primary', [line('p1', [13, 1], 0), line('p2', [14, 1], 1), line('p3', [12, 1], 2), line('p4', [11, 1], 1)]);
    await put('shadow', [line('s1', [13, 1], 0), line('s2', [14, 1], 2), line('s3', [12, 1], 2), line('s4', [11, 1], 1)]);
    try {
      const result = await runCli(['monitor', '--project', PROJECT, '--json'], env);
      expect(result.exitCode).toBe(0);
      expect(JSON.parse(result.stdout).shadow).toMatchObject({ version: '2', requests: 4, unpaired: 0, comparison: { kind: 'classification', agreementPercent: 75, predictions: 4 } });
      expect(result.stderr).toContain('Shadow version 2 against version 1: agree on 75% of 4 predictions on 4 requests');
      const listed = await new CloudWatchClient(aws()).send(new ListMetricsCommand({ Namespace: NAMESPACE, MetricName: 'ShadowAgreementPercent' }));
      expect(listed.Metrics?.map((metric) => metric.Dimensions)).toEqual([
        [
          { Name: 'Project', Value: PROJECT },
          { Name: 'Version', Value: '2' },
          { Name: 'ProductionVersion', Value: '1' },
        ],
      ]);
    } finally {
      await sagemaker.send(new DeleteTagsCommand({ ResourceArn: EndpointArn, TagKeys: ['shadow-model-version'] }));
    }
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
