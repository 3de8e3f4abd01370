import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { execa } from 'execa';
import { stateKeys } from '../../core/naming.js';
import { MlflowClient } from '../../cli/effects/mlflow.js';
import { deploymentTags } from '../../cli/workflows/deployment-release.js';
import { runCli } from '../harness/cli.js';
import { startTestMlflowServer, type TestMlflowServer } from '../harness/mlflow.js';
import { emulatorCliEnv, startTestMoto, TEST_REGION, type TestMoto } from '../harness/moto.js';
import { requireTool, toolchainEnv } from '../harness/toolchain.js';

const STATE_BUCKET = 'mlops-status-state';
const environment = { stateBucket: STATE_BUCKET, region: TEST_REGION, project: 'acme', envName: 'dev' };

/**
 * What the deployment and training steps leave in AWS, made directly in the emulator (boto3 comes
 * with moto): an endpoint tagged with its version, and a finished job in the project's queue
 * (moto's Batch without Docker runs a job to SUCCEEDED).
 */
const MOTO_SCRIPT = `
import sys, time, boto3
endpoint, region = sys.argv[1:3]
kw = dict(endpoint_url=endpoint, region_name=region, aws_access_key_id='testing', aws_secret_access_key='testing')
role = 'arn:aws:iam::123456789012:role/acme-dev-wine-serving'
sm = boto3.client('sagemaker', **kw)
sm.create_model(ModelName='acme-dev-wine-v2-abcdef', ExecutionRoleArn=role, PrimaryContainer={'Image': '123456789012.dkr.ecr.%s.amazonaws.com/x:1' % region})
sm.create_endpoint_config(EndpointConfigName='acme-dev-wine-v2-abcdef', ProductionVariants=[{'VariantName': 'primary', 'ModelName': 'acme-dev-wine-v2-abcdef', 'InitialInstanceCount': 1, 'InstanceType': 'ml.m5.large'}])
sm.create_endpoint(EndpointName='acme-dev-wine', EndpointConfigName='acme-dev-wine-v2-abcdef', Tags=[{'Key': 'ml-project', 'Value': 'wine'}, {'Key': 'model-version', 'Value': '2'}])
iam = boto3.client('iam', **kw)
batch_role = iam.create_role(RoleName='acme-dev-wine-train-batch', AssumeRolePolicyDocument='{}')['Role']['Arn']
batch = boto3.client('batch', **kw)
env = batch.create_compute_environment(computeEnvironmentName='acme-dev-wine-training', type='UNMANAGED', state='ENABLED', serviceRole=batch_role)
batch.create_job_queue(jobQueueName='acme-dev-wine-training', state='ENABLED', priority=1, computeEnvironmentOrder=[{'order': 1, 'computeEnvironment': env['computeEnvironmentArn']}])
batch.register_job_definition(jobDefinitionName='acme-dev-wine-training', type='container', containerProperties={'image': 'busybox', 'vcpus': 1, 'memory': 128, 'command': ['true']})
job = batch.submit_job(jobName='batch-wine-20261201T080000-abcd', jobQueue='acme-dev-wine-training', jobDefinition='acme-dev-wine-training')['jobId']
for _ in range(60):
    if batch.describe_jobs(jobs=[job])['jobs'][0]['status'] in ('SUCCEEDED', 'FAILED'):
        break
    time.sleep(0.5)
print(job)
`;

/**
 * `mlops status` through the built CLI against moto and a real MLflow server: one project trained,
 * deployed and aliased, one untouched, and a view that still shows AWS when MLflow cannot be reached.
 */
