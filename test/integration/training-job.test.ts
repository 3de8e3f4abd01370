import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchClient, DescribeJobDefinitionsCommand, DescribeJobsCommand } from '@aws-sdk/client-batch';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { execa } from 'execa';
import { MlflowClient } from '../../cli/effects/mlflow.js';
import { pythonEnv } from '../../cli/local/python-tools.js';
import { expectExit, runCli } from '../harness/cli.js';
import { startTestMlflowServer, type TestMlflowServer } from '../harness/mlflow.js';
import { emulatorCliEnv, motoResourceNames, TEST_REGION, startTestMoto, type TestMoto } from '../harness/moto.js';
import { requireTool, toolchainEnv } from '../harness/toolchain.js';
import { copyTestProject, fargateTrainingResources, expectFirstTrainingSubmission } from '../harness/training-project.js';

/**
 * `training-job` and `training-job-rm` through the built CLI against moto (server mode, Batch in its
 * simple mode: jobs finish at once without Docker) and a real MLflow server, applied with OpenTofu.
 *
 * Every run passes `--image-build skip`: moto cannot store image layers, so the image is not pushed
 * to its ECR; the job definition still names the content-hash tag a real run would push, and the
 * training command is run locally instead. The image itself is built, pushed to a real registry and
 * run in test/integration/container-images.test.ts.
 *
 * The MLflow server stack is not applied here: settings.tracking_uri names the test MLflow server, so
 * the jobs run in moto's default VPC, as a team with its own server would, and the CLI looks a job's
 * version up in that server. With the MLflow server stack (its network, URI, CA and credential), the
 * training stack's job definition, its retraining schedule, and its removal beside another project's
 * stack are proven in test/integration/lifecycle.test.ts.
 */
const STATE_BUCKET = 'acme-tf-state';
const PREFIX = 'acme-dev-';

interface Fixture {
  moto: TestMoto;
  env: Record<string, string>;
  projectsDir: string;
  clients: { batch: BatchClient; s3: S3Client };
}

const scratch: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
};

