import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchClient, DescribeJobDefinitionsCommand, DescribeJobsCommand } from '@aws-sdk/client-batch';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { execa } from 'execa';
import { MlflowClient } from '../../cli/effects/mlflow.js';
import { pythonEnv } from '../../cli/local/python-tools.js';
import { runCli, type CliResult } from '../harness/cli.js';
import { startTestMlflowServer, type TestMlflowServer } from '../harness/mlflow.js';
import { emulatorCliEnv, motoPython, motoResourceNames, TEST_REGION, startTestMoto, type TestMoto } from '../harness/moto.js';
import { requireTool, toolchainEnv } from '../harness/toolchain.js';
import { copyTestProject, fargateTrainingResources } from '../harness/training-project.js';

/**
 * `training-job` and `training-job-rm` through the built CLI against moto (server mode, Batch in its
 * simple mode: jobs finish at once without Docker) and a real MLflow server, applied with OpenTofu.
 *
 * Every run passes `--image-build skip`: moto cannot store image layers, so the image is not pushed
 * to its ECR; the job definition still names the content-hash tag a real run would push, and the
 * training command is run locally instead. The image itself is built, pushed to a real registry and
 * run in test/integration/container-images.test.ts.
 *
 * The MLflow server stack is not applied here (moto lacks Client VPN): settings.tracking_uri names
 * the test MLflow server, so the jobs run in moto's default VPC, as a team with its own server would.
 */
const STATE_BUCKET = 'acme-tf-state';
/** wine retrains every Monday at 03:00 UTC (EventBridge Scheduler; moto keeps schedules but never fires them). */
const WINE_SCHEDULE = 'cron(0 3 ? * MON *)';
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
  copyTestProject('wine', {
    training: [
      { type: 'VCPU', value: '0.5' },
      { type: 'MEMORY', value: '2048' },
    ],
    schedule: WINE_SCHEDULE,
  }, projectsDir);
  copyTestProject('other', undefined, projectsDir);
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

async function stateBody(s3: S3Client, key: string): Promise<string> {
  return (await s3.send(new GetObjectCommand({ Bucket: STATE_BUCKET, Key: key }))).Body!.transformToString();
}

const expectExit = (result: CliResult, code: number) => {
  if (result.exitCode !== code) throw new Error(`exit ${result.exitCode}, expected ${code}\n--- stderr ---\n${result.stderr}\n--- stdout ---\n${result.stdout}`);
};