describe('status against moto and a real MLflow server', () => {
  let moto: TestMoto;
  let mlflow: TestMlflowServer;
  let env: Record<string, string | undefined>;
  let jobId: string;
  const workDir = mkdtempSync(join(tmpdir(), 'mlops-status-it-'));

  beforeAll(async () => {
    const tools = toolchainEnv();
    requireTool(tools, 'MLOPS_PYTHON_BIN');
    [moto, mlflow] = await Promise.all([startTestMoto(), startTestMlflowServer()]);
    await fetch(`${moto.endpoint}/moto-api/config`, { method: 'POST', body: JSON.stringify({ batch: { use_docker: false } }) });
    jobId = (await execa(join(tools.MLOPS_PYTHON_BIN, 'python'), ['-c', MOTO_SCRIPT, moto.endpoint, TEST_REGION])).stdout.trim();

    const s3 = new S3Client({ endpoint: moto.endpoint, region: TEST_REGION, forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    await s3.send(new CreateBucketCommand({ Bucket: STATE_BUCKET, CreateBucketConfiguration: { LocationConstraint: TEST_REGION } }));
    for (const key of [stateKeys.training(environment, 'wine'), stateKeys.deployment(environment, 'wine')]) {
      await s3.send(new PutObjectCommand({ Bucket: STATE_BUCKET, Key: key, Body: '{"version": 4}' }));
    }

    // Three versions of "wine"; version 2 deployed to acme-dev the way the deployment step tags it, and aliased.
    const client = new MlflowClient(mlflow.url);
    await client.call('POST', 'registered-models/create', { name: 'wine' });
    // A version's source must lie under its run's artifacts: one empty run stands for the training.
    const { run } = (await client.call<{ run: { info: { run_id: string; artifact_uri: string } } }>('POST', 'runs/create', { experiment_id: '0' }))!;
    for (let version = 1; version <= 3; version += 1) {
      await client.call('POST', 'model-versions/create', { name: 'wine', source: `${run.info.artifact_uri}/model`, run_id: run.info.run_id });
    }
    for (const [key, value] of Object.entries(deploymentTags(environment, 'acme-dev-wine', new Date('2026-11-30T09:00:00Z')))) {
      await client.setModelVersionTag('wine', '2', key, value);
    }
    await client.call('POST', 'registered-models/alias', { name: 'wine', alias: 'champion', version: '2' });

    const projectsDir = join(workDir, 'ml-projects');
    for (const project of ['wine', 'fraud']) mkdirSync(join(projectsDir, project), { recursive: true });
    env = {
      ...emulatorCliEnv(tools, moto, STATE_BUCKET),
      MLOPS_PROJECTS_DIR: projectsDir,
      MLFLOW_TRACKING_URI: mlflow.url,
    };
  }, 300_000);

  afterAll(async () => {
    await Promise.all([moto?.stop(), mlflow?.stop()]);
    rmSync(workDir, { recursive: true, force: true });
  });

  it('shows each project: versions, serving version, aliases, endpoint, last job and states', async () => {
    const result = await runCli(['status', '--json'], env);
    expect(result.exitCode).toBe(0);
    const status = JSON.parse(result.stdout);
    expect(status).toMatchObject({ project: 'acme', envName: 'dev', trackingUri: { value: mlflow.url }, mlflowServerState: { value: false } });
    const [fraud, wine] = status.projects;
    expect(wine).toEqual({
      project: 'wine',
      registry: { value: { latest: '3', serving: { version: '2', deployedAt: '2026-11-30T09:00:00.000Z' }, aliases: { champion: '2' } } },
      endpoint: { value: { name: 'acme-dev-wine', state: 'InService', version: '2', failureReason: null } },
      // moto gives a finished job no statusReason (AWS does), hence the null.
      lastTrainingJob: { value: { id: jobId, status: 'SUCCEEDED', createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), reason: null } },
      trainingState: { value: true },
      deploymentState: { value: true },
    });
    expect(fraud).toEqual({
      project: 'fraud',
      registry: { value: null },
      endpoint: { value: { name: 'acme-dev-fraud', state: null, version: null, failureReason: null } },
      lastTrainingJob: { value: null },
      trainingState: { value: false },
      deploymentState: { value: false },
    });
  });

  it('prints the table, and an unreachable MLflow server fills only the registry cells', async () => {
    const result = await runCli(['status'], { ...env, MLFLOW_TRACKING_URI: 'http://127.0.0.1:9' });
    expect(result.exitCode).toBe(0);
    const rows = result.stdout.split('\n');
    // Rows are sorted by project: fraud's failure is [1], wine's [2].
    expect(rows.find((row) => row.startsWith('wine'))?.split(/\s{2,}/)).toEqual([
      'wine',
      'error [2]',
      'error [2]',
      'error [2]',
      'InService v2',
      expect.stringMatching(/^SUCCEEDED \d{4}-\d\d-\d\d \d\d:\d\dZ$/),
      'training, deployment',
    ]);
    expect(rows.find((row) => row.startsWith('fraud'))?.split(/\s{2,}/)).toEqual(['fraud', 'error [1]', 'error [1]', 'error [1]', 'none', 'none', 'none']);
    expect(result.stdout).toContain('[2] wine registry: cannot reach the MLflow server at http://127.0.0.1:9');
    expect(result.stderr).toMatch(/looking up 2 ML projects in acme-dev/);
  });
});