/** moto in Batch's simple mode (optionally failing every job), a state bucket, projects, settings. */
async function setUp(mlflow: TestMlflowServer, options: { failJobs?: boolean } = {}): Promise<Fixture> {
  const tools = toolchainEnv();
  for (const tool of ['MLOPS_TERRAFORM_BIN', 'TF_CLI_CONFIG_FILE', 'MLOPS_PYTHON_BIN']) requireTool(tools, tool);
  const moto = await startTestMoto({
    // AWS managed policies (AWSBatchServiceRole) exist in every real account; moto loads them on request.
    extraEnv: { MOTO_IAM_LOAD_MANAGED_POLICIES: 'true', ...(options.failJobs ? { MOTO_SIMPLE_BATCH_FAIL_AFTER: '0' } : {}) },
  });
  // Server mode: the simple Batch backend (no Docker) is switched on through moto's config API.
  const config = await fetch(`${moto.endpoint}/moto-api/config`, { method: 'POST', body: JSON.stringify({ batch: { use_docker: false } }) });
  expect(config.status).toBe(201);
  const aws = { endpoint: moto.endpoint, region: TEST_REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  const clients = { batch: new BatchClient(aws), s3: new S3Client({ ...aws, forcePathStyle: true }) };
  await clients.s3.send(new CreateBucketCommand({ Bucket: STATE_BUCKET, CreateBucketConfiguration: { LocationConstraint: TEST_REGION } }));

  const projectsDir = tempDir('mlops-training-it-projects-');
  copyTestProject('wine', [
    { type: 'VCPU', value: '0.5' },
    { type: 'MEMORY', value: '2048' },
  ], projectsDir);
  copyTestProject('badshape', [
    { type: 'VCPU', value: '1' },
    { type: 'MEMORY', value: '512' },
  ], projectsDir);
  const settingsFile = join(tempDir('mlops-training-it-settings-'), 'settings.json');
  writeFileSync(settingsFile, JSON.stringify({ tracking_uri: mlflow.url, training: { job_poll_seconds: 1 } }));
  const env = {
    ...emulatorCliEnv(tools, moto, STATE_BUCKET),
    MLOPS_PROJECTS_DIR: projectsDir,
    MLOPS_SETTINGS_FILE: settingsFile,
    MLOPS_OUTDIR: tempDir('mlops-training-it-out-'),
    MLOPS_STATE_DIR: tempDir('mlops-training-it-state-'),
  };
  return { moto, env, projectsDir, clients };
}

async function stateKeys(s3: S3Client): Promise<string[]> {
  return ((await s3.send(new ListObjectsV2Command({ Bucket: STATE_BUCKET }))).Contents ?? []).map((object) => object.Key!).sort();
}

describe('training-job against moto and a real MLflow server', () => {
  let mlflow: TestMlflowServer;
  let fixture: Fixture;
  let submitted: { jobId: string; jobName: string; jobDefinition: string; jobQueue: string; cost: { perRun: { hourUsd: number } } };
  beforeAll(async () => {
    mlflow = await startTestMlflowServer();
    fixture = await setUp(mlflow);
  });

  afterAll(async () => {
    await fixture?.moto.stop();
    await mlflow?.stop();
    scratch.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
  });

  const cli = (args: string[], extraEnv: Record<string, string> = {}) => runCli(args, { ...fixture.env, ...extraEnv });

  it('creates nothing for bad inputs: a shape Fargate cannot run, unknown or invalid projects, a broken policy, no Docker engine', async () => {
    const badShape = await cli(['training-job', '--project', 'badshape', '--image-build', 'skip']);
    expectExit(badShape, 2);
    expect(badShape.stderr).toContain('1 vCPU with 512 MiB is not a Fargate size');
    expect(badShape.stderr).toContain('Nearest valid: 1 vCPU with 2048 MiB');

    const unknown = await cli(['training-job', '--project', 'nope', '--image-build', 'skip']);
    expectExit(unknown, 2);
    expect(unknown.stderr).toContain('unknown ML project "nope"');

    const invalidName = await cli(['training-job', '--project', 'Bad_Name', '--image-build', 'skip']);
    expectExit(invalidName, 2);
    expect(invalidName.stderr).toContain('cannot be used in AWS resource names');

    const policies = tempDir('mlops-training-it-policies-');
    writeFileSync(join(policies, 'training-jobs-policy.json'), '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "${bucket}"}]}');
    const badPolicy = await cli(['training-job', '--project', 'wine', '--image-build', 'skip'], { MLOPS_POLICIES_DIR: policies });
    expectExit(badPolicy, 2);
    expect(badPolicy.stderr).toContain('unknown placeholder ${bucket}');

    // A Docker host that does not answer, so the check holds on machines that have an engine (CI runners) too.
    const noEngine = await cli(['training-job', '--project', 'wine'], { MLOPS_CONTAINER_ENGINE: 'docker', DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    expectExit(noEngine, 1);
    expect(noEngine.stderr).toContain('no container engine works (docker:');
    expect(noEngine.stderr).toContain('nothing was applied');

    const badLimit = await cli(['training-job', '--project', 'wine', '--image-build', 'skip', '--max-monthly-usd=-3']);
    expectExit(badLimit, 2);
    expect(badLimit.stderr).toContain('--max-monthly-usd: give a number of US dollars, 0 or more');

    const removeInvalid = await cli(['training-job-rm', '--project', 'Bad_Name']);
    expectExit(removeInvalid, 2);

    expect(await stateKeys(fixture.clients.s3)).toEqual([]);
    expect(await motoResourceNames(fixture.moto, PREFIX)).toEqual([]);
  });

  it('applies the stack from empty, registers the job definition with the right resources and env, and submits (--no-wait --json)', async () => {
    const result = await cli(['training-job', '--project', 'wine', '--image-build', 'skip', '--no-wait', '--json']);
    submitted = expectFirstTrainingSubmission(result);
    expect(await stateKeys(fixture.clients.s3)).toEqual(['acme/dev/training/wine.tfstate']);

    const [definition] = (await fixture.clients.batch.send(new DescribeJobDefinitionsCommand({ jobDefinitions: [submitted.jobDefinition] }))).jobDefinitions ?? [];
    expect(definition.jobDefinitionName).toBe('acme-dev-wine-training');
    expect(definition.platformCapabilities).toEqual(['FARGATE']);
    expect(definition.timeout).toEqual({ attemptDurationSeconds: 86400 });
    expect(definition.retryStrategy?.attempts).toBe(2);
    const container = definition.containerProperties!;
    expect(container.resourceRequirements).toEqual([
      { type: 'VCPU', value: '0.5' },
      { type: 'MEMORY', value: '2048' },
    ]);
    expect([...(container.environment ?? [])].sort((a, b) => a.name!.localeCompare(b.name!))).toEqual([
      { name: 'MLFLOW_EXPERIMENT_NAME', value: 'wine' },
      { name: 'MLFLOW_TRACKING_URI', value: mlflow.url },
    ]);
    expect(container.image).toMatch(/acme-dev-wine-training:[0-9a-f]{16}$/);
    expect(container.logConfiguration?.options?.['awslogs-group']).toBe('/aws/batch/acme-dev-wine-training');
    expect(container.networkConfiguration?.assignPublicIp).toBe('ENABLED');

    expect(await motoResourceNames(fixture.moto, `${PREFIX}wine-`)).toEqual(fargateTrainingResources('acme-dev-wine', definition.revision!).sort());
  });

  it("running the job's command locally with its environment registers a new model version in MLflow; following the job then prints it", async () => {
    const [job] = (await fixture.clients.batch.send(new DescribeJobsCommand({ jobs: [submitted.jobId] }))).jobs ?? [];
    const [definition] = (await fixture.clients.batch.send(new DescribeJobDefinitionsCommand({ jobDefinitions: [submitted.jobDefinition] }))).jobDefinitions ?? [];
    const command = job.container!.command!;
    expect(command).toEqual(['mlflow', 'run', '.', '--env-manager', 'local', '--experiment-name', 'wine', '--run-name', submitted.jobName]);
    const jobEnvironment = Object.fromEntries((definition.containerProperties!.environment ?? []).map((variable) => [variable.name!, variable.value!]));

    const registry = new MlflowClient(mlflow.url);
    const before = (await registry.searchModelVersions("name='wine'")).length;
    // The container's working directory holds the project; its environment is the job definition's.
    const run = await execa(command[0], command.slice(1), {
      cwd: join(fixture.projectsDir, 'wine'),
      env: pythonEnv(jobEnvironment, { ...process.env, MLOPS_PYTHON_BIN: fixture.env.MLOPS_PYTHON_BIN }),
      reject: false,
      all: true,
    });
    if (run.exitCode !== 0) throw new Error(`the job's command failed:\n${run.all}`);
    const versions = await registry.searchModelVersions("name='wine'");
    expect(versions).toHaveLength(before + 1);

    const followed = await cli(['training-job', '--project', 'wine', '--job-id', submitted.jobId]);
    expectExit(followed, 0);
    expect(followed.stderr).toMatch(/\[\d+s\] SUCCEEDED/);
    expect(followed.stdout.trim()).toBe(`models:/wine/${before + 1}`);
  });

  it('a second run changes nothing, and a job that registers no version is not a success', async () => {
    const result = await cli(['training-job', '--project', 'wine', '--image-build', 'skip']);
    expect(result.stderr).toContain('Plan: 0 to add, 0 to change, 0 to destroy.');
    expect(result.stderr).toContain('No changes: the infrastructure matches the configuration.');
    expect(result.stderr).toMatch(/SUCCEEDED/);
    expectExit(result, 1);
    expect(result.stderr).toContain('has no version of model "wine" registered by its run batch-wine-');
  });
});

describe('training-job when the job fails (moto MOTO_SIMPLE_BATCH_FAIL_AFTER=0)', () => {
  let mlflow: TestMlflowServer;
  let fixture: Fixture;

  beforeAll(async () => {
    mlflow = await startTestMlflowServer();
    fixture = await setUp(mlflow, { failJobs: true });
  });

  afterAll(async () => {
    await fixture?.moto.stop();
    await mlflow?.stop();
    scratch.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
  });

  it('exits 1 with the FAILED state and the job named, and prints a JSON result for scripts', async () => {
    const result = await runCli(['training-job', '--project', 'wine', '--image-build', 'skip', '--json'], fixture.env);
    expectExit(result, 1);
    expect(result.stderr).toMatch(/\[\d+s\] FAILED/);
    expect(result.stderr).toMatch(/training job batch-wine-\S+ \([0-9a-f-]{36}\) FAILED after \d+s/);
    expect(JSON.parse(result.stdout)).toMatchObject({ project: 'wine', status: 'FAILED' });
  });
});