describe('training-job against moto and a real MLflow server', () => {
  let mlflow: TestMlflowServer;
  let fixture: Fixture;
  let submitted: { jobId: string; jobName: string; jobDefinition: string; jobQueue: string; schedule: { name: string; expression: string; state: string; nextRun: string } };
  /** The wine schedule as EventBridge Scheduler (moto) keeps it, and the trust and permissions of its role. */
  const wineSchedule = async () =>
    JSON.parse(
      await motoPython(
        fixture.moto,
        [
          "scheduler, iam = boto3.client('scheduler', **kw), boto3.client('iam', **kw)",
          "names = [s['Name'] for s in scheduler.list_schedules()['Schedules']]",
          "if 'acme-dev-wine-retrain' not in names: print(json.dumps({'names': names})); sys.exit(0)",
          "s = scheduler.get_schedule(Name='acme-dev-wine-retrain')",
          "role = s['Target']['RoleArn'].split('/')[-1]",
          "policy = iam.get_role_policy(RoleName=role, PolicyName='submit-training-job')['PolicyDocument']",
          "trust = iam.get_role(RoleName=role)['Role']['AssumeRolePolicyDocument']",
          "print(json.dumps({'names': names, 'expression': s['ScheduleExpression'], 'timezone': s['ScheduleExpressionTimezone'], 'state': s['State'], 'target': s['Target']['Arn'], 'input': json.loads(s['Target']['Input']), 'role': role, 'policy': policy, 'trust': trust}))",
        ].join('\n'),
      ),
    );

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

    const removeInvalid = await cli(['training-job-rm', '--project', 'Bad_Name']);
    expectExit(removeInvalid, 2);

    expect(await stateKeys(fixture.clients.s3)).toEqual([]);
    expect(await motoResourceNames(fixture.moto, PREFIX)).toEqual([]);
  });

  it('applies the stack from empty, registers the job definition with the right resources and env, and submits (--no-wait --json)', async () => {
    const other = await cli(['training-job', '--project', 'other', '--image-build', 'skip', '--no-wait', '--json']);
    expectExit(other, 0);

    const result = await cli(['training-job', '--project', 'wine', '--image-build', 'skip', '--no-wait', '--json']);
    expectExit(result, 0);
    expect(result.stderr).toMatch(/Plan: \d+ to add, 0 to change, 0 to destroy\./);
    expect(result.stderr).toContain('image build skipped');
    submitted = JSON.parse(result.stdout);
    expect(submitted.jobId).toMatch(/^[0-9a-f-]{36}$/);
    expect(submitted.jobName).toMatch(/^batch-wine-\d{8}T\d{6}-[a-z0-9]+$/);
    expect(await stateKeys(fixture.clients.s3)).toEqual(['acme/dev/training/other.tfstate', 'acme/dev/training/wine.tfstate']);

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

    expect(await motoResourceNames(fixture.moto, `${PREFIX}wine-`)).toEqual(
      [...fargateTrainingResources('acme-dev-wine', definition.revision!), 'iam-role acme-dev-wine-train-schedule'].sort(),
    );
  });

  it("applies wine's retraining schedule: Batch SubmitJob of exactly its queue and definition, and shows the next run", async () => {
    expect(submitted.schedule).toMatchObject({ name: 'acme-dev-wine-retrain', expression: WINE_SCHEDULE, state: 'ENABLED' });
    const next = new Date(submitted.schedule.nextRun);
    expect(next.getUTCDay()).toBe(1);
    expect(next.toISOString()).toMatch(/T03:00:00\.000Z$/);
    expect(next.getTime() - Date.now()).toBeGreaterThan(0);
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(7 * 86_400_000);
    const schedule = await wineSchedule();
    expect(schedule).toMatchObject({ names: ['acme-dev-wine-retrain'], expression: WINE_SCHEDULE, timezone: 'UTC', state: 'ENABLED', target: 'arn:aws:scheduler:::aws-sdk:batch:submitJob' });
    expect(schedule.input).toEqual({ JobName: 'scheduled-wine', JobQueue: expect.stringMatching(/:job-queue\/acme-dev-wine-training$/), JobDefinition: submitted.jobDefinition });
    expect(schedule.policy.Statement).toEqual([{ Sid: 'SubmitThisJob', Effect: 'Allow', Action: 'batch:SubmitJob', Resource: [schedule.input.JobQueue, submitted.jobDefinition, expect.stringMatching(/^arn:aws:batch:eu-west-1:\d{12}:job\/\*$/)] }]);
    expect(schedule.trust.Statement[0]).toMatchObject({ Principal: { Service: 'scheduler.amazonaws.com' }, Condition: { ArnEquals: { 'aws:SourceArn': expect.stringMatching(/:schedule\/default\/acme-dev-wine-retrain$/) } } });
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

  it('-rm leaves nothing of the project behind and touches nothing of the other project', async () => {
    const otherState = await stateBody(fixture.clients.s3, 'acme/dev/training/other.tfstate');
    const otherResources = await motoResourceNames(fixture.moto, `${PREFIX}other-`);
    expect(otherResources).toContain('ecr-repository acme-dev-other-training');
    expect(otherResources).toHaveLength(9);

    const removed = await cli(['training-job-rm', '--project', 'wine', '--json']);
    expectExit(removed, 0);
    expect(JSON.parse(removed.stdout).destroyed).toBeGreaterThan(10);

    expect(await motoResourceNames(fixture.moto, `${PREFIX}wine-`)).toEqual([]);
    expect(await wineSchedule()).toEqual({ names: [] });
    expect(JSON.parse(await stateBody(fixture.clients.s3, 'acme/dev/training/wine.tfstate')).resources).toEqual([]);
    expect(await stateBody(fixture.clients.s3, 'acme/dev/training/other.tfstate')).toBe(otherState);
    expect(await motoResourceNames(fixture.moto, `${PREFIX}other-`)).toEqual(otherResources);

    const again = await cli(['training-job-rm', '--project', 'wine']);
    expectExit(again, 0);
    expect(again.stderr).toContain('Nothing to remove');
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
