import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { MLFLOW_SERVER_IMAGE_DIR, mlflowServerImageTag, pinMlflowRequirement } from '../../cli/builders/mlflow-server.js';
import type { ContainerEngine } from '../../cli/effects/container-engine.js';
import { publishImage } from '../../cli/effects/container-image.js';
import { freePort, waitForHttp } from '../../cli/local/processes.js';
import { createReporter } from '../../cli/progress.js';
import { loadSettings } from '../../cli/settings/load.js';
import { DATABASE_ENGINES } from '../../stacks/mlflow-server/database.js';
import { mlflowContainerDefinition, RDS_CA_BUNDLE } from '../../stacks/mlflow-server/mlflow-service.js';
import { fillWheelhouse, listeningAddresses, provideBaseImages, removeImagesOf, testContainerEngine } from '../harness/container-images.js';
import { startLocalRegistry, type LocalRegistry } from '../harness/local-registry.js';
import { motoPython, startTestMoto, type TestMoto } from '../harness/moto.js';
import { startTestPostgres, type TestPostgres } from '../harness/postgres.js';
import { requireTool, toolchainEnv } from '../harness/toolchain.js';
import { removeTrainingScratch, trainingScratchDir } from '../harness/training-project.js';

/** The users' credentials, as the task's secrets deliver them (stacks/mlflow-server/mlflow-service.ts CREDENTIAL_VARIABLES). */
const TEST_CREDENTIALS = {
  MLFLOW_AUTH_ADMIN_USERNAME: 'admin',
  MLFLOW_AUTH_ADMIN_PASSWORD: 'admin-Pa55word-for-the-test',
  MLOPS_TRAINING_USERNAME: 'training-jobs',
  MLOPS_TRAINING_PASSWORD: 'training-Pa55word-for-the-test',
  MLOPS_CLI_USERNAME: 'mlops-cli',
  MLOPS_CLI_PASSWORD: 'cli-Pa55word-for-the-test',
};

/** The one line of the server's Dockerfile that needs the internet: the RDS CA bundle. */
const RDS_BUNDLE_ADD = /^ADD (--chmod=644) https:\/\/truststore\.pki\.rds\.amazonaws\.com\/global\/global-bundle\.pem (\/opt\/mlflow\/rds-ca-bundle\.pem)$/m;

/**
 * The MLflow server image (stacks/mlflow-server/image), built and run as its ECS task runs it
 * (entry point serve.py, the task definition's command and environment) against a real PostgreSQL
 * reached with TLS verified (verify-full), its credentials read from the RDS-style secret in moto's
 * Secrets Manager (the container shares the host's network). Offline, two things differ from production, both said
 * here: the RDS CA bundle is the test database's CA (its download URL is unreachable), and the base
 * image is Debian's Python 3.11 under the python:3.12 name the Dockerfile asks for.
 */
