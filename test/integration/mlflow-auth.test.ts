import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { MLFLOW_USERS, mlflowCredentialSecretNames, sharedParameterNames } from '../../core/naming.js';
import { encodeMlflowCa, MLFLOW_CA_VARIABLE, withMlflowCaFile } from '../../core/training/mlflow-ca.js';
import { createMlflowConnections } from '../../cli/effects/mlflow-access.js';
import { freePort, startDetached, stopProcessGroup, waitForHttp } from '../../cli/local/processes.js';
import { repoRoot } from '../../cli/paths.js';
import { MLFLOW_SERVER_IMAGE_DIR } from '../../cli/builders/mlflow-server.js';
import { DATABASE_ENGINES } from '../../stacks/mlflow-server/database.js';
import { AUTH_DATABASE_NAME, CREDENTIAL_VARIABLES, mlflowContainerDefinition } from '../../stacks/mlflow-server/mlflow-service.js';
import { emulatorAwsContext } from '../harness/aws.js';
import { runCli } from '../harness/cli.js';
import { emulatorCliEnv, motoPython, startTestMoto, TEST_REGION, type TestMoto } from '../harness/moto.js';
import { startTestPostgres, type TestPostgres } from '../harness/postgres.js';
import { createRecordingReporter } from '../harness/reporter.js';
import { startTlsProxy, type TlsProxy } from '../harness/tls-proxy.js';
import { requireTool, toolchainEnv } from '../harness/toolchain.js';

const PROJECT = 'test-project';
const STATE_BUCKET = 'mlops-auth-state';
const ENVIRONMENT = { project: 'acme', envName: 'dev' };
/** The passwords the users' secrets hold (the CLI generates them; fixed here so the test can use each one). */
const PASSWORDS = { admin: 'admin-Pa55-for-the-test', training: 'training-Pa55-for-the-test', cli: 'cli-Pa55-for-the-test' };

/** The moto side of an applied MLflow server stack: its network, its published parameters, the CLI's secret. */
const PUBLISH_SERVER = `
ec2, ssm, sm = boto3.client('ec2', **kw), boto3.client('ssm', **kw), boto3.client('secretsmanager', **kw)
names, values, secret, credential = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3], sys.argv[4]
vpc = ec2.create_vpc(CidrBlock='10.30.0.0/16')['Vpc']['VpcId']
subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock='10.30.%d.0/24' % i, AvailabilityZone=os.environ['AWS_REGION'] + az)['Subnet']['SubnetId'] for i, az in enumerate('ab')]
values.update(vpcId=vpc, privateSubnetIds=','.join(subnets))
for key, value in values.items():
    ssm.put_parameter(Name=names[key], Value=value, Type='StringList' if key == 'privateSubnetIds' else 'String', Overwrite=True)
sm.create_secret(Name=secret, SecretString=credential)
print(json.dumps({'vpcId': vpc, 'subnetIds': subnets}))
`;

/**
 * MLflow's basic auth as the MLflow server stack runs it, with real pieces: the server image's entry
 * point (serve.py, auth_setup.py) with the task definition's command and environment against a real
 * PostgreSQL, behind a TLS-terminating proxy whose certificate the project's PKI code issued (as the
 * internal load balancer's); the training job's command wrapper and credential; and the CLI against
 * moto, reading its credential from moto's Secrets Manager and the CA from SSM as it does in AWS.
 */
