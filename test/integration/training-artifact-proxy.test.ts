import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { execa } from 'execa';
import { freePort, startDetached, stopProcessGroup, waitForHttp } from '../../cli/local/processes.js';
import { localServerEnv } from '../../cli/local/mlflow-server.js';
import { repoRoot } from '../../cli/paths.js';
import { createRecordingReporter } from '../harness/reporter.js';
import { startTestMoto, TEST_REGION, type TestMoto } from '../harness/moto.js';
import { requireTool, toolchainEnv } from '../harness/toolchain.js';

/**
 * Why the training jobs' default policy grants no S3 at all (policies/training-jobs-policy.default.json,
 * finding 4 of issue 10): the MLflow server stack runs `mlflow server --serve-artifacts` with its
 * artifact store in S3, so a job logs runs and registers models through the server's HTTP API only.
 * Proven here with a real server whose store is a bucket in moto, and a training run that has no AWS
 * credentials and whose S3 endpoint is a closed port: anything it sent to S3 itself would fail.
 */
describe('a training run against a server that proxies artifacts needs no S3 right', () => {
  const bucket = 'proxy-artifacts';
  let moto: TestMoto;
  let s3: S3Client;
  let bin: string;
  let work: string;
  let serverPid: number | undefined;
  let url: string;

  beforeAll(async () => {
    bin = requireTool(toolchainEnv(), 'MLOPS_PYTHON_BIN');
    moto = await startTestMoto();
    s3 = new S3Client({ endpoint: moto.endpoint, region: TEST_REGION, forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: TEST_REGION } }));
    work = mkdtempSync(join(tmpdir(), 'mlops-it-proxy-'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const logFile = join(work, 'mlflow-server.log');
    serverPid = startDetached(
      join(bin, 'mlflow'),
      ['server', '--backend-store-uri', `sqlite:///${join(work, 'mlflow.db')}`, '--serve-artifacts', '--artifacts-destination', `s3://${bucket}/artifacts`, '--host', '127.0.0.1', '--port', String(port), '--workers', '1'],
      { logFile, env: { ...process.env, ...localServerEnv(), ...moto.env, MLFLOW_S3_ENDPOINT_URL: moto.endpoint, MLFLOW_ENABLE_TELEMETRY: 'false' } },
    );
    await waitForHttp(`${url}/health`, { timeoutMs: 120_000, reporter: createRecordingReporter(), label: 'MLflow server', pid: serverPid, logFile });
  });

  afterAll(async () => {
    if (serverPid) await stopProcessGroup(serverPid);
    await moto?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('logs the run and registers the model, and the artifacts land in the bucket the server writes', async () => {
    const closedPort = 'http://127.0.0.1:9';
    const run = await execa(join(bin, 'mlflow'), ['run', join(repoRoot, 'ml-projects', 'test-project'), '--env-manager', 'local', '--experiment-name', 'test-project'], {
      extendEnv: false,
      env: {
        PATH: `${bin}:${process.env.PATH ?? ''}`,
        HOME: work,
        MLFLOW_TRACKING_URI: url,
        MLFLOW_EXPERIMENT_NAME: 'test-project',
        MLFLOW_ENABLE_TELEMETRY: 'false',
        // No credentials anywhere, and S3 on a closed port: the run can reach artifacts only through the server.
        AWS_SHARED_CREDENTIALS_FILE: join(work, 'none'),
        AWS_CONFIG_FILE: join(work, 'none'),
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_ENDPOINT_URL: closedPort,
        MLFLOW_S3_ENDPOINT_URL: closedPort,
      },
      reject: false,
      all: true,
      timeout: 10 * 60_000,
    });
    expect({ exitCode: run.exitCode, tail: run.exitCode === 0 ? '' : String(run.all).slice(-3000) }).toEqual({ exitCode: 0, tail: '' });

    const registered = (await (await fetch(`${url}/api/2.0/mlflow/registered-models/get?name=test-project`)).json()) as { registered_model?: { latest_versions?: { version: string }[] } };
    expect(registered.registered_model?.latest_versions?.length).toBeGreaterThan(0);
    const objects = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'artifacts/' }));
    expect((objects.Contents ?? []).map((object) => object.Key).filter((key) => key?.endsWith('/MLmodel'))).not.toEqual([]);
  });
});
