import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { freePort, startDetached, stopProcessGroup, waitForHttp } from '../../cli/local/processes.js';
import { createRecordingReporter } from './reporter.js';
import { requireTool, toolchainEnv } from './toolchain.js';

export interface TestMoto {
  readonly endpoint: string;
  /** The environment that points AWS SDKs, the provider and the S3 backend at the emulator. */
  readonly env: Record<string, string>;
  /** Forgets every resource (moto's reset API), for a test that needs an empty account. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export const TEST_REGION = 'eu-west-1';

/** moto in server mode on a free port of 127.0.0.1; never a real AWS endpoint. */
export async function startTestMoto(options: { extraEnv?: Record<string, string> } = {}): Promise<TestMoto> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mlops-test-moto-'));
  const logFile = join(dir, 'moto.log');
  const pid = startDetached(process.env.MLOPS_PYTHON_BIN ? join(process.env.MLOPS_PYTHON_BIN, 'moto_server') : 'moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    logFile,
    env: { ...process.env, ...options.extraEnv },
  });
  const endpoint = `http://127.0.0.1:${port}`;
  await waitForHttp(`${endpoint}/moto-api/`, { timeoutMs: 60_000, reporter: createRecordingReporter(), label: 'moto', pid, logFile });
  const env = {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_SESSION_TOKEN: 'testing',
    AWS_REGION: TEST_REGION,
    AWS_DEFAULT_REGION: TEST_REGION,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  return {
    endpoint,
    env,
    async reset() {
      await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
    },
    async stop() {
      await stopProcessGroup(pid);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs a Python script with boto3 (the test virtualenv) against the emulator; returns its stdout. */
export async function motoPython(moto: TestMoto, script: string, args: string[] = []): Promise<string> {
  const python = join(requireTool(toolchainEnv(), 'MLOPS_PYTHON_BIN'), 'python');
  const preamble = "import boto3, json, os, sys\nkw = dict(endpoint_url=os.environ['AWS_ENDPOINT_URL'], region_name=os.environ['AWS_REGION'])\n";
  const result = await execa(python, ['-c', preamble + script, ...args], { env: { ...process.env, ...moto.env }, reject: false, all: true });
  if (result.exitCode !== 0) throw new Error(`a boto3 script against moto failed:\n${result.all}`);
  return result.stdout;
}

/**
 * Every resource name in moto that contains `text`, as `<kind> <name>`: IAM roles and instance
 * profiles, security groups, ECR repositories, Batch compute environments, queues and ACTIVE job
 * definitions, log groups (asked with boto3 from the test virtualenv: the repository has no IAM or
 * EC2 client for Node.js).
 */
export async function motoResourceNames(moto: TestMoto, text: string): Promise<string[]> {
  const script = [
    "iam, ec2, ecr, batch, logs = (boto3.client(s, **kw) for s in ('iam', 'ec2', 'ecr', 'batch', 'logs'))",
    'names = []',
    "names += ['iam-role ' + r['RoleName'] for r in iam.list_roles()['Roles']]",
    "names += ['instance-profile ' + p['InstanceProfileName'] for p in iam.list_instance_profiles()['InstanceProfiles']]",
    "names += ['security-group ' + g['GroupName'] for g in ec2.describe_security_groups()['SecurityGroups']]",
    "names += ['ecr-repository ' + r['repositoryName'] for r in ecr.describe_repositories()['repositories']]",
    "names += ['compute-environment ' + c['computeEnvironmentName'] for c in batch.describe_compute_environments()['computeEnvironments']]",
    "names += ['job-queue ' + q['jobQueueName'] for q in batch.describe_job_queues()['jobQueues']]",
    "names += ['job-definition %s:%s' % (d['jobDefinitionName'], d['revision']) for d in batch.describe_job_definitions(status='ACTIVE')['jobDefinitions']]",
    "names += ['log-group ' + g['logGroupName'] for g in logs.describe_log_groups()['logGroups']]",
    'print(json.dumps(sorted(n for n in names if sys.argv[1] in n)))',
  ].join('\n');
  return JSON.parse(await motoPython(moto, script, [text])) as string[];
}

/** What a CLI run against the emulator gets: the toolchain, the emulator, and the four TF_VAR_* of an environment. */
export function emulatorCliEnv(tools: Record<string, string>, moto: TestMoto, stateBucket: string, environment = { project: 'acme', envName: 'dev' }): Record<string, string> {
  return {
    ...tools,
    ...moto.env,
    TF_VAR_state_bucket_name: stateBucket,
    TF_VAR_region: TEST_REGION,
    TF_VAR_project: environment.project,
    TF_VAR_env_name: environment.envName,
  };
}
