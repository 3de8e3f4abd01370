import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { MLFLOW_USERS, mlflowCredentialSecretNames, sharedParameterNames, type MlflowUserRole } from '../../core/naming.js';
import { encodeMlflowCa } from '../../core/training/mlflow-ca.js';
import { serverFetch } from '../../cli/effects/mlflow-access.js';
import { MlflowClient } from '../../cli/effects/mlflow.js';
import { repoRoot } from '../../cli/paths.js';
import { runCli } from '../harness/cli.js';
import { startTestAuthMlflowServer, type TestAuthMlflowServer } from '../harness/mlflow.js';
import { emulatorCliEnv, motoPython, startTestMoto, type TestMoto } from '../harness/moto.js';
import { requireTool, toolchainEnv } from '../harness/toolchain.js';

const PROJECT = 'test-project';
const passwords = (server: string): Record<MlflowUserRole, string> => ({ admin: `${server}-admin-Pa55`, training: `${server}-training-Pa55`, cli: `${server}-cli-Pa55` });

/** What an applied MLflow server stack publishes: its tracking URI and CA in SSM, the CLI's credential in Secrets Manager. */
const PUBLISH = `
ssm, sm = boto3.client('ssm', **kw), boto3.client('secretsmanager', **kw)
for stack in json.loads(sys.argv[1]):
    ssm.put_parameter(Name=stack['uriName'], Value=stack['uri'], Type='String', Overwrite=True)
    ssm.put_parameter(Name=stack['caName'], Value=stack['ca'], Type='String', Overwrite=True)
    if stack.get('credential'):
        sm.create_secret(Name=stack['secretName'], SecretString=stack['credential'])
`;

/**
 * `promote-model` through the built CLI against real MLflow servers with MLflow's basic auth, each
 * behind TLS with its own project CA, as the MLflow server stack runs them, and moto holding what
 * each environment's stack published (tracking URI, CA, the CLI's credential). `first` holds the
 * version the test project's own training registered. TF_VAR_project picks the layout:
 * - `one`: one server shared by the environments, prod's stack's (`first`);
 * - `two`: one server per environment, dev's stack's `first` and prod's stack's `second` (the
 *   version is copied), each with its own CLI password and CA;
 * - `three`: prod's stack published `second` without a usable CLI credential.
 */