describe('MLflow with basic auth over HTTPS (serve.py, PostgreSQL, moto)', () => {
  let tools: Record<string, string>;
  let database: TestPostgres;
  let moto: TestMoto;
  let proxy: TlsProxy;
  let serverPid: number;
  let serverUrl: string;
  let cliEnv: Record<string, string | undefined>;
  const workDir = mkdtempSync(join(tmpdir(), 'mlops-auth-it-'));
  const caFile = join(workDir, 'ca.pem');
  const python = () => join(tools.MLOPS_PYTHON_BIN, 'python');
  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  beforeAll(async () => {
    tools = toolchainEnv();
    for (const tool of ['MLOPS_PYTHON_BIN', 'MLOPS_TERRAFORM_BIN', 'TF_CLI_CONFIG_FILE']) requireTool(tools, tool);
    [database, moto] = await Promise.all([startTestPostgres(), startTestMoto()]);
    // The RDS-managed secret: the tracking and the auth databases' connections both take their credentials from it.
    const databaseSecret = JSON.stringify({ username: database.username, password: database.password });
    const databaseSecretArn = (await motoPython(moto, "print(boto3.client('secretsmanager', **kw).create_secret(Name='rds!db-acme-dev-mlflow', SecretString=sys.argv[1])['ARN'])", [databaseSecret])).trim();

    // The task as ECS starts it: the definition's command and environment, its secrets as environment.
    const port = await freePort();
    const definition = mlflowContainerDefinition({
      image: 'unused',
      region: TEST_REGION,
      port,
      healthCheckPath: '/health',
      logGroupName: 'unused',
      loadBalancerDnsName: 'localhost',
      artifactsDestination: join(workDir, 'artifacts'),
      database: { engine: 'postgres', address: database.host, port: database.port, databaseName: database.database, masterUserSecretArn: databaseSecretArn },
      credentialSecretArns: { admin: 'unused', training: 'unused', cli: 'unused' },
    }) as { command: string[]; environment: { name: string; value: string }[] };
    const taskEnv = Object.fromEntries(definition.environment.map(({ name, value }) => [name, value]));
    expect(taskEnv).toMatchObject({ MLOPS_AUTH_DB_NAME: AUTH_DATABASE_NAME, DB_SCHEME: DATABASE_ENGINES.postgres.uriScheme });
    const secrets: Record<string, string> = {};
    for (const role of Object.keys(MLFLOW_USERS) as (keyof typeof MLFLOW_USERS)[]) {
      secrets[CREDENTIAL_VARIABLES[role].username] = MLFLOW_USERS[role];
      secrets[CREDENTIAL_VARIABLES[role].password] = PASSWORDS[role];
    }
    const logFile = join(workDir, 'server.log');
    // Here the task listens on 127.0.0.1 only, with one worker (the test's load is small), and is also
    // called directly as 127.0.0.1, which its Host check must then admit.
    const command = [...definition.command.map((part) => (part === '0.0.0.0' ? '127.0.0.1' : part)), '--workers', '1'];
    serverPid = startDetached(python(), [join(MLFLOW_SERVER_IMAGE_DIR, 'serve.py'), ...command], {
      logFile,
      env: {
        ...process.env,
        ...moto.env,
        ...taskEnv,
        ...secrets,
        DB_CA_BUNDLE: database.caFile,
        MLFLOW_SERVER_ALLOWED_HOSTS: `${taskEnv.MLFLOW_SERVER_ALLOWED_HOSTS},127.0.0.1:*`,
        PATH: `${tools.MLOPS_PYTHON_BIN}:${process.env.PATH}`,
        MLFLOW_ENABLE_TELEMETRY: 'false',
      },
    });
    serverUrl = `http://127.0.0.1:${port}`;
    await waitForHttp(`${serverUrl}/health`, { timeoutMs: 120_000, reporter: createRecordingReporter(), label: 'serve.py', pid: serverPid, logFile }).catch((error: Error) => {
      throw new Error(`${error.message}\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
    });
    proxy = await startTlsProxy(serverUrl);
    writeFileSync(caFile, proxy.ca.certificate);

    const names = sharedParameterNames(ENVIRONMENT);
    const published = { trackingUri: proxy.url, artifactBucket: 'acme-dev-mlflow-artifacts-123456789012', caCertificate: encodeMlflowCa(proxy.ca.certificate) };
    const network = JSON.parse(await motoPython(moto, `boto3.client('s3', **kw).create_bucket(Bucket=sys.argv[5], CreateBucketConfiguration={'LocationConstraint': os.environ['AWS_REGION']})\n${PUBLISH_SERVER}`, [
      JSON.stringify(names),
      JSON.stringify(published),
      mlflowCredentialSecretNames(ENVIRONMENT).cli,
      JSON.stringify({ username: MLFLOW_USERS.cli, password: PASSWORDS.cli }),
      STATE_BUCKET,
    ]));
    // The settings name the server and the endpoint's network, so the deployment stack reads no SSM
    // parameter of a server stack that is not applied here; the tracking URI is the one the stack
    // published, so the CLI still uses the stack's credential (moto's Secrets Manager) and CA (SSM).
    const settingsFile = join(workDir, 'settings.json');
    writeFileSync(settingsFile, JSON.stringify({ tracking_uri: proxy.url, deployment: { vpc_id: network.vpcId, subnet_ids: network.subnetIds } }));
    cliEnv = {
      ...emulatorCliEnv(tools, moto, STATE_BUCKET, ENVIRONMENT),
      MLOPS_SETTINGS_FILE: settingsFile,
      MLOPS_OUTDIR: join(workDir, 'cdktf.out'),
      MLFLOW_TRACKING_URI: '',
      MLFLOW_TRACKING_USERNAME: '',
      MLFLOW_TRACKING_PASSWORD: '',
    };
  }, 180_000);

  afterAll(async () => {
    await proxy?.stop();
    if (serverPid) await stopProcessGroup(serverPid);
    await Promise.all([database?.stop(), moto?.stop()]);
    rmSync(workDir, { recursive: true, force: true });
  });

  it('refuses anonymous requests and wrong passwords (401), through the TLS proxy and at the task itself; /health stays open for the load balancer', async () => {
    const { serverFetch } = await import('../../cli/effects/mlflow-access.js');
    const overTls = serverFetch({ caPem: proxy.ca.certificate });
    const search = '/api/2.0/mlflow/experiments/search?max_results=1';
    expect((await overTls(`${proxy.url}${search}`)).status).toBe(401);
    expect((await fetch(`${serverUrl}${search}`)).status).toBe(401);
    expect((await fetch(`${serverUrl}${search}`, { headers: { authorization: basic(MLFLOW_USERS.cli, 'wrong') } })).status).toBe(401);
    expect((await overTls(`${proxy.url}${search}`, { headers: { authorization: basic(MLFLOW_USERS.cli, PASSWORDS.cli) } })).status).toBe(200);
    expect((await fetch(`${serverUrl}/health`)).status).toBe(200);
    // The system's CAs do not know the project's: a client without it cannot talk to the server.
    await expect(fetch(`${proxy.url}${search}`)).rejects.toThrow();
  });

  it('keeps users in their own database beside the tracking database, the admin an admin and the others not', async () => {
    expect(await database.query(`SELECT datname FROM pg_database WHERE datname = '${AUTH_DATABASE_NAME}'`)).toBe(AUTH_DATABASE_NAME);
    expect(await database.query("SELECT count(*) FROM information_schema.tables WHERE table_name = 'users'")).toBe('0');
    const authUsers = await execa('psql', ['--no-psqlrc', '--tuples-only', '--no-align', '--command', 'SELECT username || \' \' || is_admin FROM users ORDER BY username'], {
      env: { PGHOST: database.host, PGPORT: String(database.port), PGUSER: database.username, PGPASSWORD: database.password, PGDATABASE: AUTH_DATABASE_NAME, PGSSLMODE: 'disable' },
    });
    expect(authUsers.stdout.trim().split('\n')).toEqual([`${MLFLOW_USERS.admin} true`, `${MLFLOW_USERS.cli} false`, `${MLFLOW_USERS.training} false`]);
  });

  it("logs a run and registers a version with the training jobs' credential, through the job's command that writes the CA first", async () => {
    const command = withMlflowCaFile([python(), join(repoRoot, 'ml-projects', PROJECT, 'train.py')]);
    const result = await execa(command[0], command.slice(1), {
      env: {
        ...process.env,
        MLFLOW_TRACKING_URI: proxy.url,
        MLFLOW_EXPERIMENT_NAME: PROJECT,
        MLFLOW_TRACKING_USERNAME: MLFLOW_USERS.training,
        MLFLOW_TRACKING_PASSWORD: PASSWORDS.training,
        [MLFLOW_CA_VARIABLE]: encodeMlflowCa(proxy.ca.certificate),
        TMPDIR: workDir,
      },
      reject: false,
      all: true,
    });
    expect(result.all).not.toMatch(/CERTIFICATE_VERIFY_FAILED|401/);
    if (result.exitCode !== 0) throw new Error(result.all);
    const version = await fetch(`${serverUrl}/api/2.0/mlflow/model-versions/get?name=${PROJECT}&version=1`, { headers: { authorization: basic(MLFLOW_USERS.cli, PASSWORDS.cli) } });
    expect(await version.json()).toMatchObject({ model_version: { name: PROJECT, version: '1', status: 'READY' } });
  }, 180_000);

  it("gives the CLI's user what deployments need and no more: reads versions and tags them, may not delete a model", async () => {
    const connections = createMlflowConnections(emulatorAwsContext(moto.endpoint), ENVIRONMENT, { PATH: process.env.PATH });
    const client = connections.client(proxy.url);
    expect((await client.modelVersion(PROJECT, '1'))?.version).toBe('1');
    await client.setModelVersionTag(PROJECT, '1', 'mlops.test', 'tagged-by-the-cli');
    expect((await client.modelVersion(PROJECT, '1'))?.tags).toContainEqual({ key: 'mlops.test', value: 'tagged-by-the-cli' });
    const pythonEnv = await connections.pythonEnv(proxy.url);
    expect(pythonEnv).toMatchObject({ MLFLOW_TRACKING_USERNAME: MLFLOW_USERS.cli, MLFLOW_TRACKING_PASSWORD: PASSWORDS.cli });
    await expect(client.call('POST', 'registered-models/delete', { name: PROJECT })).rejects.toThrow(/\(403\)/);
  });

  it('deployment-job resolves, downloads and plans the version through the server with the secret from Secrets Manager', async () => {
    const result = await runCli(['deployment-job', '--project', PROJECT, '--model', 'latest', '--image-build', 'skip', '--plan-only', '--json'], cliEnv);
    expect(result.stderr).not.toMatch(/401|CERTIFICATE/);
    expect({ exitCode: result.exitCode, stderr: result.exitCode === 0 ? '' : result.stderr }).toEqual({ exitCode: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toMatchObject({ project: PROJECT, version: '1', modelUri: `models:/${PROJECT}/1`, planOnly: true });
    expect(result.stderr).toContain(`Deploying models:/${PROJECT}/1`);
  }, 180_000);

  it("deployment-job stops with exit 1 and says why when the CLI's secret holds a password the server refuses", async () => {
    await motoPython(moto, "boto3.client('secretsmanager', **kw).put_secret_value(SecretId=sys.argv[1], SecretString=sys.argv[2])", [
      mlflowCredentialSecretNames(ENVIRONMENT).cli,
      JSON.stringify({ username: MLFLOW_USERS.cli, password: 'not-the-password' }),
    ]);
    const result = await runCli(['deployment-job', '--project', PROJECT, '--model', 'latest', '--image-build', 'skip', '--plan-only'], cliEnv);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`refused GET registered-models/get (401): the "dev" MLflow server stack's CLI credential (user ${MLFLOW_USERS.cli}, secret ${mlflowCredentialSecretNames(ENVIRONMENT).cli}) was refused`);
  });
});