describe('MLflow server image', () => {
  const reporter = createReporter();
  const settings = loadSettings();
  let engine: ContainerEngine;
  let registry: LocalRegistry;
  let database: TestPostgres;
  let moto: TestMoto;
  let image: string;

  beforeAll(async () => {
    engine = testContainerEngine();
    [registry, database, moto] = await Promise.all([startLocalRegistry(), startTestPostgres(), startTestMoto()]);
  });
  afterAll(async () => {
    if (registry) await removeImagesOf(registry.host);
    await Promise.all([registry?.stop(), database?.stop(), moto?.stop()]);
    removeTrainingScratch();
  });

  /** The build context `mlops mlflow-server` publishes, with the test database's CA as the RDS bundle. */
  function prepareContext(): { dir: string; cleanup: () => void } {
    const dir = join(trainingScratchDir('mlops-server-image-'), 'context');
    cpSync(MLFLOW_SERVER_IMAGE_DIR, dir, { recursive: true, filter: (source) => !source.includes('__pycache__') });
    const requirements = join(dir, 'requirements.txt');
    writeFileSync(requirements, pinMlflowRequirement(readFileSync(requirements, 'utf8'), settings.mlflow_server.mlflow_version));
    const dockerfile = readFileSync(join(dir, 'Dockerfile'), 'utf8');
    if (!RDS_BUNDLE_ADD.test(dockerfile)) throw new Error('the server Dockerfile no longer ADDs the RDS CA bundle as this test expects: update RDS_BUNDLE_ADD');
    cpSync(database.caFile, join(dir, 'test-ca.pem'));
    writeFileSync(join(dir, 'Dockerfile'), dockerfile.replace(RDS_BUNDLE_ADD, 'COPY $1 test-ca.pem $2'));
    return { dir, cleanup: () => undefined };
  }

  it('builds from its Dockerfile with its pinned requirements and is pushed', async () => {
    await fillWheelhouse(readFileSync(join(MLFLOW_SERVER_IMAGE_DIR, 'requirements.txt'), 'utf8').split('\n'), reporter);
    expect(await provideBaseImages(readFileSync(join(MLFLOW_SERVER_IMAGE_DIR, 'Dockerfile'), 'utf8'))).toEqual(['python:3.12.11-slim-bookworm']);
    const repositoryName = 'acme-dev-mlflow-server';
    // Not the production tag: this image's CA bundle is the test database's.
    const tag = `${mlflowServerImageTag(settings)}-test-ca`;
    const started = Date.now();
    const published = await publishImage({ registry, docker: engine, repositoryName, repositoryUri: await registry.repositoryUri(repositoryName), tag, prepareContext, mode: 'auto', reporter });
    reporter.info(`publishing ${published.imageUri}: ${published.action} in ${Math.round((Date.now() - started) / 1000)}s`);
    expect(published.action).toBe('built-and-pushed');
    expect(await registry.imageExists(repositoryName, tag)).toBe(true);
    image = published.imageUri;
  });

  it('runs as its ECS task: upgrades the schema over verified TLS, answers /health and logs a run with an artifact', async () => {
    expect(image).toBeDefined();
    const port = await freePort();
    const scratch = trainingScratchDir('mlops-server-run-');
    const artifacts = join(scratch, 'artifacts');
    mkdirSync(artifacts, { mode: 0o777 });
    // The server runs as the image's user 10001.
    chmodSync(artifacts, 0o777);
    const secretValue = JSON.stringify({ username: database.username, password: database.password });
    const secretArn = (await motoPython(moto, "print(boto3.client('secretsmanager', **kw).create_secret(Name='rds!db-mlflow', SecretString=sys.argv[1])['ARN'])", [secretValue])).trim();
    const definition = mlflowContainerDefinition({
      image,
      region: 'eu-west-1',
      port,
      healthCheckPath: '/health',
      logGroupName: 'unused',
      // Clients reach the task directly here, so its address is the one MLflow must accept as Host.
      loadBalancerDnsName: '127.0.0.1',
      artifactsDestination: '/srv/artifacts',
      database: { engine: 'postgres', address: database.host, port: database.port, databaseName: database.database, masterUserSecretArn: secretArn },
      credentialSecretArns: { admin: 'unused', training: 'unused', cli: 'unused' },
    }) as { command: string[]; environment: { name: string; value: string }[] };
    const env = Object.fromEntries(definition.environment.map(({ name, value }) => [name, value]));
    expect(env).toMatchObject({ DB_CA_BUNDLE: RDS_CA_BUNDLE, DB_SCHEME: DATABASE_ENGINES.postgres.uriScheme });
    // Servers here listen on 127.0.0.1 only; behind the load balancer the task listens on every interface.
    const command = definition.command.map((part) => (part === '0.0.0.0' ? '127.0.0.1' : part));
    const logFile = join(scratch, 'server.log');
    const container = await engine.start({
      image,
      name: `mlops-mlflow-server-${Date.now()}`,
      command,
      // The task role's credentials and Secrets Manager are moto's here; the users' secrets arrive as environment.
      env: { ...env, ...moto.env, ...TEST_CREDENTIALS },
      volumes: [`${artifacts}:/srv/artifacts`],
      logFile,
    });
    try {
      const url = `http://127.0.0.1:${port}`;
      await waitForHttp(`${url}/health`, { timeoutMs: 180_000, reporter, label: 'the MLflow server container', pid: container.pid, logFile });
      expect(listeningAddresses(port)).toEqual(['127.0.0.1']);
      expect(await database.query('SELECT count(*) FROM alembic_version')).toBe('1');
      expect(Number(await database.query("SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.datname = 'mlflow' AND s.ssl"))).toBeGreaterThan(0);

      const python = join(requireTool(toolchainEnv(), 'MLOPS_PYTHON_BIN'), 'python');
      const logRun = [
        'import mlflow',
        'mlflow.set_experiment("image-test")',
        'with mlflow.start_run(run_name="from-the-test") as run:',
        '    mlflow.log_param("engine", "buildah")',
        '    mlflow.log_metric("accuracy", 0.9)',
        '    mlflow.log_text("hello", "notes/hello.txt")',
        'print(run.info.run_id)',
      ].join('\n');
      const runId = (await execa(python, ['-c', logRun], { env: { MLFLOW_TRACKING_URI: url, MLFLOW_TRACKING_USERNAME: TEST_CREDENTIALS.MLOPS_TRAINING_USERNAME, MLFLOW_TRACKING_PASSWORD: TEST_CREDENTIALS.MLOPS_TRAINING_PASSWORD } })).stdout.trim().split('\n').pop();
      expect(await database.query(`SELECT name || ' ' || status FROM runs WHERE run_uuid = '${runId}'`)).toBe('from-the-test FINISHED');
      expect(await database.query(`SELECT value FROM params WHERE run_uuid = '${runId}' AND key = 'engine'`)).toBe('buildah');
      const stored = readdirSync(artifacts, { recursive: true }).map(String);
      expect(stored.some((path) => path.endsWith(join(runId!, 'artifacts', 'notes', 'hello.txt')))).toBe(true);
    } finally {
      await container.stop();
    }
    expect(existsSync(logFile)).toBe(true);
  });
});