describe('promote-model against MLflow servers with basic auth over TLS, as the MLflow server stacks publish them', () => {
  let first: TestAuthMlflowServer;
  let second: TestAuthMlflowServer;
  let moto: TestMoto;
  let tools: Record<string, string>;
  const workDir = mkdtempSync(join(tmpdir(), 'mlops-promote-it-'));
  const admin = (server: TestAuthMlflowServer) =>
    new MlflowClient(server.url, serverFetch({ caPem: server.caPem, authorization: `Basic ${Buffer.from(`${MLFLOW_USERS.admin}:${server.passwords.admin}`).toString('base64')}` }));
  const promote = (project: string, args: string[], env: Record<string, string | undefined> = {}) =>
    runCli(['promote-model', '--project', PROJECT, '--json', ...args], {
      ...emulatorCliEnv(tools, moto, 'mlops-test-state', { project, envName: 'prod' }),
      MLOPS_ACTOR: 'alice',
      GITHUB_ACTIONS: undefined,
      MLFLOW_TRACKING_URI: undefined,
      MLFLOW_TRACKING_USERNAME: undefined,
      MLFLOW_TRACKING_PASSWORD: undefined,
      MLFLOW_TRACKING_TOKEN: undefined,
      MLFLOW_TRACKING_SERVER_CERT_PATH: undefined,
      ...env,
    });
  /** A promotion that must succeed; its stderr is the failure's message otherwise. */
  const promoted = async (project: string, args: string[]) => {
    const result = await promote(project, args);
    if (result.exitCode !== 0) throw new Error(`promote-model exited ${result.exitCode}:\n${result.stderr}`);
    return { ...result, json: JSON.parse(result.stdout) as Record<string, string> };
  };
  const tags = async (client: MlflowClient, version: string) => Object.fromEntries(((await client.modelVersion(PROJECT, version))?.tags ?? []).map((tag) => [tag.key, tag.value]));
  const stack = (project: string, envName: string, server: TestAuthMlflowServer, credential?: { username: string; password: string }) => ({
    uriName: sharedParameterNames({ project, envName }).trackingUri,
    uri: server.url,
    caName: sharedParameterNames({ project, envName }).caCertificate,
    ca: encodeMlflowCa(server.caPem),
    secretName: mlflowCredentialSecretNames({ project, envName }).cli,
    credential: credential && JSON.stringify(credential),
  });
  const cliCredential = (server: TestAuthMlflowServer) => ({ username: MLFLOW_USERS.cli, password: server.passwords.cli });

  beforeAll(async () => {
    tools = toolchainEnv();
    requireTool(tools, 'MLOPS_PYTHON_BIN');
    [first, second, moto] = await Promise.all([startTestAuthMlflowServer(passwords('first')), startTestAuthMlflowServer(passwords('second')), startTestMoto()]);
    // The training job's way in: its own user, the project CA as a file.
    const caFile = join(workDir, 'first-ca.pem');
    writeFileSync(caFile, first.caPem);
    const [train] = await Promise.all([
      execa(join(tools.MLOPS_PYTHON_BIN, 'python'), [join(repoRoot, 'ml-projects', PROJECT, 'train.py')], {
        env: {
          ...process.env,
          MLFLOW_TRACKING_URI: first.url,
          MLFLOW_EXPERIMENT_NAME: PROJECT,
          MLFLOW_TRACKING_USERNAME: MLFLOW_USERS.training,
          MLFLOW_TRACKING_PASSWORD: first.passwords.training,
          MLFLOW_TRACKING_SERVER_CERT_PATH: caFile,
        },
        reject: false,
        all: true,
      }),
      motoPython(moto, PUBLISH, [
        JSON.stringify([
          stack('one', 'prod', first, cliCredential(first)),
          stack('two', 'dev', first, cliCredential(first)),
          stack('two', 'prod', second, cliCredential(second)),
          stack('three', 'prod', second),
        ]),
      ]),
    ]);
    if (train.exitCode !== 0) throw new Error(`training failed:\n${train.all}`);
    const client = admin(first);
    // What deployment-job records when version 1 serves in dev (test/integration/lifecycle.test.ts proves it).
    for (const project of ['one', 'two']) await client.setModelVersionTag(PROJECT, '1', `mlops.deployment.${project}-dev.endpoint`, `${project}-dev-${PROJECT}`);
  }, 300_000);

  afterAll(async () => {
    await Promise.all([first?.stop(), second?.stop(), moto?.stop()]);
    rmSync(workDir, { recursive: true, force: true });
  });

  it('the servers refuse anonymous requests (401) and know only their own CLI password', async () => {
    const search = '/api/2.0/mlflow/registered-models/search?max_results=1';
    const basic = (password: string) => ({ authorization: `Basic ${Buffer.from(`${MLFLOW_USERS.cli}:${password}`).toString('base64')}` });
    for (const server of [first, second]) {
      const overTls = serverFetch({ caPem: server.caPem });
      expect((await overTls(`${server.url}${search}`)).status).toBe(401);
      expect((await overTls(`${server.url}${search}`, { headers: basic(server.passwords.cli) })).status).toBe(200);
    }
    expect((await serverFetch({ caPem: second.caPem })(`${second.url}${search}`, { headers: basic(first.passwords.cli) })).status).toBe(401);
  });

  it('refuses a reserved alias and a missing source alias with exit 2, naming the server and where it was found', async () => {
    const reserved = await promote('one', ['--from', 'dev', '--to', 'latest']);
    expect(reserved.exitCode).toBe(2);
    expect(reserved.stderr).toContain('to= (--to)="latest": MLflow reserves "latest" and "v<N>"');
    const missing = await promote('one', ['--from', 'dev']);
    expect(missing.stderr).toContain(`model "${PROJECT}" in ${first.url} (this environment's server: no from_uri= and no MLflow server stack of "dev") has no alias @dev (aliases: none)`);
    expect(missing.exitCode).toBe(2);
  }, 60_000);

  it("on one server shared by the environments, points @prod at @dev's version with prod's stack's credential and records who, when and from which endpoint", async () => {
    const client = admin(first);
    await client.setModelAlias(PROJECT, 'dev', '1');
    const result = await promoted('one', ['--from', '@dev', '--to', '@prod']);
    expect(result.json).toMatchObject({ action: 'promoted', version: '1', sourceVersion: '1', from: 'dev', to: 'prod', sourceRegistry: first.url, targetRegistry: first.url });
    expect(await client.modelAliases(PROJECT)).toEqual({ dev: '1', prod: '1' });
    const recorded = await tags(client, '1');
    expect(recorded).toMatchObject({
      'mlops.promotion.prod.from_alias': 'dev',
      'mlops.promotion.prod.source_version': '1',
      'mlops.promotion.prod.promoted_by': 'alice',
      'mlops.promotion.prod.source_endpoint': `one-dev-${PROJECT}`,
    });
    expect(recorded['mlops.promotion.prod.source_registry']).toBeUndefined();
    expect(Date.parse(recorded['mlops.promotion.prod.promoted_at'])).toBeGreaterThan(Date.now() - 600_000);

    const again = await promoted('one', ['--from', 'dev']);
    expect(again.json).toMatchObject({ action: 'unchanged', version: '1' });
    expect(again.stderr).toContain('@prod already names version 1');
  }, 120_000);

  it("with one server per environment, copies dev's version from dev's server (dev's credential and CA) into prod's (prod's), with lineage, once", async () => {
    const result = await promoted('two', ['--from', 'dev', '--to', 'prod']);
    expect(result.stderr).toContain(`Source registry: ${first.url} (published by the MLflow server stack of environment "dev")`);
    expect(result.json).toMatchObject({ action: 'copied', version: '1', sourceVersion: '1', sourceRegistry: first.url, targetRegistry: second.url });
    expect(result.stderr).toMatch(/copied as version 1 \(run [0-9a-f]+\)/);

    const target = admin(second);
    expect(await target.modelAliases(PROJECT)).toEqual({ prod: '1' });
    expect(await tags(target, '1')).toMatchObject({
      'mlops.source.registry': first.url,
      'mlops.source.model_version': '1',
      'mlops.source.run_id': (await admin(first).modelVersion(PROJECT, '1'))!.run_id,
      'mlops.promotion.prod.source_registry': first.url,
      'mlops.promotion.prod.source_endpoint': `two-dev-${PROJECT}`,
      'mlops.promotion.prod.promoted_by': 'alice',
    });
    // What deployment-job reads in prod: the model's files, the run's metrics, the training baseline.
    const copy = await target.modelVersion(PROJECT, '1');
    const run = await target.run(copy!.run_id!);
    expect(run?.data.metrics?.map((metric) => metric.key).sort()).toEqual(['accuracy', 'f1_macro']);
    const listed = async (path: string) =>
      ((await target.call<{ files?: { path: string }[] }>('GET', 'artifacts/list', { run_id: copy!.run_id, path }))?.files ?? []).map((file) => file.path);
    expect(await listed('model')).toEqual(expect.arrayContaining(['model/MLmodel']));
    expect(await listed('baseline')).toEqual(['baseline/feature_statistics.json']);

    // from_uri= naming the same server: still reached with dev's credential, as dev's stack published it.
    const again = await promoted('two', ['--from', 'dev', '--to', 'prod', '--from-tracking-uri', first.url]);
    expect(again.json).toMatchObject({ action: 'unchanged', version: '1', sourceRegistry: first.url });
    expect(again.stderr).toContain('was copied before: version 1');
    expect((await target.searchModelVersions(`name='${PROJECT}'`)).length).toBe(1);
  }, 180_000);

  it("stops with exit 1 naming the server and the secret when prod's CLI credential is missing, then when the server refuses it", async () => {
    const secret = mlflowCredentialSecretNames({ project: 'three', envName: 'prod' }).cli;
    const missing = await promote('three', ['--from', 'dev']);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain(`MLflow at ${second.url} refused GET`);
    expect(missing.stderr).toContain(`(401): secret ${secret} of the "prod" MLflow server stack, which published this server, holds no credential: run make mlflow-server`);

    await motoPython(moto, "boto3.client('secretsmanager', **kw).create_secret(Name=sys.argv[1], SecretString=sys.argv[2])", [secret, JSON.stringify({ username: MLFLOW_USERS.cli, password: 'not-the-password' })]);
    const refused = await promote('three', ['--from', 'dev']);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain(`MLflow at ${second.url} refused GET`);
    expect(refused.stderr).toContain(`(401): the "prod" MLflow server stack's CLI credential (user ${MLFLOW_USERS.cli}, secret ${secret}) was refused`);
  }, 60_000);

  it("reaches a team's own server named by MLFLOW_TRACKING_URI with the person's credential, reading nothing of AWS", async () => {
    const own = { MLFLOW_TRACKING_URI: first.directUrl, AWS_ENDPOINT_URL: 'http://127.0.0.1:9' };
    const anonymous = await promote('one', ['--from', 'dev', '--to', 'staging'], own);
    expect(anonymous.exitCode).toBe(1);
    expect(anonymous.stderr).toContain(`MLflow at ${first.directUrl} refused GET registered-models/get (401): an MLflow server stack publishes only https:// servers`);
    const result = await promote('one', ['--from', 'dev', '--to', 'staging'], { ...own, MLFLOW_TRACKING_USERNAME: MLFLOW_USERS.admin, MLFLOW_TRACKING_PASSWORD: first.passwords.admin });
    expect({ exitCode: result.exitCode, stderr: result.exitCode === 0 ? '' : result.stderr }).toEqual({ exitCode: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toMatchObject({ action: 'promoted', version: '1', to: 'staging', targetRegistry: first.directUrl });
    expect((await admin(first).modelAliases(PROJECT))?.staging).toBe('1');
  }, 60_000);
});
